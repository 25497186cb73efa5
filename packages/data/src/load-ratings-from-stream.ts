import { iterateByteChunks, type ByteSource } from './byte-source.js';
import { RatingsParser, type LoadRatingsOptions, type LoadedRatings } from './ratings-parser.js';

/** Options of {@link loadRatingsFromStream}: the ratings options plus the text encoding. */
export interface LoadRatingsFromStreamOptions extends LoadRatingsOptions {
  /** Text encoding of the bytes. Default `'utf-8'` (invalid UTF-8 is an error, see `CsvParseError`). */
  encoding?: 'utf-8' | 'latin1';
}

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
  const decoder = new TextDecoder(options.encoding ?? 'utf-8');
  for await (const chunk of iterateByteChunks(source))
    parser.push(decoder.decode(chunk, { stream: true }));
  parser.push(decoder.decode());
  return parser.end();
}
