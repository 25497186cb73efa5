/**
 * A small seeded pseudo-random generator (xoshiro128**, seeded through splitmix32) for weight
 * initialisation and dropout masks. Same seed, same numbers, on every backend and platform.
 */
export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  /** `[0, keep]` for {@link SeededRandom.fillDropoutMask}'s branch-free selection. */
  readonly #pick = new Float32Array(2);

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** A uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /**
   * Fills `out[0..count)` with dropout-mask entries, `keep` with probability exactly `1 − p`, else 0.
   * When `p·256` is an integer (p = 0.5, 0.25, …) each 32-bit draw of
   * {@link SeededRandom.nextUint32} decides four entries, one byte each from the lowest (an entry
   * is kept when its byte is ≥ p·256); when `p·65536` is an integer, two entries per draw (16 bits
   * each); otherwise one entry per draw (kept when the draw is ≥ p·2³², i.e. `next() ≥ p`). The
   * unused bytes of the last draw are dropped. Same seed, same masks, on every platform.
   */
  fillDropoutMask(out: Float32Array, count: number, p: number, keep: number): void {
    let a = this.#a;
    let b = this.#b;
    let c = this.#c;
    let d = this.#d;
    const per = Number.isInteger(p * 256) ? 4 : Number.isInteger(p * 65536) ? 2 : 1;
    const bits = 32 / per;
    const threshold = p * 2 ** bits; // exact: scaling by a power of two
    const fieldMask = per === 1 ? 0xffffffff : (1 << bits) - 1;
    const whole = count - (count % per);
    let k = 0;
    let result = 0;
    const draw = (): number => {
      const x = Math.imul(b, 5);
      const r = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = (d << 11) | (d >>> 21);
      return r;
    };
    // Branch-free selection (random keep/drop branches mispredict half the time): for integer
    // fields v and threshold T, (T − 1 − v) >>> 31 is 1 exactly when v ≥ T; it indexes [0, keep].
    const tm1 = threshold - 1;
    const pick = this.#pick;
    pick[1] = keep;
    if (per === 4) {
      for (; k < whole; k += 4) {
        result = draw();
        out[k] = pick[(tm1 - (result & 255)) >>> 31]!;
        out[k + 1] = pick[(tm1 - ((result >>> 8) & 255)) >>> 31]!;
        out[k + 2] = pick[(tm1 - ((result >>> 16) & 255)) >>> 31]!;
        out[k + 3] = pick[(tm1 - (result >>> 24)) >>> 31]!;
      }
    } else if (per === 2) {
      for (; k < whole; k += 2) {
        result = draw();
        out[k] = pick[(tm1 - (result & 0xffff)) >>> 31]!;
        out[k + 1] = pick[(tm1 - (result >>> 16)) >>> 31]!;
      }
    } else {
      for (; k < whole; k++) out[k] = draw() >= threshold ? keep : 0;
    }
    if (k < count) {
      result = draw();
      for (; k < count; k++) {
        out[k] = (result & fieldMask) >>> 0 >= threshold ? keep : 0;
        result >>>= bits;
      }
    }
    this.#a = a;
    this.#b = b;
    this.#c = c;
    this.#d = d;
  }

  /** A uniform float in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** A standard normal sample (Box–Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** The generator's internal state (four 32-bit words), for checkpoints. */
  getState(): [number, number, number, number] {
    return [this.#a >>> 0, this.#b >>> 0, this.#c >>> 0, this.#d >>> 0];
  }

  /** Restores a state from {@link SeededRandom.getState}: the stream continues exactly from there. */
  setState(state: readonly number[]): void {
    if (
      state.length !== 4 ||
      !state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)
    ) {
      throw new RangeError(
        `a SeededRandom state is four unsigned 32-bit integers, got ${JSON.stringify(state)}`,
      );
    }
    [this.#a, this.#b, this.#c, this.#d] = state as [number, number, number, number];
  }

  /** A new generator whose stream is independent of this one's next draws. */
  fork(): SeededRandom {
    return new SeededRandom(this.nextUint32());
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
