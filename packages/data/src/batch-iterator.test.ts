import { describe, expect, it } from 'vitest';
import { createBatchIterator, iterateInBatches, type Batch } from './batch-iterator.js';
import { CfError, InvalidArgumentError } from './errors.js';
import { expectError } from './expect-error.test-helper.js';
import { createRatingsTable } from './ratings-table.js';

const table = createRatingsTable(
  Array.from({ length: 20 }, (_, r) => ({ userId: `u${r % 3}`, itemId: r % 7, rating: r / 2 })),
);
const rows = Int32Array.from({ length: 10 }, (_, i) => 10 + i); // rows 10..19

/** The rows of each batch of an epoch, copied. */
const epochRows = (batches: Iterable<Batch>): number[][] =>
  Array.from(batches, (b) => Array.from(b.rows));

describe('createBatchIterator', () => {
  it('shuffles epoch e with numpy RandomState(seed + e).shuffle', () => {
    const batches = createBatchIterator(table, rows, { batchSize: 4, seed: 5 });
    // np.random.RandomState(5).shuffle(np.arange(10, 20)), then RandomState(6)
    expect(epochRows(batches.epoch(0))).toEqual([
      [19, 15, 12, 14],
      [17, 11, 10, 18],
      [16, 13],
    ]);
    expect(epochRows(batches.epoch(1))).toEqual([
      [18, 11, 17, 10],
      [16, 15, 12, 14],
      [13, 19],
    ]);
  });

  it('covers each row exactly once per epoch, keeps the last partial batch', () => {
    const batches = createBatchIterator(table, rows, { batchSize: 4 });
    expect(batches.batchCount).toBe(3);
    expect(batches.rowsPerEpoch).toBe(10);
    for (const epoch of [0, 1, 2]) {
      const seen = Array.from(batches.epoch(epoch), (b) => {
        expect(b.userIndex).toHaveLength(b.size);
        return [b.size, ...b.rows] as number[];
      });
      expect(seen.map(([size]) => size)).toEqual([4, 4, 2]);
      expect(seen.flatMap(([, ...r]) => r).sort((a, b) => a - b)).toEqual(Array.from(rows));
    }
  });

  it('gathers the table columns of the batch rows', () => {
    for (const batch of createBatchIterator(table, rows, { batchSize: 3, seed: 1 }).epoch(4)) {
      expect(Array.from(batch.userIndex)).toEqual(
        Array.from(batch.rows, (r) => table.userIndex[r]),
      );
      expect(Array.from(batch.itemIndex)).toEqual(
        Array.from(batch.rows, (r) => table.itemIndex[r]),
      );
      expect(Array.from(batch.rating)).toEqual(Array.from(batch.rows, (r) => r / 2));
    }
  });

  it('same seed and epoch give the same order on a new iterator; other epochs or seeds differ', () => {
    const big = Int32Array.from({ length: 20 }, (_, i) => i);
    const order = (seed: number, epoch: number) =>
      epochRows(createBatchIterator(table, big, { batchSize: 8, seed }).epoch(epoch)).flat();
    expect(order(42, 3)).toEqual(order(42, 3));
    expect(order(42, 3)).not.toEqual(order(42, 4));
    expect(order(42, 3)).not.toEqual(order(43, 3));
    // epoch e of seed s is epoch e-1 of seed s+1: the stream is RandomState(s + e)
    expect(order(42, 3)).toEqual(order(43, 2));
    // calling epochs out of order does not change them
    const batches = createBatchIterator(table, big, { batchSize: 8, seed: 42 });
    const third = epochRows(batches.epoch(3)).flat();
    epochRows(batches.epoch(0));
    expect(epochRows(batches.epoch(3)).flat()).toEqual(third);
  });

  it('reuses its buffers: a batch is only valid until the next one', () => {
    const iterator = createBatchIterator(table, rows, { batchSize: 4, seed: 5 }).epoch(0);
    const first = iterator.next().value as Batch;
    const firstUsers = Array.from(first.userIndex);
    const second = iterator.next().value as Batch;
    expect(second.userIndex).toBe(first.userIndex); // full batches hand out the buffer itself
    expect(second.rating).toBe(first.rating);
    expect(firstUsers).toEqual([19, 15, 12, 14].map((r) => table.userIndex[r]));
    expect(Array.from(first.userIndex)).toEqual([17, 11, 10, 18].map((r) => table.userIndex[r]));
    const third = iterator.next().value as Batch; // the partial one is a view of the same buffers
    expect(third.userIndex.buffer).toBe(first.userIndex.buffer);
    expect(third.itemIndex.buffer).toBe(first.itemIndex.buffer);
    expect(third.rows.buffer).toBe(first.rows.buffer);
    expect(Array.from(first.userIndex)).toEqual([16, 13, 10, 18].map((r) => table.userIndex[r]));
  });

  it('without shuffle keeps the order of rows and does not modify them', () => {
    const copy = rows.slice();
    const batches = createBatchIterator(table, rows, { batchSize: 4, shuffle: false });
    expect(epochRows(batches.epoch(0)).flat()).toEqual(Array.from(rows));
    createBatchIterator(table, rows, { batchSize: 4 }).epoch(0).next();
    expect(rows).toEqual(copy);
  });

  it('dropLast leaves out the partial batch', () => {
    const batches = createBatchIterator(table, rows, { batchSize: 4, dropLast: true });
    expect(batches.batchCount).toBe(2);
    expect(batches.rowsPerEpoch).toBe(8);
    expect(Array.from(batches.epoch(0), (b) => b.size)).toEqual([4, 4]);
    const exact = createBatchIterator(table, rows, { batchSize: 5, dropLast: true });
    expect(Array.from(exact.epoch(0), (b) => b.size)).toEqual([5, 5]);
  });

  it('handles no rows and a batch larger than the rows', () => {
    const empty = createBatchIterator(table, new Int32Array(0), { batchSize: 4 });
    expect(empty.batchCount).toBe(0);
    expect([...empty.epoch(0)]).toEqual([]);
    const one = createBatchIterator(table, rows, { batchSize: 64 });
    expect(Array.from(one.epoch(0), (b) => b.size)).toEqual([10]);
  });

  it('throws when an epoch pass is superseded by another', () => {
    const batches = createBatchIterator(table, rows, { batchSize: 4 });
    const first = batches.epoch(0);
    first.next();
    batches.epoch(1).next();
    expectError(() => first.next(), CfError, { code: 'EPOCH_SUPERSEDED' });
  });

  it('rejects bad options, epochs and rows', () => {
    for (const batchSize of [0, -1, 2.5]) {
      expectError(() => createBatchIterator(table, rows, { batchSize }), InvalidArgumentError, {
        argument: 'batchSize',
      });
    }
    expectError(
      () => createBatchIterator(table, rows, { batchSize: 2, seed: 2 ** 32 }),
      InvalidArgumentError,
      {
        argument: 'seed',
      },
    );
    expectError(
      () => createBatchIterator(table, Int32Array.from([0, 20]), { batchSize: 2 }),
      InvalidArgumentError,
      {
        argument: 'rows',
      },
    );
    const batches = createBatchIterator(table, rows, { batchSize: 2 });
    expectError(() => batches.epoch(-1), InvalidArgumentError, { argument: 'epoch' });
  });
});

describe('iterateInBatches', () => {
  it('yields consecutive views of the rows, the last one partial', () => {
    const chunks = [...iterateInBatches(rows, 4)];
    expect(chunks.map((c) => Array.from(c))).toEqual([
      [10, 11, 12, 13],
      [14, 15, 16, 17],
      [18, 19],
    ]);
    expect(chunks.every((c) => c.buffer === rows.buffer)).toBe(true);
    expect([...iterateInBatches(new Int32Array(0), 4)]).toEqual([]);
  });

  it('rejects a bad batchSize when called', () => {
    expectError(() => iterateInBatches(rows, 0), InvalidArgumentError, { argument: 'batchSize' });
  });
});
