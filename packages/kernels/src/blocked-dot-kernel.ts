import { KernelInstance } from './kernel-instance.js';

/** Items per panel: the WebAssembly kernel scores four users × eight items at a time. */
const PANEL = 8;

/** What {@link BlockedDotKernel.create} packs: the item side of a dot-product model. */
export interface BlockedDotItems {
  /** `[nItems, nFactors]` item factors, row-major. */
  readonly factors: Float32Array;
  /** `[nItems]` item biases, or undefined for none. */
  readonly bias?: Float32Array | undefined;
  readonly nItems: number;
  readonly nFactors: number;
  /**
   * `[nFactors]`: score with `Σ_d w[d] · max(user[d] + item[d], 0)` instead of the dot product (a
   * one-hidden-layer MLP whose first layer is split into a user part and an item part; `factors`
   * then holds the item parts, the user rows the user parts plus the layer's bias).
   */
  readonly reluWeights?: Float32Array | undefined;
}

/** Options of {@link BlockedDotKernel.create}. */
export interface BlockedDotKernelOptions {
  /** Users per block (rounded up to a multiple of 4). Default 64. */
  blockUsers?: number;
  /** Items per call of {@link BlockedDotKernel.score} (rounded up to a multiple of 8). Default 1024. */
  blockItems?: number;
  /** Use the WebAssembly SIMD kernel when this platform can (default true); false: the JavaScript twin. */
  wasm?: boolean;
}

/**
 * Approximate scores `userBase[u] + itemBias[i] + userFactors[u] · itemFactors[i]` (or, with
 * `reluWeights`, `Σ_d w[d] · max(user[u, d] + item[i, d], 0)` in place of the dot product) of a block of
 * users against a range of items, of which only those above each user's `cut` come back: the
 * first stage of a blocked top-k (the caller keeps a running top-k per user, raises the cuts, and
 * rescores its few candidates exactly). The item table is packed once, eight items to a panel.
 *
 * Two implementations with the same entries (up to float rounding): the WebAssembly SIMD kernel
 * (float32, four users × eight items per tile) and a JavaScript twin (float64 sums, one user × eight
 * items). A score's error is below `(nFactors + 2) · 2⁻²⁴ · Σ|terms|` in both; callers that need
 * exact results (cf's `recommendForAll`) widen their cut by that bound.
 */
export class BlockedDotKernel {
  readonly nItems: number;
  readonly nFactors: number;
  readonly blockUsers: number;
  readonly blockItems: number;
  /** True when the WebAssembly kernel runs; false for the JavaScript twin. */
  readonly usesWasm: boolean;
  /** `[blockUsers, nFactors]`: the block's user rows (write them before {@link score}; zero the unused rows). */
  readonly users: Float32Array;
  /** `[blockUsers]`: per user constant (global + user bias). */
  readonly userBase: Float32Array;
  /** `[blockUsers]`: a score must be strictly above its user's cut to be returned. */
  readonly cut: Float32Array;
  /** Entries of the last {@link score} call: row in the block, item index, approximate score. */
  readonly outRow: Int32Array;
  readonly outItem: Int32Array;
  readonly outScore: Float32Array;
  readonly #panels: Float32Array;
  readonly #relu: Float32Array | undefined;
  readonly #lanes = new Float32Array(PANEL);
  readonly #itemBias: Float32Array;
  readonly #instance: KernelInstance | undefined;
  readonly #offsets: Record<
    | 'users'
    | 'userBase'
    | 'cut'
    | 'panels'
    | 'itemBias'
    | 'relu'
    | 'outRow'
    | 'outItem'
    | 'outScore',
    number
  >;

