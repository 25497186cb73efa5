import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { expectError } from './expect-error.test-helper.js';
import { NumpyRandomState, numpyPermutation } from './numpy-random.js';

// Expected values printed by numpy 2.4.6 (legacy RandomState). The permutations of
// ../shared/fixtures are checked in get-cv-idxs.test.ts.
describe('NumpyRandomState', () => {
  it('gives the MT19937 reference outputs for init_genrand(5489)', () => {
    const random = new NumpyRandomState(5489);
    expect([0, 1, 2].map(() => random.nextUint32())).toEqual([3499211612, 581869302, 3890346734]);
  });

  it('matches RandomState(12345).random_sample(5)', () => {
    const random = new NumpyRandomState(12345);
    expect(Array.from({ length: 5 }, () => random.randomSample())).toEqual([
      0.9296160928171479, 0.3163755545817859, 0.18391881167709445, 0.2045602785530397,
      0.5677250290816866,
    ]);
  });

  it('matches randint(0, max + 1) on the 32-bit path, max above 2**31', () => {
    const random = new NumpyRandomState(3);
    expect([0, 1, 2, 3, 4].map(() => random.randomInterval(3000000000))).toEqual([
      2365658986, 303761048, 1249426360, 521102280, 2193987840,
    ]);
  });

  it('matches randint(0, max + 1) on the 64-bit path (max > 0xffffffff)', () => {
    const random = new NumpyRandomState(7);
    expect([0, 1, 2].map(() => random.randomInterval(2 ** 40 + 4))).toEqual([
      752595690692, 108744157686, 291964244179,
    ]);
  });

  it('randomInterval(0) is 0 and draws nothing', () => {
    const a = new NumpyRandomState(1);
    const b = new NumpyRandomState(1);
    expect(a.randomInterval(0)).toBe(0);
    expect(a.nextUint32()).toBe(b.nextUint32());
  });

  it('shuffles a plain array like RandomState(0).shuffle(np.arange(10.0))', () => {
    const values = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    new NumpyRandomState(0).shuffle(values);
    expect(values).toEqual([2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
  });

  it.each([1, 2, 3, 256, 257, 1025, 4097, 100_000])(
    'shuffles an Int32Array of %i exactly as a plain array (the fast path draws ahead)',
    (n) => {
      const plain = Array.from({ length: n }, (_, k) => k);
      const typed = Int32Array.from(plain);
      const a = new NumpyRandomState(11);
      const b = new NumpyRandomState(11);
      a.shuffle(plain);
      b.shuffle(typed);
      expect(Array.from(typed)).toEqual(plain);
      // and the stream continues from the same place
      expect(b.nextUint32()).toBe(a.nextUint32());
    },
  );

  it('permutation equals np.random.seed(7); np.random.permutation(20)', () => {
    expect(Array.from(numpyPermutation(20, 7))).toEqual([
      1, 17, 2, 5, 11, 0, 18, 6, 13, 19, 10, 14, 8, 16, 9, 12, 7, 3, 4, 15,
    ]);
    expect(new NumpyRandomState(7).permutation(20)).toBeInstanceOf(Int32Array);
    expect(numpyPermutation(0, 7)).toEqual(new Int32Array(0));
  });

  it('seed() restarts the stream', () => {
    const random = new NumpyRandomState(99);
    const first = random.nextUint32();
    random.nextUint32();
    random.seed(99);
    expect(random.nextUint32()).toBe(first);
  });

  it.each([-1, 2 ** 32, 1.5, Number.NaN])('rejects seed %s like np.random.seed', (seed) => {
    expectError(() => new NumpyRandomState(seed), InvalidArgumentError, {
      argument: 'seed',
      code: 'INVALID_ARGUMENT',
    });
  });

  it('accepts the largest 32-bit seed', () => {
    expect(() => new NumpyRandomState(0xffffffff)).not.toThrow();
  });

  it('rejects a bad max or n', () => {
    const random = new NumpyRandomState(0);
    expectError(() => random.randomInterval(-1), InvalidArgumentError, { argument: 'max' });
    expectError(() => random.randomInterval(2 ** 53), InvalidArgumentError, { argument: 'max' });
    expectError(() => random.permutation(-1), InvalidArgumentError, { argument: 'n' });
    expectError(() => random.permutation(1.5), InvalidArgumentError, { argument: 'n' });
  });
});
