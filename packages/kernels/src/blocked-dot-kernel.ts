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
  /**
   * Arithmetic of the scores (default `'float32'`). `'int16'` quantises the item factors once and
   * each user row per call to `L` levels (`L = ⌊√((2³¹ − 1) / (2 · ⌈f/2⌉))⌋`, at most 32,767), so
   * that the integer dot product is exact, and scales it back: twice the multiply-adds per
   * WebAssembly instruction and half the bytes per item, for a score error of at most
   * {@link BlockedDotKernel.quantizationErrorBound} (plus float32 rounding). Dot products only (not
   * with `reluWeights`).
   */
  precision?: BlockedDotPrecision;
}

/** Arithmetic of a {@link BlockedDotKernel}'s scores: float32, or int16-quantised factors. */
export type BlockedDotPrecision = 'float32' | 'int16';

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
 * exact results (cf's `recommendForAll`) widen their cut by that bound. With `precision: 'int16'`
 * the dot product is computed exactly on quantised factors (both implementations get the same
 * integers) and its error is at most {@link BlockedDotKernel.quantizationErrorBound} on top.
 */
export class BlockedDotKernel {
  readonly nItems: number;
  readonly nFactors: number;
  readonly blockUsers: number;
  readonly blockItems: number;
  /** True when the WebAssembly kernel runs; false for the JavaScript twin. */
  readonly usesWasm: boolean;
  /** The arithmetic of the scores (see {@link BlockedDotKernelOptions.precision}). */
  readonly precision: BlockedDotPrecision;
  /** int16: the levels `L` each side is quantised to (factor `x` becomes `round(x / step)`, `|·| ≤ L`); float32: 0. */
  readonly quantizationLevels: number;
  /** int16: the items' quantisation step (their largest `|factor|` / L); float32: 0. */
  readonly itemStep: number;
  /** int16: the largest `Σ_d |item[i, d]|` over the items; float32: 0. */
  readonly maxItemAbsSum: number;
  /**
   * `[blockUsers, nFactors]`: the block's user rows (write them before {@link score}; zero the unused
   * rows). With int16, a row written here directly is quantised again at every {@link score} call;
   * {@link setUser} and {@link moveUser} quantise it once (a row they wrote must not then be
   * changed here).
   */
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
  /** int16: `[panels][⌈f/2⌉][8][2]` quantised items, `[blockUsers][2⌈f/2⌉]` quantised users, `[blockUsers]` scales. */
  readonly #panels16: Int16Array | undefined;
  readonly #users16: Int16Array | undefined;
  readonly #userScale: Float32Array | undefined;
  /** int16: 1 where {@link setUser} / {@link moveUser} quantised the row (else quantised at each call). */
  readonly #userQuantized: Uint8Array | undefined;
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
    | 'outScore'
    | 'users16'
    | 'userScale'
    | 'panels16',
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
    const precision = options.precision ?? 'float32';
    if (precision !== 'float32' && precision !== 'int16')
      throw new RangeError(`precision must be 'float32' or 'int16', got ${String(precision)}`);
    if (precision === 'int16' && items.reluWeights)
      throw new RangeError("precision 'int16' scores dot products only, not reluWeights");
    this.precision = precision;
    const quantized = precision === 'int16';
    const f2 = Math.ceil(f / 2);
    // 2 · f2 products of at most L² each: the int32 sums never overflow
    const levels = quantized ? Math.min(32767, Math.floor(Math.sqrt((2 ** 31 - 1) / (2 * f2)))) : 0;
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
      panels: quantized ? 0 : nPanels * PANEL * f,
      itemBias: nPanels * PANEL,
      relu: items.reluWeights ? f : 0,
      outRow: capacity,
      outItem: capacity,
      outScore: capacity,
      // int16 buffers, counted in 4-byte elements (two int16 each)
      users16: quantized ? this.blockUsers * f2 : 0,
      userScale: quantized ? this.blockUsers : 0,
      panels16: quantized ? nPanels * PANEL * f2 : 0,
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
    const i16 = (key: keyof typeof counts): Int16Array => {
      const ints = i32(key);
      return new Int16Array(ints.buffer, ints.byteOffset, ints.length * 2);
    };
    this.#users16 = quantized ? i16('users16') : undefined;
    this.#userScale = quantized ? f32('userScale') : undefined;
    this.#userQuantized = quantized ? new Uint8Array(this.blockUsers) : undefined;
    this.#panels16 = quantized ? i16('panels16') : undefined;
    this.#offsets = offsets;
    const factors = items.factors;
    this.quantizationLevels = levels;
    let itemStep = 0;
    let maxItemAbsSum = 0;
    if (this.#panels16) {
      // one step for every item: the largest |factor| maps to L. Panel p holds, per pair of
      // dimensions t, items 8p..8p+7 as [item][2t, 2t + 1] (what i32x4.dot_i16x8_s pairs up)
      let maxAbs = 0;
      for (let j = 0; j < factors.length; j++) maxAbs = Math.max(maxAbs, Math.abs(factors[j]!));
      itemStep = maxAbs > 0 && Number.isFinite(maxAbs) ? maxAbs / levels : 0;
      const panels = this.#panels16;
      for (let i = 0; i < nItems; i++) {
        const base = (i >> 3) * PANEL * 2 * f2 + (i & 7) * 2;
        const row = i * f;
        let absSum = 0;
        for (let d = 0; d < f; d++) {
          const x = factors[row + d]!;
          absSum += Math.abs(x);
          panels[base + (d >> 1) * PANEL * 2 + (d & 1)] = quantize(x, itemStep, levels);
        }
        maxItemAbsSum = Math.max(maxItemAbsSum, absSum);
      }
    } else {
      // pack: panel p holds items 8p..8p+7 as [f][8]; padding items score −∞ (never above a cut)
      const panels = this.#panels;
      for (let i = 0; i < nItems; i++) {
        const base = (i >> 3) * PANEL * f + (i & 7);
        const row = i * f;
        for (let d = 0; d < f; d++) panels[base + d * PANEL] = factors[row + d]!;
      }
    }
    this.itemStep = itemStep;
    this.maxItemAbsSum = maxItemAbsSum;
    const ib = this.#itemBias;
    if (items.bias) ib.set(items.bias);
    ib.fill(-Infinity, nItems);
  }

  /** Packs the item table (a copy: the kernel keeps no reference to `items`). */
  static create(items: BlockedDotItems, options: BlockedDotKernelOptions = {}): BlockedDotKernel {
    return new BlockedDotKernel(items, options);
  }

  /**
   * With `precision: 'int16'`: a bound on `|user · item − approximate dot product|` over every
   * item, for the user row `row[offset .. offset + nFactors − 1]` (float32 values, as written to
   * {@link users}), covering the quantisation of both sides and the float32 conversion and scaling
   * of the integer sum; the bias additions' float32 rounding is the caller's `2⁻²⁴ · Σ|terms|`.
   * 0 for float32; Infinity for a row with a non-finite value.
   */
  quantizationErrorBound(row: ArrayLike<number>, offset = 0): number {
    if (this.precision !== 'int16') return 0;
    const f = this.nFactors;
    let maxAbs = 0;
    let absSum = 0;
    for (let d = 0; d < f; d++) {
      const x = Math.abs(row[offset + d]!);
      if (!Number.isFinite(x)) return Infinity;
      absSum += x;
      if (x > maxAbs) maxAbs = x;
    }
    const step = maxAbs / this.quantizationLevels;
    const sq = this.itemStep;
    // u·q − s_u s_q Σ ũ q̃ = s_q Σ δu_d q̃_d + Σ u_d δq_d with |δ| ≤ step / 2, and
    // s_q Σ |q̃_d| ≤ Σ |q_d| + f s_q / 2; the int32 sum (≤ f L²) and the scale s_u s_q each round
    // once to float32 (2⁻²⁴ relative each)
    const bound =
      (sq / 2) * absSum +
      (step / 2) * (this.maxItemAbsSum + (f * sq) / 2) +
      2 ** -22 * f * maxAbs * (sq * this.quantizationLevels);
    // a subnormal scale rounds by up to 2⁻¹⁵⁰ absolute, times |sum| ≤ f L² ≤ 2³¹
    return bound * (1 + 2 ** -20) + 2 ** -118;
  }

  /**
   * Writes user row `row` of the block: its factors `values[offset .. offset + nFactors − 1]` and its
   * base (global + user bias); with int16 also its quantised row, once, instead of at every
   * {@link score} call. The cut is left as it was.
   */
  setUser(row: number, values: ArrayLike<number>, offset: number, base: number): void {
    const f = this.nFactors;
    for (let d = 0; d < f; d++) this.users[row * f + d] = values[offset + d]!;
    this.userBase[row] = base;
    if (this.#userQuantized) {
      this.#quantizeRow(row);
      this.#userQuantized[row] = 1;
    }
  }

  /** Moves user row `from` of the block to row `to` (factors, base, cut and, with int16, its quantised row). */
  moveUser(from: number, to: number): void {
    const f = this.nFactors;
    this.users.copyWithin(to * f, from * f, (from + 1) * f);
    this.userBase[to] = this.userBase[from]!;
    this.cut[to] = this.cut[from]!;
    if (this.#userQuantized) {
      const width = 2 * Math.ceil(f / 2);
      this.#users16!.copyWithin(to * width, from * width, (from + 1) * width);
      this.#userScale![to] = this.#userScale![from]!;
      this.#userQuantized[to] = this.#userQuantized[from]!;
    }
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
    if (this.#users16) this.#quantizeUsers(nu);
    if (this.#instance) {
      const o = this.#offsets;
      if (this.#users16)
        return this.#instance.exports.scoreTilesI16(
          o.users16,
          o.userScale,
          o.userBase,
          nu,
          o.panels16,
          o.itemBias,
          Math.ceil(this.nFactors / 2),
          p0,
          p1,
          o.cut,
          o.outRow,
          o.outItem,
          o.outScore,
        );
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
    if (this.#users16) return this.#scoreI16Js(nu, p0, p1);
    return this.#relu ? this.#reluJs(nu, p0, p1, this.#relu) : this.#scoreJs(nu, p0, p1);
  }

  /** int16: quantises the rows 0..nu−1 of {@link users} that {@link setUser} / {@link moveUser} did not. */
  #quantizeUsers(nu: number): void {
    const done = this.#userQuantized!;
    for (let r = 0; r < nu; r++) if (done[r] === 0) this.#quantizeRow(r);
  }

  /** int16: row `r` of {@link users} quantised, and its scale (shared by both implementations). */
  #quantizeRow(r: number): void {
    const f = this.nFactors;
    const users = this.users;
    const users16 = this.#users16!;
    const levels = this.quantizationLevels;
    let maxAbs = 0;
    for (let d = 0; d < f; d++) maxAbs = Math.max(maxAbs, Math.abs(users[r * f + d]!));
    const step = maxAbs > 0 && Number.isFinite(maxAbs) ? maxAbs / levels : 0;
    const at = r * 2 * Math.ceil(f / 2);
    for (let d = 0; d < f; d++) users16[at + d] = quantize(users[r * f + d]!, step, levels);
    this.#userScale![r] = step * this.itemStep;
  }

  /** Writes the lanes of {@link #lanes} above `c` as row `r`'s entries for items `i0 ..`; returns the new count. */
  #emitLanes(r: number, i0: number, c: number, count: number): number {
    const { outRow, outItem, outScore } = this;
    const lanes = this.#lanes;
    for (let lane = 0; lane < PANEL; lane++) {
      const v = lanes[lane]!;
      if (!(v > c)) continue;
      outRow[count] = r;
      outItem[count] = i0 + lane;
      outScore[count] = v;
      count++;
    }
    return count;
  }

  /** The JavaScript twin of `scoreTilesI16`: the same integer dot products, scaled in float64. */
  #scoreI16Js(nu: number, p0: number, p1: number): number {
    const f2 = Math.ceil(this.nFactors / 2);
    const users = this.#users16!;
    const scale = this.#userScale!;
    const panels = this.#panels16!;
    const ib = this.#itemBias;
    const { cut, userBase } = this;
    const sums = new Float64Array(PANEL);
    let count = 0;
    for (let q = 0; q < nu; q += 4) {
      for (let p = p0; p < p1; p++) {
        const pp = p * PANEL * 2 * f2;
        for (let r = q; r < q + 4; r++) {
          const c = cut[r]!;
          const ur = r * 2 * f2;
          sums.fill(0);
          for (let t = 0; t < f2; t++) {
            const x0 = users[ur + 2 * t]!;
            const x1 = users[ur + 2 * t + 1]!;
            const o = pp + t * PANEL * 2;
            for (let lane = 0; lane < PANEL; lane++)
              sums[lane] =
                sums[lane]! + x0 * panels[o + 2 * lane]! + x1 * panels[o + 2 * lane + 1]!;
          }
          const base = userBase[r]!;
          const s = scale[r]!;
          const i0 = p * PANEL;
          const lanes = this.#lanes;
          for (let lane = 0; lane < PANEL; lane++)
            lanes[lane] = base + ib[i0 + lane]! + sums[lane]! * s;
          count = this.#emitLanes(r, i0, c, count);
        }
      }
    }
    return count;
  }

  /** The JavaScript twin of `scoreTiles`: the same entries in the same order, sums in float64. */
  #scoreJs(nu: number, p0: number, p1: number): number {
    const f = this.nFactors;
    const users = this.users;
    const panels = this.#panels;
    const ib = this.#itemBias;
    const { cut, userBase } = this;
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
          count = this.#emitLanes(r, i0, c, count);
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
    const { cut, userBase } = this;
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
          count = this.#emitLanes(r, i0, c, count);
        }
      }
    }
    return count;
  }
}

/** `round(x / step)` clamped to ±levels (0 for a zero step or a non-finite x). */
function quantize(x: number, step: number, levels: number): number {
  if (step === 0 || !Number.isFinite(x)) return 0;
  return Math.max(-levels, Math.min(levels, Math.round(x / step)));
}
