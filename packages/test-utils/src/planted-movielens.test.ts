import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  expectedRatingTable,
  plantedMovieLensParameters,
  writePlantedMovieLens,
} from './planted-movielens.js';

const root = mkdtempSync(join(tmpdir(), 'cf-planted-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writePlantedMovieLens', () => {
  const options = { rows: 6_000, users: 60, items: 200, seed: 7 };
  const dir = join(root, 'a');
  const summary = writePlantedMovieLens(dir, options);
  const text = readFileSync(join(dir, 'ratings.csv'), 'utf8');
  const lines = text.trimEnd().split('\n');

  it('writes the ml-25m ratings.csv layout, grouped by user and sorted by movieId within a user', () => {
    expect(lines[0]).toBe('userId,movieId,rating,timestamp');
    expect(lines.length - 1).toBe(options.rows);
    const seen = new Set<string>();
    const perUser = new Map<number, number>();
    let lastUser = 0;
    let lastItem = 0;
    const bad: string[] = [];
    for (const line of lines.slice(1)) {
      const [user, item, rating] = line.split(',').map(Number) as [number, number, number];
      const ordered = user > lastUser || (user === lastUser && item > lastItem);
      if (!/^\d+,\d+,[0-5]\.[05],\d{9,10}$/.test(line) || rating < 0.5 || rating > 5 || !ordered)
        bad.push(line);
      lastUser = user;
      lastItem = item;
      seen.add(`${user},${item}`);
      perUser.set(user, (perUser.get(user) ?? 0) + 1);
    }
    expect(bad).toEqual([]);
    expect(seen.size).toBe(options.rows); // no repeated (user, item) pair
    expect(perUser.size).toBe(options.users);
    expect(Math.min(...perUser.values())).toBe(summary.realised.ratingsPerUser.min);
    expect(Math.max(...perUser.values())).toBe(summary.realised.ratingsPerUser.max);
    expect(Math.max(...perUser.values())).toBeLessThanOrEqual(Math.floor(0.545 * options.items));
  });

  it('writes movies.csv and links.csv for every item of the catalogue, titles with commas quoted', () => {
    const movies = readFileSync(join(dir, 'movies.csv'), 'utf8').trimEnd().split('\n');
    const links = readFileSync(join(dir, 'links.csv'), 'utf8').trimEnd().split('\n');
    expect(movies[0]).toBe('movieId,title,genres');
    expect(links[0]).toBe('movieId,imdbId,tmdbId');
    expect(movies.length - 1).toBe(options.items);
    expect(links.length - 1).toBe(options.items);
    expect(movies.some((line) => /^\d+,"Planted Movie \d+, The \(\d{4}\)",/.test(line))).toBe(true);
    const catalogue = new Set(movies.slice(1).map((line) => Number(line.split(',')[0])));
    const unknown = lines.slice(1).filter((line) => !catalogue.has(Number(line.split(',')[1])));
    expect(unknown).toEqual([]);
  });

  it('is deterministic by seed', () => {
    writePlantedMovieLens(join(root, 'b'), options);
    writePlantedMovieLens(join(root, 'c'), { ...options, seed: 8 });
    expect(readFileSync(join(root, 'b', 'ratings.csv'), 'utf8')).toBe(text);
    expect(readFileSync(join(root, 'b', 'movies.csv'))).toEqual(
      readFileSync(join(dir, 'movies.csv')),
    );
    expect(readFileSync(join(root, 'c', 'ratings.csv'), 'utf8')).not.toBe(text);
  });

  it('writes a sidecar whose figures match the file', () => {
    const sidecar = JSON.parse(readFileSync(join(dir, 'planted.json'), 'utf8')) as typeof summary;
    expect(sidecar.rows).toBe(options.rows);
    expect(sidecar.bestRmse).toBe(summary.bestRmse);
    const ratings = lines.slice(1).map((line) => Number(line.split(',')[2]));
    const mean = ratings.reduce((a, b) => a + b, 0) / ratings.length;
    const std = Math.sqrt(ratings.reduce((a, r) => a + (r - mean) ** 2, 0) / ratings.length);
    expect(sidecar.realised.meanRating).toBeCloseTo(mean, 5);
    expect(sidecar.meanRmse).toBeCloseTo(std, 5);
    const histogramTotal = Object.values(sidecar.realised.histogram).reduce((a, b) => a + b, 0);
    expect(histogramTotal).toBe(options.rows);
    // The Bayes floor is below the clipped planted score's RMSE, which is below the mean's; with
    // noise std 0.75 the floor sits near sqrt(0.75² + 1/48) ≈ 0.764 less what the clipping removes.
    expect(sidecar.bestRmse).toBeLessThan(sidecar.plantedScoreRmse);
    expect(sidecar.plantedScoreRmse).toBeLessThan(sidecar.meanRmse);
    expect(sidecar.bestRmse).toBeGreaterThan(0.65);
    expect(sidecar.bestRmse).toBeLessThan(0.77);
  });

  it('rejects more rows than the users and items can hold', () => {
    expect(() =>
      writePlantedMovieLens(join(root, 'd'), { rows: 1000, users: 10, items: 50 }),
    ).toThrow(/do not fit/);
  });
});

describe('plantedMovieLensParameters', () => {
  const options = { rows: 6_000, users: 60, items: 200, seed: 7 };
  const dir = join(root, 'parameters');
  const written = writePlantedMovieLens(dir, options);
  const parameters = plantedMovieLensParameters(options);

  it('regenerates the parameters behind the written ratings: their planted scores give its bestRmse', () => {
    const { rank, userBias, userFactors, itemBias, itemFactors, movieIds } = parameters;
    expect(userBias.length).toBe(options.users);
    expect(userFactors.length).toBe(options.users * rank);
    expect(itemBias.length).toBe(options.items);
    expect(itemFactors.length).toBe(options.items * rank);
    const movies = readFileSync(join(dir, 'movies.csv'), 'utf8').trimEnd().split('\n').slice(1);
    expect(Array.from(movieIds)).toEqual(movies.map((line) => Number(line.split(',')[0])));
    const itemOf = new Map(Array.from(movieIds, (id, i) => [id, i] as const));
    const expected = expectedRatingTable(parameters.noiseStd);
    const lines = readFileSync(join(dir, 'ratings.csv'), 'utf8').trimEnd().split('\n').slice(1);
    let squares = 0;
    let residualSum = 0;
    for (const line of lines) {
      const [userId, movieId, rating] = line.split(',').map(Number) as [number, number, number];
      const u = userId - 1;
      const i = itemOf.get(movieId)!;
      let score = parameters.globalMean + userBias[u]! + itemBias[i]!;
      for (let d = 0; d < rank; d++)
        score += userFactors[u * rank + d]! * itemFactors[i * rank + d]!;
      squares += (expected(score) - rating) ** 2;
      residualSum += rating - expected(score);
    }
    expect(Number(Math.sqrt(squares / lines.length).toFixed(6))).toBe(written.bestRmse);
    expect(Math.abs(residualSum / lines.length)).toBeLessThan(0.03); // unbiased given the truth
    expect(parameters.summary.bestRmse).toBe(written.bestRmse);
    expect(parameters.summary.realised).toEqual(written.realised);
  });

  it('draws from the stated priors and differs by seed', () => {
    const big = plantedMovieLensParameters({ rows: 40_000, users: 2_000, items: 1_000, seed: 3 });
    const std = (values: Float64Array): number =>
      Math.sqrt(values.reduce((a, v) => a + v * v, 0) / values.length);
    expect(std(big.userBias)).toBeCloseTo(big.userBiasStd, 1);
    expect(std(big.itemBias)).toBeCloseTo(big.itemBiasStd, 1);
    expect(std(big.userFactors)).toBeCloseTo(big.factorStd, 2);
    expect(std(big.itemFactors)).toBeCloseTo(big.factorStd, 2);
    const other = plantedMovieLensParameters({ ...options, seed: 8 });
    expect(other.userBias).not.toEqual(parameters.userBias);
  });
});

describe('expectedRatingTable', () => {
  it('matches a Monte Carlo estimate of E[clip(round(2(m + ε))/2, 0.5, 5)]', () => {
    const noiseStd = 0.75;
    const expected = expectedRatingTable(noiseStd);
    let state = 12345;
    const uniform = (): number => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return (state + 0.5) / 4294967296;
    };
    for (const m of [-1, 0.6, 2.2, 3.53, 4.9, 7]) {
      let sum = 0;
      const n = 200_000;
      for (let k = 0; k < n; k++) {
        const eps =
          noiseStd * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
        sum += Math.min(10, Math.max(1, Math.round(2 * (m + eps)))) / 2;
      }
      // standard error ≤ 1.2 / sqrt(2e5) ≈ 0.0027
      expect(Math.abs(expected(m) - sum / n)).toBeLessThan(0.012);
    }
    expect(expected(-50)).toBeCloseTo(0.5, 6);
    expect(expected(50)).toBeCloseTo(5, 6);
  });
});
