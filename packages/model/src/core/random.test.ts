import { describe, expect, it } from 'vitest';
import { SeededRandom } from './random.js';

describe('SeededRandom', () => {
  it('repeats its stream for a seed and differs across seeds', () => {
    const a = new SeededRandom(5);
    const b = new SeededRandom(5);
    const c = new SeededRandom(6);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('continues exactly from a saved state', () => {
    const a = new SeededRandom(9);
    a.next();
    const state = a.getState();
    const expected = Array.from({ length: 4 }, () => a.nextUint32());
    const b = new SeededRandom(0);
    b.setState(state);
    expect(Array.from({ length: 4 }, () => b.nextUint32())).toEqual(expected);
    expect(() => b.setState([1, 2, 3])).toThrow(/four unsigned 32-bit integers/);
  });
});