  private constructor(items: BlockedDotItems, options: BlockedDotKernelOptions) {
    const f = items.nFactors;
    const nItems = items.nItems;
    if (!(Number.isInteger(f) && f >= 1)) throw new RangeError(`nFactors must be ≥ 1, got ${f}`);
    if (items.factors.length !== nItems * f)
      throw new RangeError(
        `item factors have ${items.factors.length} values, expected nItems × nFactors = ${nItems * f}`,
      );
    if (items.reluWeights && items.reluWeights.length !== f)
      throw new RangeError(
        `reluWeights has ${items.reluWeights.length} values, expected nFactors = ${f}`,
      );
    if (items.bias && items.bias.length !== nItems)
      throw new RangeError(`item bias has ${items.bias.length} values, expected ${nItems}`);
    this.nItems = nItems;
    this.nFactors = f;
    this.blockUsers = Math.max(4, Math.ceil((options.blockUsers ?? 64) / 4) * 4);
    this.blockItems = Math.max(PANEL, Math.ceil((options.blockItems ?? 1024) / PANEL) * PANEL);
    const nPanels = Math.ceil(nItems / PANEL);
    const capacity = this.blockUsers * this.blockItems;
    const counts = {
      users: this.blockUsers * f,
      userBase: this.blockUsers,
      cut: this.blockUsers,
      panels: nPanels * PANEL * f,
      itemBias: nPanels * PANEL,
      relu: items.reluWeights ? f : 0,
      outRow: capacity,
      outItem: capacity,
      outScore: capacity,
    };
    const bytes = Object.values(counts).reduce((s, n) => s + KernelInstance.bytesFor(n), 0);
    const instance = options.wasm === false ? undefined : KernelInstance.create(bytes);
    this.#instance = instance;
    this.usesWasm = instance !== undefined;
    const offsets = {} as Record<keyof typeof counts, number>;
    const f32 = (key: keyof typeof counts): Float32Array => {
      if (!instance) return new Float32Array(counts[key]);
      const b = instance.floats(counts[key]);
      offsets[key] = b.byteOffset;
      return b.view;
    };
    const i32 = (key: keyof typeof counts): Int32Array => {
      if (!instance) return new Int32Array(counts[key]);
      const b = instance.ints(counts[key]);
      offsets[key] = b.byteOffset;
      return b.view;
    };
    this.users = f32('users');
    this.userBase = f32('userBase');
    this.cut = f32('cut');
    this.#panels = f32('panels');
    this.#itemBias = f32('itemBias');
    const relu = f32('relu');
    if (items.reluWeights) relu.set(items.reluWeights);
    this.#relu = items.reluWeights ? relu : undefined;
    this.outRow = i32('outRow');
    this.outItem = i32('outItem');
    this.outScore = f32('outScore');
    this.#offsets = offsets;
    // pack: panel p holds items 8p..8p+7 as [f][8]; padding items score −∞ (never above a cut)
    const panels = this.#panels;
    const factors = items.factors;
    for (let i = 0; i < nItems; i++) {
      const base = (i >> 3) * PANEL * f + (i & 7);
      const row = i * f;
      for (let d = 0; d < f; d++) panels[base + d * PANEL] = factors[row + d]!;
    }
    const ib = this.#itemBias;
    if (items.bias) ib.set(items.bias);
    ib.fill(-Infinity, nItems);
  }

  /** Packs the item table (a copy: the kernel keeps no reference to `items`). */
  static create(items: BlockedDotItems, options: BlockedDotKernelOptions = {}): BlockedDotKernel {
    return new BlockedDotKernel(items, options);
  }

