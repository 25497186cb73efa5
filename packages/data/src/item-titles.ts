import { iterateByteChunks, type ByteSource } from './byte-source.js';
import { DelimitedTextReader } from './delimited-text-reader.js';
import { CsvParseError, InvalidArgumentError } from './errors.js';
import { parseRawId, type RawId } from './raw-id.js';

/** Title and genres of one item. */
export interface ItemInfo {
  title: string;
  /** Genre names; empty when the source lists none (`(no genres listed)`). */
  genres: string[];
}

/** Item metadata by raw item id (the `itemId`s of the ratings file). */
export type ItemTitles = Map<RawId, ItemInfo>;

/**
 * The MovieLens item files: `'movies-csv'` (`movieId,title,genres` with a header and quoted
 * titles; ml-latest-small, ml-25m, ml-32m), `'u-item'` (ml-100k `u.item`: `|` separated,
 * latin-1, 19 genre flags) and `'movies-dat'` (ml-1m, ml-10m: `id::title::genres`).
 */
export type TitlesLayout = 'movies-csv' | 'u-item' | 'movies-dat';

/** Options of {@link parseItemTitles} and {@link loadItemTitlesFromStream}. */
export interface ItemTitlesOptions {
  /** Which file layout. Default `'movies-csv'`. */
  layout?: TitlesLayout;
  /** Label named in errors. */
  source?: string;
  /** Byte encoding. Default `'auto'`: UTF-8 when the bytes are valid UTF-8, else latin-1 (ml-100k, ml-1m). */
  encoding?: 'auto' | 'utf-8' | 'latin1';
}

/** The genres of ml-100k in the order of the 19 flags of `u.item` (as listed in `u.genre`). */
export const ML_100K_GENRES: readonly string[] = [
  'unknown',
  'Action',
  'Adventure',
  'Animation',
  "Children's",
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
];

const LAYOUTS: Record<
  TitlesLayout,
  { delimiter: string; quoted: boolean; header: boolean; minFields: number }
> = {
  'movies-csv': { delimiter: ',', quoted: true, header: true, minFields: 3 },
  'u-item': { delimiter: '|', quoted: false, header: false, minFields: 5 + ML_100K_GENRES.length },
  'movies-dat': { delimiter: '::', quoted: false, header: false, minFields: 3 },
};

/** Decodes bytes as UTF-8, as latin-1, or (`'auto'`) as UTF-8 when valid and latin-1 otherwise. Strips a UTF-8 BOM. */
export function decodeText(
  bytes: Uint8Array,
  encoding: 'auto' | 'utf-8' | 'latin1' = 'auto',
): string {
  if (encoding === 'latin1') return new TextDecoder('latin1').decode(bytes);
  if (encoding === 'utf-8') return new TextDecoder('utf-8').decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('latin1').decode(bytes);
  }
}

function parseGenres(layout: TitlesLayout, fields: string[]): string[] {
  if (layout === 'u-item') return ML_100K_GENRES.filter((_, k) => fields[5 + k] === '1');
  const text = fields[2]!;
  return text === '' || text === '(no genres listed)' ? [] : text.split('|');
}

/** Parses an item file (text, or bytes decoded per `encoding`) into {@link ItemTitles}. */
export function parseItemTitles(
  input: string | Uint8Array,
  options: ItemTitlesOptions = {},
): ItemTitles {
  const layoutName = options.layout ?? 'movies-csv';
  const layout = LAYOUTS[layoutName] as (typeof LAYOUTS)[TitlesLayout] | undefined;
  if (!layout)
    throw new InvalidArgumentError(
      'layout',
      `unknown titles layout ${JSON.stringify(layoutName)}; use one of ${Object.keys(LAYOUTS).join(', ')}`,
    );
  const file = options.source ?? '<text>';
  const text = typeof input === 'string' ? input : decodeText(input, options.encoding);
  const titles: ItemTitles = new Map();
  let sawHeader = !layout.header;
  let lastLine = 0;
  const reader = new DelimitedTextReader({
    file,
    delimiter: layout.delimiter,
    quoted: layout.quoted,
    rejectInvalidUtf8: false,
    onRecord: (fields, line) => {
      lastLine = line;
      if (!sawHeader) {
        sawHeader = true;
        if (fields[0] !== 'movieId' || fields[1] !== 'title') {
          throw new CsvParseError(
            { file, line },
            'the header "movieId,title,genres"',
            fields.join(layout.delimiter),
          );
        }
        return;
      }
      if (fields.length < layout.minFields) {
        throw new CsvParseError(
          { file, line },
          `at least ${layout.minFields} fields separated by ${JSON.stringify(layout.delimiter)} (${layoutName}), got ${fields.length}`,
          fields.join(layout.delimiter),
        );
      }
      const idText = fields[0]!;
      if (idText === '') throw new CsvParseError({ file, line, column: 1 }, 'an item id', idText);
      titles.set(parseRawId(idText), {
        title: fields[1]!,
        genres: parseGenres(layoutName, fields),
      });
    },
  });
  reader.push(text);
  reader.end();
  if (lastLine === 0)
    throw new CsvParseError({ file, line: 1 }, `item rows (${layoutName}), but the file is empty`);
  if (titles.size === 0)
    throw new CsvParseError(
      { file, line: lastLine + 1 },
      'at least one item row after the header, but the file ends there',
    );
  return titles;
}

/**
 * Reads an item file from a byte stream (browser or Node). Item files are small (a few MB), so the
 * bytes are gathered first: the encoding can then be told from the whole file.
 */
export async function loadItemTitlesFromStream(
  source: ByteSource,
  options: ItemTitlesOptions = {},
): Promise<ItemTitles> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of iterateByteChunks(source)) {
    chunks.push(chunk);
    size += chunk.length;
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return parseItemTitles(bytes, { ...options, source: options.source ?? '<stream>' });
}
