import { iterateByteChunks, type ByteSource } from './byte-source.js';
import { RatingsParser, type LoadedRatings, type RatingsParserOptions } from './ratings-parser.js';

/** Options of {@link loadRatingsFromStream}: the ratings options plus the text encoding (`encoding`, default `'utf-8'`; invalid UTF-8 is an error, see `CsvParseError`). */
export type LoadRatingsFromStreamOptions = RatingsParserOptions;

/**
 * Loads ratings from bytes arriving in chunks (a browser `ReadableStream`, `File.stream()`,
 * `fetch().body`, or a Node stream), decoding and parsing chunk by chunk so that the text of a
 * large file never sits in memory at once: memory is the typed-array table plus one chunk.
 * Works in Node and browsers.
 */
export async function loadRatingsFromStream(
  source: ByteSource,
  options: LoadRatingsFromStreamOptions = {},
): Promise<LoadedRatings> {
  const parser = new RatingsParser({ ...options, source: options.source ?? '<stream>' });
  for await (const chunk of iterateByteChunks(source)) parser.pushBytes(chunk);
  return parser.end();
}
