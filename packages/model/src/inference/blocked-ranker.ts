import { BlockedDotKernel, type BlockedDotPrecision } from '@cf/kernels';
import type { ScoringModel } from './scoring-model.js';
import { scoreItemsByPredict } from './score-items-by-predict.js';
import { TopK } from './top-k.js';
import {
  dotProductForm,
  float32AtOrBelow,
  rawCutBelow,
  rawCutStrictlyBelow,
  type DotProductForm,
} from './dot-product-form.js';

/** Options of {@link BlockedRanker.create}. */
export interface BlockedRankerOptions {
  /** Use the WebAssembly SIMD kernel where the platform has it (default true); false: its JavaScript twin. */
  wasm?: boolean;
  /** Users scored together (default 64). */
  blockUsers?: number;
  /**
   * Items per kernel call (default 256 when pruning, where a user may stop after any block, else
   * 1024).
   */
  blockItems?: number;
  /**
   * Score the items in order of decreasing norm and stop a user once no remaining item can reach
   * their top-k (default true; the dot-product forms only, the ReLU form is always scanned whole).
   */
  prune?: boolean;
  /**
   * The kernel's arithmetic (default `'int16'` for the dot-product forms; the ReLU form always
   * scores in float32): `'int16'` quantises the factors and computes exact integer dot products,
   * twice the multiply-adds per WebAssembly instruction of `'float32'`, and widens each user's cut
   * by the quantisation error bound, so the lists are the same either way (a few more items may be
   * rescored exactly).
   */
  precision?: BlockedDotPrecision;
}

/** Options of {@link BlockedRanker.rank}. */
export interface BlockedRankOptions {
  k: number;
  /** Items to leave out for the user at position `p`: ascending, or undefined for none. */
  excluded?: ((position: number) => Int32Array | undefined) | undefined;
}

/** What a {@link BlockedRanker} has done so far (every {@link BlockedRanker.rank} call added up). */
export interface BlockedRankerWork {
  /** Users ranked. */
  users: number;
  /** (user, item) pairs the kernel scored: at most users × items, fewer when pruning stopped users early. */
  scored: number;
  /** Items rescored exactly by the model (those that passed their user's cut). */
  candidates: number;
}

/** Relative error bound of a float32 score of `f` factors (a float32 reference model included). */
function errorFactor(f: number): number {
  return 2 * (f + 8) * 2 ** -24 * 1.1;
}

/**
 * The largest `Σ|terms|` of a user the float32 kernel is trusted with: below it no partial sum can
 * overflow (float32 ends near 2¹²⁸), so the error bound holds. Past it (or for a non-finite
 * parameter) the kernel may return ±Infinity or NaN where the model's float64 score is finite.
 */
const KERNEL_SAFE_TERMS = 2 ** 127;

/**
 * The top-k items of many users for a dot-product model ({@link dotProductForm}: EmbeddingDotBias,
 * biased MF, implicit MF; and the notebook's one-hidden-layer EmbeddingNet in its ReLU form, see
 * there), ranking every item, with the same result as `rankItems` (same items,
 * same scores, same order, ties to the lower item index) at a fraction of its cost.
 *
 * How: a block of users is scored against a block of items at once by {@link BlockedDotKernel}
 * (WebAssembly SIMD in float32, or its JavaScript twin), which returns only the raw scores above
 * each user's cut. Per user, a running top-k of those approximate raw scores gives a bound on the
 * k-th best exact prediction; the cut is the raw score below which no item can still reach the
 * top-k, widened by the float32 error bound (`2 (f + 8) 2⁻²⁴ Σ|terms|`, per user). The few items
 * that pass (the user's seen items skipped) are then scored exactly by the model's own
 * `scoreItemsForUser` and offered to a {@link TopK} in item order, so the result is the reference
 * result bit for bit; no users × items matrix is formed. A user whose `Σ|terms|` is not finite or
 * could overflow float32 (past 2¹²⁷, where the kernel may return ±Infinity or NaN for a finite
 * score) skips the kernel: every item they have not seen is rescored.
 */
export class BlockedRanker {
  readonly #model: Pick<ScoringModel, 'predict' | 'scoreItemsForUser' | 'parameters'>;
  readonly #form: DotProductForm;
  readonly #kernel: BlockedDotKernel;
  readonly #versions: number[];
  readonly #userScale: Float64Array;
  readonly #nItems: number;
  /** Pruning: item at each kernel position (decreasing norm), else undefined (item order). */
  readonly #order: Int32Array | undefined;
  /** Pruning: at each position, the largest item norm and item bias from there on. */
  readonly #suffixNorm: Float64Array | undefined;
  readonly #suffixBias: Float64Array | undefined;
  /** Pruning: ‖p_u‖ per user. */
  readonly #userNorm: Float64Array | undefined;
  readonly #work: BlockedRankerWork = { users: 0, scored: 0, candidates: 0 };

