/** Options of {@link makeSyntheticMovieLens}. */
export interface SyntheticMovieLensOptions {
  nUsers?: number;
  nItems?: number;
  density?: number;
  nFactors?: number;
  seed?: number;
}
/** `ratings.csv` and `movies.csv` text in the ml-latest-small layout. */
export function makeSyntheticMovieLens(options?: SyntheticMovieLensOptions): {
  ratingsCsv: string;
  moviesCsv: string;
  nRatings: number;
};
/** Writes `ratings.csv` and `movies.csv` into `dir` and returns it. */
export function writeSyntheticMovieLens(dir: string, options?: SyntheticMovieLensOptions): string;
