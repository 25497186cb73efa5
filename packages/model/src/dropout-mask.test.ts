import { expect, it } from 'vitest';
import { SeededRandom } from './random.js';

// The fused and tfjs engines draw dropout masks with fillDropoutMask; it must give exactly what
// one `next()` per entry gives, so that masks (and training runs) do not depend on the fast path.
it('fillDropoutMask draws the same stream as next() per entry, and leaves the generator at the same state', () => {
  for (const p of [0.5, 0.1, 0.9, 1e-9]) {
    const fast = new SeededRandom(42);
    const slow = new SeededRandom(42);
    const mask = new Float32Array(1000);
    fast.fillDropoutMask(mask, 999, p, 1 / (1 - p));
    for (let k = 0; k < 999; k++)
      expect(mask[k]).toBe(slow.next() >= p ? Math.fround(1 / (1 - p)) : 0);
    expect(mask[999]).toBe(0);
    expect(fast.getState()).toEqual(slow.getState());
    expect(fast.nextUint32()).toBe(slow.nextUint32());
  }
});
