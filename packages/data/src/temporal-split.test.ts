import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { expectError } from './expect-error.test-helper.js';
import { createRatingsTable } from './ratings-table.js';
import { expectPartition } from './split.test-helper.js';
import { temporalSplit } from './temporal-split.js';

// row: user, timestamp
const rows: [string, number][] = [
  ['a', 100], // 0
  ['b', 50], // 1
  ['a', 300], // 2
  ['a', 200], // 3
  ['b', 300], // 4
  ['c', 10], // 5
  ['a', 300], // 6
  ['b', 40], // 7
  ['c', 20], // 8
  ['a', 250], // 9
];
const makeTable = (offset: number) =>
  createRatingsTable(
    rows.map(([userId, timestamp], r) => ({
      userId,
      itemId: r,
      rating: 3,
      timestamp: timestamp + offset,
    })),
  );
const table = makeTable(0);
const valid = (valPct: number, perUser: boolean) =>
  Array.from(temporalSplit(table, { valPct, perUser }).valid);

describe('temporalSplit', () => {
  it('global: holds out the latest round(valPct * n) rows, ties to the later row', () => {
    expect(table.timestamp).toBeInstanceOf(Int32Array);
    expect(valid(0.3, false)).toEqual([2, 4, 6]);
    expect(valid(0.2, false)).toEqual([4, 6]); // three rows at 300: rows 4 and 6 are the later ones
    expect(valid(0.1, false)).toEqual([6]);
    expect(valid(0.5, false)).toEqual([2, 3, 4, 6, 9]);
    expect(temporalSplit(table, { valPct: 0.5 })).toEqual(
      temporalSplit(table, { valPct: 0.5, perUser: false }),
    );
  });

  it('global: every validation row is at least as late as every training row', () => {
    const split = temporalSplit(table, { valPct: 0.4 });
    expectPartition(split, rows.length);
    const latestTrain = Math.max(...Array.from(split.train, (r) => table.timestamp![r]!));
    const earliestValid = Math.min(...Array.from(split.valid, (r) => table.timestamp![r]!));
    expect(earliestValid).toBeGreaterThanOrEqual(latestTrain);
  });

  it('per user: each user latest min(round(valPct * count), count - 1) rows', () => {
    // a: 0(100) 3(200) 9(250) 2(300) 6(300) → 3 held out; b: 7(40) 1(50) 4(300) → 2; c: 5(10) 8(20) → 1
    expect(valid(0.5, true)).toEqual([1, 2, 4, 6, 8, 9]);
    // a: round(1) = 1 → 6; b: round(0.6) = 1 → 4; c: round(0.4) = 0
    expect(valid(0.2, true)).toEqual([4, 6]);
    // every user keeps one training row even at valPct 0.9
    const split = temporalSplit(table, { valPct: 0.9, perUser: true });
    expectPartition(split, rows.length);
    expect(Array.from(split.train)).toEqual([0, 5, 7]);
  });

  it('works the same on Float64Array timestamps', () => {
    const fractional = makeTable(0.5);
    expect(fractional.timestamp).toBeInstanceOf(Float64Array);
    for (const perUser of [false, true]) {
      expect(temporalSplit(fractional, { valPct: 0.5, perUser })).toEqual(
        temporalSplit(table, { valPct: 0.5, perUser }),
      );
    }
  });

  it('throws InvalidArgumentError when the table has no timestamps', () => {
    const untimed = createRatingsTable([{ userId: 1, itemId: 1, rating: 1 }], { source: 'u.data' });
    const error = expectError(() => temporalSplit(untimed, { valPct: 0.2 }), InvalidArgumentError, {
      argument: 'table',
      code: 'INVALID_ARGUMENT',
    });
    expect(error.message).toContain('u.data has no timestamps');
  });

  it('rejects valPct outside (0, 1) and a global split with an empty side', () => {
    for (const valPct of [0, 1, -1, NaN]) {
      expectError(() => temporalSplit(table, { valPct }), InvalidArgumentError, {
        argument: 'valPct',
      });
    }
    expectError(() => temporalSplit(table, { valPct: 0.01 }), InvalidArgumentError, {
      argument: 'valPct',
    });
    expectError(() => temporalSplit(table, { valPct: 0.99 }), InvalidArgumentError, {
      argument: 'valPct',
    });
  });
});
