// Test-only helper (imported by *.test.ts, never by the library).
import { expect } from 'vitest';
import type { Split } from './split.js';

/** Asserts both sides are ascending Int32Arrays, disjoint, and together exactly `0..n-1`. */
export function expectPartition(split: Split, n: number): void {
  expect(split.train).toBeInstanceOf(Int32Array);
  expect(split.valid).toBeInstanceOf(Int32Array);
  const ascending = (side: Int32Array): boolean =>
    side.every((row, i) => i === 0 || row > side[i - 1]!);
  expect(ascending(split.train), 'train ascending').toBe(true);
  expect(ascending(split.valid), 'valid ascending').toBe(true);
  expect(split.train.length + split.valid.length).toBe(n);
  const seen = new Uint8Array(n);
  for (const row of [...split.train, ...split.valid]) seen[row] = 1;
  expect(
    seen.every((flag) => flag === 1),
    'every row in exactly one side',
  ).toBe(true);
}
