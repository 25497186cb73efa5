import { BlockedDotKernel } from '@cf/kernels';
import type { ScoringModel } from './scoring-model.js';
import { scoreItemsByPredict } from './score-items-by-predict.js';
import { TopK } from './top-k.js';
import {
  dotProductForm,
  float32AtOrBelow,
  rawCutBelow,
  type DotProductForm,
} from './dot-product-form.js';

/** Options of {@link BlockedRanker.create}. */
export interface BlockedRankerOptions {
  /** Use the WebAssembly SIMD kernel where the platform has it (default true); false: its JavaScript twin. */
  wasm?: boolean;
  /** Users scored together (default 64). */
  blockUsers?: number;
  /** Items per kernel call (default 1024). */
  blockItems?: number;
}

/** Options of {@link BlockedRanker.rank}. */
export interface BlockedRankOptions {
  k: number;
  /** Items to leave out for the user at position `p`: ascending, or undefined for none. */
  excluded?: ((position: number) => Int32Array | undefined) | undefined;
}

/** Relative error bound of a float32 score of `f` factors (a float32 reference model included). */
function errorFactor(f: number): number {
  return 2 * (f + 8) * 2 ** -24 * 1.1;
}

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
 * result bit for bit; no users × items matrix is formed.
 */
export class BlockedRanker {
  readonly #model: Pick<ScoringModel, 'predict' | 'scoreItemsForUser' | 'parameters'>;
  readonly #form: DotProductForm;
  readonly #kernel: BlockedDotKernel;
  readonly #versions: number[];
  readonly #userScale: Float64Array;
  readonly #nItems: number;

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
    this.#kernel = BlockedDotKernel.create(
      {
        factors: form.itemFactors,
        bias: form.itemBias,
        nItems,
        nFactors: f,
        reluWeights: form.reluWeights,
      },
      options,
    );
    // per user, Σ|terms| ≤ |μ| + |b_u| + max|b_i| + ‖p_u‖ · max‖q_i‖ (a dot product), or
    // |μ| + Σ_d |w_d| (|p_ud| + max_i |q_id|) (the ReLU form)
    const items = form.itemFactors;
    const relu = form.reluWeights;
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
      }
      scale[u] = e * terms + 1e-30;
    }
    this.#userScale = scale;
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
    // per row: approximate top-k (a min-heap of raw scores), cut, error bound, seen-items cursor
    const approx = new Float64Array(n * k);
    const size = new Int32Array(n);
    const cut = new Float64Array(n).fill(-Infinity);
    const eps = new Float64Array(n);
    const excluded: (Int32Array | undefined)[] = [];
    const cursor = new Int32Array(n);
    const candidates: number[][] = [];
    for (let r = 0; r < n; r++) {
      const u = userIndex[p0 + r]!;
      if (!(Number.isInteger(u) && u >= 0 && u < this.#userScale.length))
        throw new RangeError(`user index ${u} is outside 0..${this.#userScale.length - 1}`);
      kernel.users.set(form.userFactors.subarray(u * f, (u + 1) * f), r * f);
      kernel.userBase[r] = form.globalBias + (form.userBias ? form.userBias[u]! : 0);
      kernel.cut[r] = -Infinity;
      eps[r] = this.#userScale[u]!;
      excluded.push(excludedOf?.(p0 + r));
      candidates.push([]);
    }
    const { outRow, outItem, outScore } = kernel;
    for (let item0 = 0; item0 < nItems; item0 += kernel.blockItems) {
      const count = kernel.score(n, item0);
      for (let e = 0; e < count; e++) {
        const r = outRow[e]!;
        const a = outScore[e]!;
        if (!(a > cut[r]!)) continue;
        const item = outItem[e]!;
        const ex = excluded[r];
        if (ex) {
          let c = cursor[r]!;
          while (c < ex.length && ex[c]! < item) c++;
          cursor[r] = c;
          if (c < ex.length && ex[c] === item) continue;
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
        // the k kept items (all of a lower index than any item still to come) predict at least
        // head(kth − eps); an item can enter the exact top-k only by predicting more than that
        const c = rawCutBelow(head, approx[at]! - eps[r]!) - eps[r]!;
        cut[r] = c;
        kernel.cut[r] = float32AtOrBelow(c);
      }
    }
    // exact scores of the candidates, offered in item order (as rankItems does)
    const model = this.#model;
    for (let r = 0; r < n; r++) {
      const list = candidates[r]!;
      if (list.length === 0) continue;
      const items = Int32Array.from(list);
      const buffer = new Float32Array(items.length);
      const u = userIndex[p0 + r]!;
      const scores =
        model.scoreItemsForUser?.(u, items, buffer) ?? scoreItemsByPredict(model, u, items, buffer);
      const heap = heaps[p0 + r]!;
      for (let j = 0; j < items.length; j++) heap.push(scores[j]!, items[j]!);
    }
  }
}
