import { InvalidArgumentError } from './errors.js';
import { assertRowCount, assertSeed } from './validate.js';

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const TWO_POW_32 = 4294967296;

/**
 * An exact port of numpy's legacy `RandomState` (MT19937) for the parts cf needs, so that a seed
 * gives the same shuffles, permutations and uniform doubles as `np.random.seed(seed)` does in
 * Python (and so the same validation rows as fastai 0.7).
 *
 * - {@link NumpyRandomState.seed} is `np.random.seed(int)`: MT19937 `init_genrand` of the 32-bit seed.
 * - {@link NumpyRandomState.randomInterval} is numpy's `random_interval` (mask rejection sampling).
 * - {@link NumpyRandomState.shuffle} is legacy `RandomState.shuffle` of a 1-d array.
 * - {@link NumpyRandomState.permutation} is `RandomState.permutation(n)`.
 * - {@link NumpyRandomState.randomSample} is `RandomState.random_sample()` (53-bit double).
 *
 * Environment-neutral (no Node APIs); the state is 2.5 KB.
 */
export class NumpyRandomState {
  readonly #mt = new Uint32Array(N);
  #pos = N;

  /** Seeds like `np.random.RandomState(seed)`; `seed` is an integer in `0..2**32-1`. */
  constructor(seed: number) {
    this.seed(seed);
  }

  /** Re-seeds like `np.random.seed(seed)` (MT19937 `init_genrand`). */
  seed(seed: number): void {
    assertSeed(seed);
    const mt = this.#mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]!;
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
    this.#pos = N;
  }

  #generate(): void {
    const mt = this.#mt;
    let i = 0;
    let y: number;
    for (; i < N - M; i++) {
      y = (mt[i]! & UPPER_MASK) | (mt[i + 1]! & LOWER_MASK);
      mt[i] = mt[i + M]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; i < N - 1; i++) {
      y = (mt[i]! & UPPER_MASK) | (mt[i + 1]! & LOWER_MASK);
      mt[i] = mt[i + (M - N)]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (mt[N - 1]! & UPPER_MASK) | (mt[0]! & LOWER_MASK);
    mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.#pos = 0;
  }

  /** Swap positions of {@link NumpyRandomState.#shuffleInt32}, drawn a block ahead. */
  readonly #ahead = new Int32Array(256);

  /** The next raw 32-bit output of MT19937, as an unsigned integer (numpy's `next_uint32`). */
  nextUint32(): number {
    if (this.#pos === N) this.#generate();
    let y = this.#mt[this.#pos++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /**
   * A uniform integer in `0..max` inclusive, exactly as numpy's legacy `random_interval`: draw
   * `next_uint32() & mask` (mask = smallest `2**k - 1` ≥ max) until it is ≤ max. For max above
   * `0xffffffff` numpy's 64-bit path (`next_uint64` = high word then low word) is followed; `max`
   * must be a safe integer.
   */
  randomInterval(max: number): number {
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new InvalidArgumentError('max', `expected a non-negative safe integer, got ${max}`);
    }
    if (max === 0) return 0;
    if (max <= 0xffffffff) {
      let mask = max;
      mask |= mask >>> 1;
      mask |= mask >>> 2;
      mask |= mask >>> 4;
      mask |= mask >>> 8;
      mask |= mask >>> 16;
      mask >>>= 0;
      let value: number;
      do value = (this.nextUint32() & mask) >>> 0;
      while (value > max);
      return value;
    }
    // 64-bit path: the mask's low word is all ones, its high word covers the high bits of max.
    let maskHigh = Math.floor(max / TWO_POW_32);
    maskHigh |= maskHigh >>> 1;
    maskHigh |= maskHigh >>> 2;
    maskHigh |= maskHigh >>> 4;
    maskHigh |= maskHigh >>> 8;
    maskHigh |= maskHigh >>> 16;
    let value: number;
    do {
      const high = (this.nextUint32() & maskHigh) >>> 0;
      const low = this.nextUint32();
      value = high * TWO_POW_32 + low;
    } while (value > max);
    return value;
  }

  /**
   * Shuffles `array` in place exactly as legacy `RandomState.shuffle` does for a 1-d array:
   * Fisher–Yates from `i = n-1` down to 1, swapping `i` with `j = randomInterval(i)`.
   */
  shuffle(array: { length: number; [index: number]: number }): void {
    if (array instanceof Int32Array) {
      this.#shuffleInt32(array);
      return;
    }
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.randomInterval(i);
      const tmp = array[i]!;
      array[i] = array[j]!;
      array[j] = tmp;
    }
  }

  /**
   * {@link NumpyRandomState.shuffle} of an `Int32Array` (the training loop's per-epoch shuffle of
   * millions of rows): the same draws and swaps, with the mask kept across steps and the swap
   * positions drawn a block ahead, so that the block's cache misses on `array[j]` overlap instead
   * of waiting on one another.
   */
  #shuffleInt32(array: Int32Array): void {
    const ahead = this.#ahead;
    let i = array.length - 1;
    let mask = i;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    while (i > 0) {
      const count = Math.min(ahead.length, i);
      for (let k = 0; k < count; k++) {
        const top = i - k;
        while (mask >>> 1 >= top) mask >>>= 1;
        let value: number;
        do value = (this.nextUint32() & mask) >>> 0;
        while (value > top);
        ahead[k] = value;
      }
      for (let k = 0; k < count; k++, i--) {
        const j = ahead[k]!;
        const tmp = array[i]!;
        array[i] = array[j]!;
        array[j] = tmp;
      }
    }
  }

  /** `RandomState.permutation(n)`: a shuffled `0..n-1`. */
  permutation(n: number): Int32Array {
    assertRowCount(n);
    const result = new Int32Array(n);
    for (let i = 0; i < n; i++) result[i] = i;
    this.shuffle(result);
    return result;
  }

  /** `RandomState.random_sample()`: a uniform double in `[0, 1)` with 53 random bits. */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}

/** `np.random.seed(seed); np.random.permutation(n)` as an Int32Array. */
export function numpyPermutation(n: number, seed: number): Int32Array {
  return new NumpyRandomState(seed).permutation(n);
}
