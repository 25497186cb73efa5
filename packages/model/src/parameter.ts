/**
 * How a parameter is used: `embedding` tables are read a few rows at a time and get row-sparse
 * gradients; `dense` parameters are read whole and get dense gradients.
 */
export type ParameterKind = 'embedding' | 'dense';

/**
 * A trainable parameter. Its values live on the host in a `Float32Array` (row-major, PyTorch's
 * layout: an embedding is `[rows, dim]`, a linear weight `[out, in]`), so that optimizers can
 * update a few rows cheaply on every backend; models upload what a step needs to the backend.
 * Whoever changes `values` must call {@link Parameter.markChanged} so cached tensors are refreshed.
 */
export interface Parameter {
  /** Stable name, used in saved weights (e.g. `userEmbedding`, `hidden.0.weight`). */
  readonly name: string;
  readonly kind: ParameterKind;
  readonly shape: readonly number[];
  readonly values: Float32Array;
  /** Multiplier on the optimizer's weight decay for this parameter (default 1; 0 exempts it). */
  readonly weightDecayScale: number;
  /** Bumped by {@link Parameter.markChanged}; caches compare it. */
  readonly version: number;
  /** Declares that `values` was modified. */
  markChanged(): void;
}

/** Options of {@link createParameter}. */
export interface ParameterOptions {
  weightDecayScale?: number;
}

/** Creates a {@link Parameter} over the given values (not copied). */
export function createParameter(
  name: string,
  kind: ParameterKind,
  shape: readonly number[],
  values: Float32Array,
  options: ParameterOptions = {},
): Parameter {
  const size = shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) {
    throw new RangeError(
      `parameter ${name}: ${values.length} values do not fill shape [${shape.join(', ')}]`,
    );
  }
  let version = 0;
  return {
    name,
    kind,
    shape: [...shape],
    values,
    weightDecayScale: options.weightDecayScale ?? 1,
    get version() {
      return version;
    },
    markChanged() {
      version++;
    },
  };
}

/**
 * The gradient of the loss with respect to one parameter. Dense: `rows` is undefined and `values`
 * has the parameter's size. Row-sparse (embeddings): `rows` lists distinct row indices and `values`
 * holds `rows.length × dim` gradients, one row each; rows not listed have zero gradient.
 * Buffers may be reused by the producer on its next step: consume before the next call.
 */
export interface ParameterGradient {
  readonly parameter: Parameter;
  readonly rows: Int32Array | undefined;
  readonly values: Float32Array;
}
