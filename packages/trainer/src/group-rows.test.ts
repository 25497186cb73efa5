import { describe, expect, it } from 'vitest';
import { groupRows } from './group-rows.js';

describe('groupRows', () => {
  it('groups the given rows by key in CSR form, keeping their order within a group', () => {
    // rows 0..5 with keys 2, 0, 2, 1, 0, 3; only rows 5, 0, 1, 2, 4 are grouped (row 3 left out)
    const key = Int32Array.of(2, 0, 2, 1, 0, 3);
    const { offsets, rows } = groupRows(Int32Array.of(5, 0, 1, 2, 4), key, 5);
    expect([...offsets]).toEqual([0, 2, 2, 4, 5, 5]);
    expect([...rows]).toEqual([1, 4, 0, 2, 5]);
  });
});
