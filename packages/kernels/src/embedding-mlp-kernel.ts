import { KernelInstance, type KernelBuffer } from './kernel-instance.js';

/** Fields per layer in the kernel's layer table (see `mlpPass` in assembly/index.ts). */
const LAYER_FIELDS = 10;

/** The shape of an embedding MLP: `concat(user row, item row) → [Linear → ReLU]* → Linear(→1) → sigmoid`. */
export interface EmbeddingMlpShape {
  /** Factors per embedding row; layer 0 has `2 · nFactors` inputs. */
  readonly nFactors: number;
  /** Hidden layer widths (the output layer has one unit). */
  readonly hidden: readonly number[];
  /** Per linear layer, whether its input has a dropout mask (`hidden.length + 1` entries). */
  readonly masked: readonly boolean[];
}

/** One linear layer's buffers in kernel memory. */
export interface EmbeddingMlpLayer {
  readonly inputs: number;
  readonly outputs: number;
  /** `[outputs, inputs]`, PyTorch's layout. */
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  /** Gradients, zeroed by each training pass then summed over its examples. */
  readonly weightGrad: Float32Array;
  readonly biasGrad: Float32Array;
  /** `[capacity, inputs]` dropout mask of the layer's input (0 or the keep scale), or undefined. */
  readonly mask: Float32Array | undefined;
}

/**
 * The WebAssembly SIMD forward/backward of an embedding MLP (the notebook's EmbeddingNet), in
 * float32, for batches of up to `capacity` examples. The caller writes the gathered embedding
 * rows, targets, masks and weights into the views, calls {@link EmbeddingMlpKernel.train} or
 * {@link EmbeddingMlpKernel.predict}, and reads predictions and gradients from the views. Units
 * that a dropout mask removes are not computed, and units with a zero gradient (dropped or ReLU
 * off) are skipped in the backward pass: that changes no result.
 */