  /**
   * Scores users `0 .. nUsers-1` of the block (their rows, bases and cuts already written) against
   * items `item0 .. item0 + blockItems − 1` (`item0` a multiple of 8; clipped at `nItems`) and
   * returns how many entries it wrote to {@link outRow} / {@link outItem} / {@link outScore}: per
   * group of four users, each user's items ascending.
   */
  score(nUsers: number, item0: number): number {
    if (!(nUsers >= 0 && nUsers <= this.blockUsers))
      throw new RangeError(`nUsers ${nUsers} is outside 0..${this.blockUsers}`);
    if (item0 % PANEL !== 0) throw new RangeError(`item0 ${item0} is not a multiple of ${PANEL}`);
    const p0 = item0 / PANEL;
    const p1 = Math.min(Math.ceil(this.nItems / PANEL), p0 + this.blockItems / PANEL);
    const nu = Math.ceil(nUsers / 4) * 4;
    // rows past nUsers in the last group of four: never above their cut
    this.cut.fill(Infinity, nUsers, nu);
    if (this.#instance) {
      const o = this.#offsets;
      if (this.#relu)
        return this.#instance.exports.reluTiles(
          o.users,
          o.userBase,
          nu,
          o.panels,
          o.itemBias,
          this.nFactors,
          p0,
          p1,
          o.cut,
          o.relu,
          o.outRow,
          o.outItem,
          o.outScore,
        );
      return this.#instance.exports.scoreTiles(
        o.users,
        o.userBase,
        nu,
        o.panels,
        o.itemBias,
        this.nFactors,
        p0,
        p1,
        o.cut,
        o.outRow,
        o.outItem,
        o.outScore,
      );
    }
    return this.#relu ? this.#reluJs(nu, p0, p1, this.#relu) : this.#scoreJs(nu, p0, p1);
  }

  /** The JavaScript twin of `scoreTiles`: the same entries in the same order, sums in float64. */
  #scoreJs(nu: number, p0: number, p1: number): number {
    const f = this.nFactors;
    const users = this.users;
    const panels = this.#panels;
    const ib = this.#itemBias;
    const { outRow, outItem, outScore, cut, userBase } = this;
    let count = 0;
    for (let q = 0; q < nu; q += 4) {
      for (let p = p0; p < p1; p++) {
        const pp = p * PANEL * f;
        for (let r = q; r < q + 4; r++) {
          const c = cut[r]!;
          const ur = r * f;
          const base = userBase[r]!;
          const i0 = p * PANEL;
          let s0 = base + ib[i0]!;
          let s1 = base + ib[i0 + 1]!;
          let s2 = base + ib[i0 + 2]!;
          let s3 = base + ib[i0 + 3]!;
          let s4 = base + ib[i0 + 4]!;
          let s5 = base + ib[i0 + 5]!;
          let s6 = base + ib[i0 + 6]!;
          let s7 = base + ib[i0 + 7]!;
          for (let d = 0; d < f; d++) {
            const x = users[ur + d]!;
            const o = pp + d * PANEL;
            s0 += x * panels[o]!;
            s1 += x * panels[o + 1]!;
            s2 += x * panels[o + 2]!;
            s3 += x * panels[o + 3]!;
            s4 += x * panels[o + 4]!;
            s5 += x * panels[o + 5]!;
            s6 += x * panels[o + 6]!;
            s7 += x * panels[o + 7]!;
          }
          // s ≤ c implies fround(s) ≤ c (c is a float32): most tiles end here
          if (!(s0 > c || s1 > c || s2 > c || s3 > c || s4 > c || s5 > c || s6 > c || s7 > c))
            continue;
          const lanes = this.#lanes;
          lanes[0] = s0;
          lanes[1] = s1;
          lanes[2] = s2;
          lanes[3] = s3;
          lanes[4] = s4;
          lanes[5] = s5;
          lanes[6] = s6;
          lanes[7] = s7;
          for (let lane = 0; lane < PANEL; lane++) {
            const v = lanes[lane]!;
            if (!(v > c)) continue;
            outRow[count] = r;
            outItem[count] = i0 + lane;
            outScore[count] = v;
            count++;
          }
        }
      }
    }
    return count;
  }
  /** The JavaScript twin of `reluTiles`. */
  #reluJs(nu: number, p0: number, p1: number, w: Float32Array): number {
    const f = this.nFactors;
    const users = this.users;
    const panels = this.#panels;
    const ib = this.#itemBias;
    const { outRow, outItem, outScore, cut, userBase } = this;
    let count = 0;
    for (let q = 0; q < nu; q += 4) {
      for (let p = p0; p < p1; p++) {
        const pp = p * PANEL * f;
        for (let r = q; r < q + 4; r++) {
          const c = cut[r]!;
          const ur = r * f;
          const base = userBase[r]!;
          const i0 = p * PANEL;
          let s0 = base + ib[i0]!;
          let s1 = base + ib[i0 + 1]!;
          let s2 = base + ib[i0 + 2]!;
          let s3 = base + ib[i0 + 3]!;
          let s4 = base + ib[i0 + 4]!;
          let s5 = base + ib[i0 + 5]!;
          let s6 = base + ib[i0 + 6]!;
          let s7 = base + ib[i0 + 7]!;
          for (let d = 0; d < f; d++) {
            const x = users[ur + d]!;
            const wd = w[d]!;
            const o = pp + d * PANEL;
            s0 += wd * Math.max(x + panels[o]!, 0);
            s1 += wd * Math.max(x + panels[o + 1]!, 0);
            s2 += wd * Math.max(x + panels[o + 2]!, 0);
            s3 += wd * Math.max(x + panels[o + 3]!, 0);
            s4 += wd * Math.max(x + panels[o + 4]!, 0);
            s5 += wd * Math.max(x + panels[o + 5]!, 0);
            s6 += wd * Math.max(x + panels[o + 6]!, 0);
            s7 += wd * Math.max(x + panels[o + 7]!, 0);
          }
          // s ≤ c implies fround(s) ≤ c (c is a float32): most tiles end here
          if (!(s0 > c || s1 > c || s2 > c || s3 > c || s4 > c || s5 > c || s6 > c || s7 > c))
            continue;
          const lanes = this.#lanes;
          lanes[0] = s0;
          lanes[1] = s1;
          lanes[2] = s2;
          lanes[3] = s3;
          lanes[4] = s4;
          lanes[5] = s5;
          lanes[6] = s6;
          lanes[7] = s7;
          for (let lane = 0; lane < PANEL; lane++) {
            const v = lanes[lane]!;
            if (!(v > c)) continue;
            outRow[count] = r;
            outItem[count] = i0 + lane;
            outScore[count] = v;
            count++;
          }
        }
      }
    }
    return count;
  }
}
