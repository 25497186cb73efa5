import { sharedWasmKernelModule, wasmKernelModule } from './load-kernels.js';

const PAGE = 65536;
/** The first page is left to the module (it has no data, but keep its low memory clear). */
const FIRST_FREE = PAGE;

/** The raw exports of the kernel module (pointers are byte offsets into the instance's memory). */
export interface KernelExports {
  /** Adam / AdamW over every row of a table (see `AdamTableKernel`). */
  adamTable(
    w: number,
    m: number,
    v: number,
    grad: number,
    slot: number,
    rows: number,
    dim: number,
    beta1: number,
    beta2: number,
    oneMinusBeta1: number,
    oneMinusBeta2: number,
    stepSize: number,
    sqrtBc2: number,
    eps: number,
    decay: number,
    l2: number,
  ): void;
  /** Adam / AdamW over the listed rows of a table only (lazy updates). */
  adamRows(
    w: number,
    m: number,
    v: number,
    grad: number,
    list: number,
    factors: number,
    count: number,
    dim: number,
    beta1: number,
    beta2: number,
    oneMinusBeta1: number,
    oneMinusBeta2: number,
    stepSize: number,
    sqrtBc2: number,
    eps: number,
    decay: number,
    l2: number,
  ): void;
  /**
   * EmbeddingDotBias's forward and backward pass over interleaved tables (weights and bias, m, v
   * in one span per row), gradients summed per distinct row; returns the sum of squared errors.
   */
  dotBiasPass(
    users: number,
    items: number,
    rowBytes: number,
    sectionFloats: number,
    f: number,
    n: number,
    userIndex: number,
    itemIndex: number,
    rating: number,
    low: number,
    span: number,
    squash: number,
    gradU: number,
    gradI: number,
    slotU: number,
    slotI: number,
    listU: number,
    listI: number,
    counts: number,
  ): number;
  /** Lazy Adam / AdamW on the listed rows of an interleaved table (weights, then bias, scalars each). */
  dotBiasAdam(
    table: number,
    rowBytes: number,
    sectionFloats: number,
    f: number,
    grad: number,
    list: number,
    slot: number,
    count: number,
    factorsW: number,
    factorsB: number,
    beta2: number,
    oneMinusBeta2: number,
    sqrtBc2: number,
    eps: number,
    beta1W: number,
    oneMinusBeta1W: number,
    stepSizeW: number,
    decayW: number,
    l2W: number,
    beta1B: number,
    oneMinusBeta1B: number,
    stepSizeB: number,
    decayB: number,
    l2B: number,
  ): number;
  /** EmbeddingNet's fused forward (and, when training, backward) pass; returns the loss. */
  mlpPass(
    n: number,
    f: number,
    nLayers: number,
    layers: number,
    user: number,
    item: number,
    target: number,
    du: number,
    di: number,
    pred: number,
    range: number,
    offset: number,
    train: number,
  ): number;
  /** Approximate dot-product scores of a block of users × item panels above per-user cuts (see `BlockedDotKernel`); returns the entries written. */
  scoreTiles(
    users: number,
    userBase: number,
    nu: number,
    panels: number,
    itemBias: number,
    f: number,
    p0: number,
    p1: number,
    cut: number,
    outRow: number,
    outItem: number,
    outScore: number,
  ): number;
  /** `scoreTiles` on int16-quantised users and items (exact integer dot products, scaled per user). */
  scoreTilesI16(
    users: number,
    userScale: number,
    userBase: number,
    nu: number,
    panels: number,
    itemBias: number,
    f2: number,
    p0: number,
    p1: number,
    cut: number,
    outRow: number,
    outItem: number,
    outScore: number,
  ): number;
  /** `scoreTiles` for a one-hidden-layer MLP: `Σ_d w[d] · max(user[d] + item[d], 0)` in place of the dot product. */
  reluTiles(
    users: number,
    userBase: number,
    nu: number,
    panels: number,
    itemBias: number,
    f: number,
    p0: number,
    p1: number,
    cut: number,
    w: number,
    outRow: number,
    outItem: number,
    outScore: number,
  ): number;
}

/** A region of an instance's memory: its byte offset and a typed view of it. */
export interface KernelBuffer<T extends Float32Array | Int32Array> {
  readonly byteOffset: number;
  readonly view: T;
}

/**
 * One instance of the kernel module with its own memory, sized once for its owner's buffers (an
 * optimizer's tables and moments, a model's batch buffers). Buffers are carved out in order with
 * {@link KernelInstance.floats} / {@link KernelInstance.ints}; the memory never grows, so views
 * stay valid for the instance's life. An owner that needs more builds a new instance.
 */
export class KernelInstance {
  readonly exports: KernelExports;
  readonly memory: WebAssembly.Memory;
  #next = FIRST_FREE;
  readonly #end: number;

  private constructor(module: WebAssembly.Module, memory: WebAssembly.Memory) {
    this.memory = memory;
    this.#end = memory.buffer.byteLength;
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    this.exports = instance.exports as unknown as KernelExports;
  }

  /**
   * An instance with room for buffers of `bytes` in all (count each buffer rounded up to 16
   * bytes), or undefined when the kernels are unavailable here (see `wasmKernelModule`). With
   * `shared`, the memory is a shared `WebAssembly.Memory` (its `buffer` a `SharedArrayBuffer`)
   * that can be posted to workers, which run the same kernels on it with
   * {@link KernelInstance.attach}; undefined where shared memory is unavailable
   * (`sharedWasmKernelModule`).
   */
  static create(bytes: number, options: { shared?: boolean } = {}): KernelInstance | undefined {
    const module = options.shared ? sharedWasmKernelModule() : wasmKernelModule();
    if (!module) return undefined;
    const pages = Math.ceil((FIRST_FREE + bytes) / PAGE);
    const memory = new WebAssembly.Memory(
      options.shared
        ? { initial: pages, maximum: pages, shared: true }
        : { initial: pages, maximum: pages },
    );
    return new KernelInstance(module, memory);
  }

  /**
   * The kernels on a shared memory another thread created (`create(bytes, { shared: true })`)
   * and posted here, to call the kernels on buffers whose offsets the creator laid out (this
   * instance carves nothing). Undefined where shared kernels are unavailable.
   */
  static attach(memory: WebAssembly.Memory): KernelInstance | undefined {
    const module = sharedWasmKernelModule();
    if (!module) return undefined;
    const instance = new KernelInstance(module, memory);
    instance.#next = instance.#end;
    return instance;
  }

  /** Bytes a buffer of `count` 4-byte elements takes (16-byte aligned). */
  static bytesFor(count: number): number {
    return Math.ceil((count * 4) / 16) * 16;
  }

  /** A zeroed float32 buffer of `count` elements. */
  floats(count: number): KernelBuffer<Float32Array> {
    const at = this.#take(count);
    return { byteOffset: at, view: new Float32Array(this.memory.buffer, at, count) };
  }

  /** A zeroed int32 buffer of `count` elements. */
  ints(count: number): KernelBuffer<Int32Array> {
    const at = this.#take(count);
    return { byteOffset: at, view: new Int32Array(this.memory.buffer, at, count) };
  }

  #take(count: number): number {
    const at = this.#next;
    const size = KernelInstance.bytesFor(count);
    if (at + size > this.#end) {
      throw new RangeError(
        `kernel instance out of room: ${size} bytes asked, ${this.#end - at} left (size it with KernelInstance.bytesFor)`,
      );
    }
    this.#next = at + size;
    return at;
  }
}
