import { describe, expect, it } from 'vitest';
import { createRatingsTable } from '@cf/data';
import { formatRankingSummary } from './train.js';

const summary = { k: 10, ndcg: 0.5, recall: 0.25, precision: 0.1, hitRate: 0.75, users: 2 };
const tableOf = (ratings: number[]) =>
  createRatingsTable(ratings.map((rating, i) => ({ userId: i % 2, itemId: i, rating })));

describe('formatRankingSummary', () => {
  it('names the lowest relevant rating of the table: 4 on MovieLens half stars, 3 on a 1–3 scale', () => {
    expect(formatRankingSummary(summary, tableOf([0.5, 3.5, 4, 4.5, 5]))).toContain(
      'relevant = validation rating ≥ 4; 2 users',
    );
    expect(formatRankingSummary(summary, tableOf([1, 2, 3, 2]))).toContain(
      'relevant = validation rating ≥ 3; 2 users',
    );
  });

  it('says there was nothing to rank against instead of printing NaN', () => {
    const line = formatRankingSummary(
      { ...summary, ndcg: NaN, recall: NaN, precision: NaN, hitRate: NaN, users: 0 },
      tableOf([1, 2, 3, 2]),
    );
    expect(line).toBe(
      'top-10 ranking: no validation user has a relevant item (validation rating ≥ 3), so there is nothing to rank against',
    );
    expect(line).not.toContain('NaN');
  });
});
