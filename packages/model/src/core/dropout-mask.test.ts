import { expect, it } from 'vitest';
import { SeededRandom } from './random.js';

// The fused and tfjs engines draw dropout masks with fillDropoutMask: the masks are a documented
// function of the generator's 32-bit stream, so they do not depend on the engine or platform.
function referenceMask(random: SeededRandom, count: number, p: number, keep: number): number[] {
  const per = Number.isInteger(p * 256) ? 4 : Number.isInteger(p * 65536) ? 2 : 1;
  const bits = 32 / per;
  const out: number[] = [];
  while (out.length < count) {
    let draw = random.nextUint32();
    for (let j = 0; j < per && out.length < count; j++) {
      const field = bits === 32 ? draw : draw % 2 ** bits;
      out.push(field >= p * 2 ** bits ? Math.fround(keep) : 0);
      draw = Math.floor(draw / 2 ** bits);
    }
  }
  return out;
}

it('fillDropoutMask draws the documented masks (4, 2 or 1 entries per 32-bit draw) and leaves the generator where the reference does', () => {
  for (const p of [0.5, 0.25, 0.1, 0.9, 1e-9, 3 / 65536]) {
    for (const count of [999, 1000, 1, 2, 3]) {
      const fast = new SeededRandom(42);
      const slow = new SeededRandom(42);
      const mask = new Float32Array(count + 1);
      fast.fillDropoutMask(mask, count, p, 1 / (1 - p));
      expect([...mask.subarray(0, count)]).toEqual(referenceMask(slow, count, p, 1 / (1 - p)));
      expect(mask[count]).toBe(0);
      expect(fast.getState()).toEqual(slow.getState());
    }
  }
});

it('fillDropoutMask keeps each entry with probability 1 − p, independently across positions', () => {
  const random = new SeededRandom(7);
  const n = 400_000;
  for (const p of [0.5, 0.25, 0.1]) {
    const mask = new Float32Array(n);
    random.fillDropoutMask(mask, n, p, 2);
    let kept = 0;
    const byLane = [0, 0, 0, 0];
    for (let k = 0; k < n; k++) {
      if (mask[k] !== 0) {
        kept++;
        byLane[k % 4]!++;
      }
    }
    // 5 standard deviations of a binomial proportion
    const tol = 5 * Math.sqrt((p * (1 - p)) / n);
    expect(Math.abs(kept / n - (1 - p))).toBeLessThan(tol);
    for (const lane of byLane) expect(Math.abs(lane / (n / 4) - (1 - p))).toBeLessThan(2 * tol);
    // neighbours (same draw) are uncorrelated: P(both kept) ≈ (1 − p)²
    let both = 0;
    for (let k = 0; k + 1 < n; k += 2) if (mask[k] !== 0 && mask[k + 1] !== 0) both++;
    expect(Math.abs(both / (n / 2) - (1 - p) ** 2)).toBeLessThan(2 * tol);
  }
});