  private constructor(
    model: Pick<ScoringModel, 'predict' | 'scoreItemsForUser' | 'parameters' | 'config'>,
    form: DotProductForm,
    options: BlockedRankerOptions,
  ) {
    this.#model = model;
    this.#form = form;
    const f = form.nFactors;
    const nItems = model.config.nItems;
    this.#nItems = nItems;
    this.#versions = model.parameters.map((p) => p.version);
    const relu = form.reluWeights;
    const prune = options.prune !== false && !relu && nItems > 0;
    const precision: BlockedDotPrecision = relu ? 'float32' : (options.precision ?? 'int16');
    if (prune) {
      // items by decreasing ‖q_i‖ (ties: lower index first); the kernel gets them in that order
      const norm = new Float64Array(nItems);
      for (let i = 0; i < nItems; i++) {
        let s = 0;
        for (let d = 0; d < f; d++) s += form.itemFactors[i * f + d]! ** 2;
        norm[i] = Math.sqrt(s);
      }
      const order = Int32Array.from({ length: nItems }, (_, i) => i).sort(
        (a, b) => norm[b]! - norm[a]! || a - b,
      );
      const factors = new Float32Array(nItems * f);
      const bias = form.itemBias ? new Float32Array(nItems) : undefined;
      const suffixNorm = new Float64Array(nItems + 1);
      const suffixBias = new Float64Array(nItems + 1).fill(-Infinity);
      for (let j = 0; j < nItems; j++) {
        const i = order[j]!;
        factors.set(form.itemFactors.subarray(i * f, (i + 1) * f), j * f);
        if (bias) bias[j] = form.itemBias![i]!;
      }
      // running maxima from the end (not just the sorted norms: a NaN norm, which sorts anywhere,
      // must make every bound before it NaN, which never stops a user)
      for (let j = nItems - 1; j >= 0; j--) {
        suffixNorm[j] = Math.max(suffixNorm[j + 1]!, norm[order[j]!]!);
        suffixBias[j] = Math.max(suffixBias[j + 1]!, bias ? bias[j]! : 0);
      }
      this.#order = order;
      this.#suffixNorm = suffixNorm;
      this.#suffixBias = suffixBias;
      this.#kernel = BlockedDotKernel.create(
        { factors, bias, nItems, nFactors: f, reluWeights: undefined },
        { ...options, blockItems: options.blockItems ?? 256, precision },
      );
    } else {
      this.#kernel = BlockedDotKernel.create(
        {
          factors: form.itemFactors,
          bias: form.itemBias,
          nItems,
          nFactors: f,
          reluWeights: relu,
        },
        { ...options, precision },
      );
    }
    // per user, Σ|terms| ≤ |μ| + |b_u| + max|b_i| + ‖p_u‖ · max‖q_i‖ (a dot product), or
    // |μ| + Σ_d |w_d| (|p_ud| + max_i |q_id|) (the ReLU form)
    const items = form.itemFactors;
    let maxItemNorm = 0;
    const maxAbs = new Float64Array(f);
    for (let i = 0; i < nItems; i++) {
      let s = 0;
      for (let d = 0; d < f; d++) {
        const v = items[i * f + d]!;
        s += v * v;
        if (Math.abs(v) > maxAbs[d]!) maxAbs[d] = Math.abs(v);
      }
      if (s > maxItemNorm) maxItemNorm = s;
    }
    maxItemNorm = Math.sqrt(maxItemNorm);
    let maxItemBias = 0;
    if (form.itemBias)
      for (const b of form.itemBias) maxItemBias = Math.max(maxItemBias, Math.abs(b));
    const nUsers = model.config.nUsers;
    const scale = new Float64Array(nUsers);
    const userNorm = prune ? new Float64Array(nUsers) : undefined;
    const users = form.userFactors;
    const e = errorFactor(f);
    for (let u = 0; u < nUsers; u++) {
      const ub = form.userBias ? Math.abs(form.userBias[u]!) : 0;
      let terms = Math.abs(form.globalBias) + ub + maxItemBias;
      if (relu) {
        for (let d = 0; d < f; d++)
          terms += Math.abs(relu[d]!) * (Math.abs(users[u * f + d]!) + maxAbs[d]!);
      } else {
        let s = 0;
        for (let d = 0; d < f; d++) s += users[u * f + d]! ** 2;
        terms += Math.sqrt(s) * maxItemNorm;
        if (userNorm) userNorm[u] = Math.sqrt(s);
      }
      // Infinity (also for NaN terms): the user's items all go to the exact rescoring, see rank;
      // with int16 factors, plus the quantisation error of the dot product
      scale[u] =
        terms <= KERNEL_SAFE_TERMS
          ? e * terms + 1e-30 + this.#kernel.quantizationErrorBound(users, u * f)
          : Infinity;
    }
    this.#userScale = scale;
    this.#userNorm = userNorm;
  }

  /**
   * A ranker for `model`, or undefined when its prediction is not a dot product
   * ({@link dotProductForm}): callers then use `rankItems`. Packs the item table (a copy); the
   * ranker refuses to rank once the model's parameters change (their versions).
   */
  static create(
    model: Pick<ScoringModel, 'predict' | 'scoreItemsForUser' | 'parameters' | 'config'>,
    options: BlockedRankerOptions = {},
  ): BlockedRanker | undefined {
    const form = dotProductForm(model);
    return form ? new BlockedRanker(model, form, options) : undefined;
  }

  /** What this ranker has done so far (a copy): users ranked, pairs scored, items rescored. */
  get work(): BlockedRankerWork {
    return { ...this.#work };
  }

  /** True when items are scored by decreasing norm and users stop early (see {@link BlockedRankerOptions.prune}). */
  get prunes(): boolean {
    return this.#order !== undefined;
  }

  /** True when the WebAssembly kernel scores; false for its JavaScript twin. */
  get usesWasm(): boolean {
    return this.#kernel.usesWasm;
  }

  /** One {@link TopK} per entry of `userIndex`, over every item but the excluded ones. */
  rank(userIndex: Int32Array, options: BlockedRankOptions): TopK[] {
    const { k } = options;
    if (this.#model.parameters.some((p, j) => p.version !== this.#versions[j]))
      throw new RangeError('the model changed since this BlockedRanker was built: build a new one');
    const heaps = Array.from(userIndex, () => new TopK(k));
    if (k === 0 || this.#nItems === 0) return heaps;
    const B = this.#kernel.blockUsers;
    for (let p0 = 0; p0 < userIndex.length; p0 += B) {
      const n = Math.min(B, userIndex.length - p0);
      this.#rankBlock(userIndex, p0, n, k, options.excluded, heaps);
    }
    return heaps;
  }

  #rankBlock(
    userIndex: Int32Array,
    p0: number,
    n: number,
    k: number,
    excludedOf: BlockedRankOptions['excluded'],
    heaps: TopK[],
  ): void {
    const kernel = this.#kernel;
    const form = this.#form;
    const f = form.nFactors;
    const head = form.head;
    const nItems = this.#nItems;
    const order = this.#order;
    // per user r of the block: approximate top-k (a min-heap of raw scores), cut, error bound,
    // seen-items cursor; the kernel holds the users still scanned in rows 0..active-1
    const approx = new Float64Array(n * k);
    const size = new Int32Array(n);
    const cut = new Float64Array(n).fill(-Infinity);
    const eps = new Float64Array(n);
    const base = new Float64Array(n);
    const excluded: (Int32Array | undefined)[] = [];
    const cursor = new Int32Array(n);
    const candidates: number[][] = [];
    const userOfRow = new Int32Array(n);
    let active = 0;
    for (let r = 0; r < n; r++) {
      const u = userIndex[p0 + r]!;
      if (!(Number.isInteger(u) && u >= 0 && u < this.#userScale.length))
        throw new RangeError(`user index ${u} is outside 0..${this.#userScale.length - 1}`);
      eps[r] = this.#userScale[u]!;
      const ex = excludedOf?.(p0 + r);
      excluded.push(ex);
      if (eps[r] === Infinity) {
        // scores the float32 kernel cannot bound (it may overflow to ±Infinity or NaN where the
        // model's score is finite): every item not excluded is a candidate, as in rankItems
        const all: number[] = [];
        let c = 0;
        for (let i = 0; i < nItems; i++) {
          while (ex && c < ex.length && ex[c]! < i) c++;
          if (!(ex && c < ex.length && ex[c] === i)) all.push(i);
        }
        candidates.push(all);
        continue;
      }
      candidates.push([]);
      const row = active++;
      const userBase = form.globalBias + (form.userBias ? form.userBias[u]! : 0);
      // with int16 the row is quantised here, once, not at every kernel call
      kernel.setUser(row, form.userFactors, u * f, userBase);
      kernel.cut[row] = -Infinity;
      base[r] = Math.max(Math.fround(userBase), userBase);
      userOfRow[row] = r;
    }
    this.#work.users += n;
    const { outRow, outItem, outScore } = kernel;
    for (let item0 = 0; item0 < nItems && active > 0; item0 += kernel.blockItems) {
      const count = kernel.score(active, item0);
      this.#work.scored += active * (Math.min(nItems, item0 + kernel.blockItems) - item0);
      for (let e = 0; e < count; e++) {
        const row = outRow[e]!;
        const r = userOfRow[row]!;
        const a = outScore[e]!;
        if (!(a > cut[r]!)) continue;
        const item = order ? order[outItem[e]!]! : outItem[e]!;
        const ex = excluded[r];
        if (ex) {
          if (order) {
            // items come by norm, not by index: a binary search of the ascending seen items
            let lo = 0;
            let hi = ex.length;
            while (lo < hi) {
              const mid = (lo + hi) >> 1;
              if (ex[mid]! < item) lo = mid + 1;
              else hi = mid;
            }
            if (lo < ex.length && ex[lo] === item) continue;
          } else {
            let c = cursor[r]!;
            while (c < ex.length && ex[c]! < item) c++;
            cursor[r] = c;
            if (c < ex.length && ex[c] === item) continue;
          }
        }
        candidates[r]!.push(item);
        // the running top-k of approximate scores, a min-heap in approx[r·k ..]
        const at = r * k;
        let m = size[r]!;
        if (m < k) {
          let c = m++;
          size[r] = m;
          while (c > 0) {
            const parent = (c - 1) >> 1;
            if (approx[at + parent]! <= a) break;
            approx[at + c] = approx[at + parent]!;
            c = parent;
          }
          approx[at + c] = a;
          if (m < k) continue;
        } else {
          if (!(a > approx[at]!)) continue;
          let c = 0;
          for (;;) {
            const l = 2 * c + 1;
            if (l >= k) break;
            const rr = l + 1;
            const s = rr < k && approx[at + rr]! < approx[at + l]! ? rr : l;
            if (approx[at + s]! >= a) break;
            approx[at + c] = approx[at + s]!;
            c = s;
          }
          approx[at + c] = a;
        }
        // the k kept items predict at least L = head(kth − eps). In item order every item still
        // to come has a higher index, so it enters the exact top-k only by predicting more than L;
        // in norm order it may have a lower index and enter by predicting L too
        const c = order
          ? rawCutStrictlyBelow(head, approx[at]! - eps[r]!) - eps[r]!
          : rawCutBelow(head, approx[at]! - eps[r]!) - eps[r]!;
        cut[r] = c;
        kernel.cut[row] = float32AtOrBelow(c);
      }
      const next = item0 + kernel.blockItems;
      if (!order || next >= nItems) continue;
      // a user is done once no item from `next` on can pass their cut: its approximate score is
      // at most base + ‖p_u‖ · max‖q_i‖ + max b_i + eps (Cauchy–Schwarz), plus eps for the
      // rounding of the norms; the last row still scanned takes a finished user's row
      const qNorm = this.#suffixNorm![next]!;
      const qBias = this.#suffixBias![next]!;
      const userNorm = this.#userNorm!;
      for (let row = 0; row < active;) {
        const r = userOfRow[row]!;
        const bound = base[r]! + userNorm[userIndex[p0 + r]!]! * qNorm + qBias + 2 * eps[r]!;
        if (!(size[r] === k && bound <= cut[r]!)) {
          row++;
          continue;
        }
        const last = --active;
        if (row !== last) {
          kernel.moveUser(last, row);
          userOfRow[row] = userOfRow[last]!;
        }
      }
    }
    // exact scores of the candidates, offered in item order (as rankItems does)
    const model = this.#model;
    for (let r = 0; r < n; r++) {
      const list = candidates[r]!;
      if (list.length === 0) continue;
      this.#work.candidates += list.length;
      const items = Int32Array.from(list);
      if (order) items.sort();
      const buffer = new Float32Array(items.length);
      const u = userIndex[p0 + r]!;
      const scores =
        model.scoreItemsForUser?.(u, items, buffer) ?? scoreItemsByPredict(model, u, items, buffer);
      const heap = heaps[p0 + r]!;
      // rankItems' test (items ascending): a score enters only above the heap's worst, so
      // -Infinity never does
      for (let j = 0; j < items.length; j++)
        if (scores[j]! > heap.threshold) heap.push(scores[j]!, items[j]!);
    }
  }
}
