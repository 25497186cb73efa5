import { expect } from 'vitest';

/** Largest absolute difference between two equally long numeric arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let k = 0; k < a.length; k++) max = Math.max(max, Math.abs(a[k]! - b[k]!));
  return max;
}

/** Asserts two arrays agree elementwise within `atol + rtol·|b|`. */
export function expectClose(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  atol = 1e-5,
  rtol = 1e-4,
): void {
  expect(a.length).toBe(b.length);
  for (let k = 0; k < a.length; k++) {
    const tol = atol + rtol * Math.abs(b[k]!);
    if (!(Math.abs(a[k]! - b[k]!) <= tol)) {
      expect.fail(`element ${k}: ${a[k]} vs ${b[k]} (tolerance ${tol})`);
    }
  }
}
