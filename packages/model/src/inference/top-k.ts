/**
 * The best `k` (score, index) pairs seen so far, in a binary min-heap of the worst kept pair on top.
 * Higher scores win; equal scores prefer the lower index, so results are deterministic.
 */
export class TopK {
  readonly k: number;
  readonly #scores: Float64Array;
  readonly #indices: Int32Array;
  #size = 0;

  constructor(k: number) {
    this.k = k;
    this.#scores = new Float64Array(k);
    this.#indices = new Int32Array(k);
  }

  /** Number of pairs kept (at most `k`). */
  get size(): number {
    return this.#size;
  }

  /**
   * The score a new pair must beat to enter: the worst kept score once `k` pairs are kept, else
   * −Infinity (+Infinity when `k` is 0). A pair with an equal score enters only with a lower index than the worst kept one, so
   * when indices are offered in ascending order, `score > threshold` is exactly the test `push` makes.
   */
  get threshold(): number {
    if (this.k === 0) return Infinity;
    return this.#size < this.k ? -Infinity : this.#scores[0]!;
  }

  /** True when (a, ia) ranks below (b, ib). */
  static #worse(a: number, ia: number, b: number, ib: number): boolean {
    return a < b || (a === b && ia > ib);
  }

  /** Offers one pair; NaN scores are ignored. */
  push(score: number, index: number): void {
    if (this.k === 0 || Number.isNaN(score)) return;
    const s = this.#scores;
    const ix = this.#indices;
    if (this.#size < this.k) {
      let c = this.#size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!TopK.#worse(score, index, s[p]!, ix[p]!)) break;
        s[c] = s[p]!;
        ix[c] = ix[p]!;
        c = p;
      }
      s[c] = score;
      ix[c] = index;
      return;
    }
    if (!TopK.#worse(s[0]!, ix[0]!, score, index)) return;
    // replace the root and sift down
    let c = 0;
    const n = this.#size;
    for (;;) {
      const l = 2 * c + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && TopK.#worse(s[r]!, ix[r]!, s[l]!, ix[l]!) ? r : l;
      if (!TopK.#worse(s[m]!, ix[m]!, score, index)) break;
      s[c] = s[m]!;
      ix[c] = ix[m]!;
      c = m;
    }
    s[c] = score;
    ix[c] = index;
  }

  /** The kept pairs, best first. */
  sorted(): { index: number; score: number }[] {
    const out: { index: number; score: number }[] = [];
    for (let k = 0; k < this.#size; k++)
      out.push({ index: this.#indices[k]!, score: this.#scores[k]! });
    return out.sort((a, b) => b.score - a.score || a.index - b.index);
  }
}
