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
 * The array itself can change too ({@link Parameter.relocate}): read `values` when you use it, never
 * keep the array in a field.
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
  /**
   * Moves the storage to `into` (same length): copies the current values there, makes `values`
   * that array and bumps the version. An optimizer that updates in its own memory (WebAssembly)
   * moves its parameters there once instead of copying them in and out every step. The old array
   * is left as it was and no longer belongs to the parameter.
   */
  relocate(into: Float32Array): void;
}

/** Options of {@link createParameter}. */
export interface ParameterOptions {
  weightDecayScale?: number;
}

/** Creates a {@link Parameter} over the given values (not copied; see {@link Parameter.relocate}). */
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
  let storage = values;
  return {
    name,
    kind,
    shape: [...shape],
    get values() {
      return storage;
    },
    weightDecayScale: options.weightDecayScale ?? 1,
    get version() {
      return version;
    },
    markChanged() {
      version++;
    },
    relocate(into: Float32Array) {
      if (into.length !== storage.length) {
        throw new RangeError(
          `parameter ${name}: cannot move ${storage.length} values into an array of ${into.length}`,
        );
      }
      if (into !== storage) into.set(storage);
      storage = into;
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
