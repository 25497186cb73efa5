import { createRatingsTable, type RatingsTable } from '@cf/data';

/** Options of {@link makeSyntheticRatings}. */
export interface SyntheticRatingsOptions {
  nUsers?: number;
  nItems?: number;
  /** Fraction of the user × item matrix that is rated. */
  density?: number;
  nFactors?: number;
  seed?: number;
  /** Ratings are rounded to this step and clipped to [0.5, 5]. */
  step?: number;
}

/** A generated table and the true low-rank structure behind it. */
export interface SyntheticRatings {
  table: RatingsTable;
}

/**
 * Ratings from a known low-rank model plus biases and noise, with string-free numeric ids
 * (user 1000+u, item 5000+i), so that a model that learns does measurably better than the mean.
 */
export function makeSyntheticRatings(options: SyntheticRatingsOptions = {}): SyntheticRatings {
  const nUsers = options.nUsers ?? 60;
  const nItems = options.nItems ?? 80;
  const density = options.density ?? 0.3;
  const k = options.nFactors ?? 3;
  const step = options.step ?? 0.5;
  let s = (options.seed ?? 1) >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const normal = (): number =>
    Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const uf = Array.from({ length: nUsers }, () => Array.from({ length: k }, normal));
  const itf = Array.from({ length: nItems }, () => Array.from({ length: k }, normal));
  const ub = Array.from({ length: nUsers }, () => 0.4 * normal());
  const ib = Array.from({ length: nItems }, () => 0.5 * normal());
  const rows: { userId: number; itemId: number; rating: number; timestamp: number }[] = [];
  let t = 1_000_000;
  for (let u = 0; u < nUsers; u++) {
    for (let i = 0; i < nItems; i++) {
      if (rand() >= density) continue;
      let dot = 0;
      for (let d = 0; d < k; d++) dot += uf[u]![d]! * itf[i]![d]!;
      const raw = 3.5 + ub[u]! + ib[i]! + 0.5 * dot + 0.3 * normal();
      const rating = Math.min(5, Math.max(0.5, Math.round(raw / step) * step));
      rows.push({ userId: 1000 + u, itemId: 5000 + i, rating, timestamp: t++ });
    }
  }
  return { table: createRatingsTable(rows, { source: 'synthetic' }) };
}
