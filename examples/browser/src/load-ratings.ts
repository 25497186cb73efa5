// Reading ratings in the browser: a ratings file, a MovieLens zip (unpacked with fflate), or URLs.
import { unzipSync } from 'fflate';
import {
  decodeText,
  parseItemTitles,
  parseRatingsText,
  type ItemTitles,
  type LoadedRatings,
  type RatingsLayout,
  type TitlesLayout,
} from '@cf/data';
import type { DataSource } from './messages.js';

/** Ratings and (when found) titles, with a label for the page. */
export interface BrowserDataset {
  label: string;
  loaded: LoadedRatings;
  titles: ItemTitles | undefined;
}

const RATINGS_FILES: {
  name: string;
  layout: RatingsLayout;
  titles: string;
  titlesLayout: TitlesLayout;
}[] = [
  { name: 'ratings.csv', layout: 'ratings-csv', titles: 'movies.csv', titlesLayout: 'movies-csv' },
  { name: 'u.data', layout: 'u-data', titles: 'u.item', titlesLayout: 'u-item' },
  { name: 'ratings.dat', layout: 'ratings-dat', titles: 'movies.dat', titlesLayout: 'movies-dat' },
];

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** Keeps the first `maxRows` data rows of a ratings text (after the header line when there is one). */
export function firstRows(text: string, maxRows: number | undefined, header: boolean): string {
  if (maxRows === undefined) return text;
  let end = 0;
  for (let line = 0; line < maxRows + (header ? 1 : 0); line++) {
    const next = text.indexOf('\n', end);
    if (next < 0) return text;
    end = next + 1;
  }
  return text.slice(0, end);
}

function parse(bytes: Uint8Array, name: string, maxRows: number | undefined): LoadedRatings {
  const spec = RATINGS_FILES.find((f) => f.name === baseName(name)) ?? RATINGS_FILES[0]!;
  const text = firstRows(decodeText(bytes), maxRows, spec.layout === 'ratings-csv');
  return parseRatingsText(text, { format: spec.layout, source: name });
}

function fromZip(bytes: Uint8Array, name: string, maxRows: number | undefined): BrowserDataset {
  const wanted = new Set(RATINGS_FILES.flatMap((f) => [f.name, f.titles]));
  const entries = unzipSync(bytes, { filter: (file) => wanted.has(baseName(file.name)) });
  for (const spec of RATINGS_FILES) {
    const path = Object.keys(entries).find((p) => baseName(p) === spec.name);
    if (!path) continue;
    const titlesPath = Object.keys(entries).find((p) => baseName(p) === spec.titles);
    const titles = titlesPath
      ? parseItemTitles(entries[titlesPath]!, { layout: spec.titlesLayout, source: titlesPath })
      : undefined;
    return { label: `${name} → ${path}`, loaded: parse(entries[path]!, path, maxRows), titles };
  }
  throw new Error(
    `${name} has no ratings.csv, u.data or ratings.dat: drop a MovieLens zip such as ml-latest-small.zip`,
  );
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok)
    throw new Error(`GET ${url} answered ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Loads a {@link DataSource} into a ratings table (ids remapped in order of first appearance). */
export async function loadDataSource(source: DataSource): Promise<BrowserDataset> {
  if (source.kind === 'file') {
    const bytes = new Uint8Array(source.bytes);
    if (source.name.toLowerCase().endsWith('.zip'))
      return fromZip(bytes, source.name, source.maxRows);
    return {
      label: source.name,
      loaded: parse(bytes, source.name, source.maxRows),
      titles: undefined,
    };
  }
  const loaded = parse(
    await fetchBytes(source.ratingsUrl),
    baseName(source.ratingsUrl),
    source.maxRows,
  );
  const titles = source.titlesUrl
    ? parseItemTitles(await fetchBytes(source.titlesUrl), { source: source.titlesUrl })
    : undefined;
  return { label: source.label, loaded, titles };
}