export class EmbeddingMlpKernel {
  readonly capacity: number;
  readonly shape: EmbeddingMlpShape;
  /** `[capacity, nFactors]` user and item rows of the batch. */
  readonly user: Float32Array;
  readonly item: Float32Array;
  /** `[capacity]` targets. */
  readonly target: Float32Array;
  /** `[capacity]` predictions of the last pass. */
  readonly prediction: Float32Array;
  /** `[capacity, nFactors]` gradients of each example's user and item row (training passes). */
  readonly userGrad: Float32Array;
  readonly itemGrad: Float32Array;
  readonly layers: readonly EmbeddingMlpLayer[];
  readonly #instance: KernelInstance;
  readonly #offsets: {
    table: number;
    user: number;
    item: number;
    target: number;
    du: number;
    di: number;
    pred: number;
  };
  readonly #grads: Float32Array[];

  private constructor(instance: KernelInstance, shape: EmbeddingMlpShape, capacity: number) {
    this.#instance = instance;
    this.shape = shape;
    this.capacity = capacity;
    const f = shape.nFactors;
    const widths = [2 * f, ...shape.hidden, 1];
    const L = widths.length - 1;
    const table = instance.ints(L * LAYER_FIELDS);
    const rows = (n: number): KernelBuffer<Float32Array> => instance.floats(n);
    const user = rows(capacity * f);
    const item = rows(capacity * f);
    const target = rows(capacity);
    const du = rows(capacity * f);
    const di = rows(capacity * f);
    const pred = rows(capacity);
    const layers: EmbeddingMlpLayer[] = [];
    this.#grads = [];
    for (let l = 0; l < L; l++) {
      const inputs = widths[l]!;
      const outputs = widths[l + 1]!;
      const weight = rows(inputs * outputs);
      const bias = rows(outputs);
      const dW = rows(inputs * outputs);
      const db = rows(outputs);
      const mask = shape.masked[l] ? rows(capacity * inputs) : undefined;
      const x = rows(inputs);
      const z = rows(outputs);
      const g = rows(outputs);
      table.view.set(
        [
          inputs,
          outputs,
          weight.byteOffset,
          bias.byteOffset,
          dW.byteOffset,
          db.byteOffset,
          mask?.byteOffset ?? 0,
          x.byteOffset,
          z.byteOffset,
          g.byteOffset,
        ],
        l * LAYER_FIELDS,
      );
      layers.push({
        inputs,
        outputs,
        weight: weight.view,
        bias: bias.view,
        weightGrad: dW.view,
        biasGrad: db.view,
        mask: mask?.view,
      });
      this.#grads.push(dW.view, db.view);
    }
    this.layers = layers;
    this.user = user.view;
    this.item = item.view;
    this.target = target.view;
    this.userGrad = du.view;
    this.itemGrad = di.view;
    this.prediction = pred.view;
    this.#offsets = {
      table: table.byteOffset,
      user: user.byteOffset,
      item: item.byteOffset,
      target: target.byteOffset,
      du: du.byteOffset,
      di: di.byteOffset,
      pred: pred.byteOffset,
    };
  }

  /** A kernel for batches of up to `capacity`, or undefined when the wasm kernels are unavailable. */
  static create(shape: EmbeddingMlpShape, capacity: number): EmbeddingMlpKernel | undefined {
    if (shape.masked.length !== shape.hidden.length + 1)
      throw new RangeError(`masked needs ${shape.hidden.length + 1} entries`);
    const f = shape.nFactors;
    const widths = [2 * f, ...shape.hidden, 1];
    const b = (count: number): number => KernelInstance.bytesFor(count);
    let bytes = b((widths.length - 1) * LAYER_FIELDS) + 4 * b(capacity * f) + 2 * b(capacity);
    for (let l = 0; l + 1 < widths.length; l++) {
      const inputs = widths[l]!;
      const outputs = widths[l + 1]!;
      bytes += 2 * b(inputs * outputs) + 3 * b(outputs) + b(outputs) + b(inputs);
      if (shape.masked[l]) bytes += b(capacity * inputs);
    }
    const instance = KernelInstance.create(bytes);
    return instance ? new EmbeddingMlpKernel(instance, shape, capacity) : undefined;
  }

  /**
   * Forward and backward of the first `n` examples in training mode (the masks as written).
   * Returns the sum of squared errors; the gradients are those of the mean squared error.
   */
  train(n: number, range: number, offset: number): number {
    this.#check(n);
    for (const g of this.#grads) g.fill(0);
    return this.#pass(n, range, offset, 1);
  }

  /** Eval-mode predictions of the first `n` examples into {@link EmbeddingMlpKernel.prediction} (masks ignored). */
  predict(n: number, range: number, offset: number): Float32Array {
    this.#check(n);
    const o = this.#offsets;
    // eval mode: no masks; the table's mask fields are cleared for the pass and restored after
    const table = new Int32Array(
      this.#instance.memory.buffer,
      o.table,
      this.layers.length * LAYER_FIELDS,
    );
    const saved: number[] = [];
    for (let l = 0; l < this.layers.length; l++) {
      saved.push(table[l * LAYER_FIELDS + 6]!);
      table[l * LAYER_FIELDS + 6] = 0;
    }
    try {
      this.#pass(n, range, offset, 0);
    } finally {
      for (let l = 0; l < this.layers.length; l++) table[l * LAYER_FIELDS + 6] = saved[l]!;
    }
    return this.prediction.subarray(0, n);
  }

  /** One `mlpPass` over the kernel's buffers; `train` 1 runs the backward pass too. */
  #pass(n: number, range: number, offset: number, train: 0 | 1): number {
    const o = this.#offsets;
    return this.#instance.exports.mlpPass(
      n,
      this.shape.nFactors,
      this.layers.length,
      o.table,
      o.user,
      o.item,
      o.target,
      o.du,
      o.di,
      o.pred,
      range,
      offset,
      train,
    );
  }

  #check(n: number): void {
    if (!(n >= 1 && n <= this.capacity))
      throw new RangeError(`batch of ${n} examples, the kernel holds 1..${this.capacity}`);
  }
}
