import { describe, expect, it } from 'vitest';
import { expectCsvError, expectCsvErrorAsync } from './expect-csv-error.test-util.js';
import { decodeText, loadItemTitlesFromStream, parseItemTitles } from './item-titles.js';

describe('parseItemTitles', () => {
  it("reads movies.csv with quoted titles holding commas and quotes ('movies-csv')", () => {
    const text =
      'movieId,title,genres\r\n1,Toy Story (1995),Adventure|Animation\r\n11,"American President, The (1995)",Comedy|Drama|Romance\r\n' +
      '26,"11\'09""01 - September 11 (2002)",Drama\r\n99,Nothing (2000),(no genres listed)';
    const titles = parseItemTitles(text);
    expect([...titles]).toEqual([
      [1, { title: 'Toy Story (1995)', genres: ['Adventure', 'Animation'] }],
      [11, { title: 'American President, The (1995)', genres: ['Comedy', 'Drama', 'Romance'] }],
      [26, { title: '11\'09"01 - September 11 (2002)', genres: ['Drama'] }],
      [99, { title: 'Nothing (2000)', genres: [] }],
    ]);
  });

  it("reads u.item: latin-1 bytes, '|' separated, 19 genre flags ('u-item')", () => {
    const flags = (set: number[]) =>
      Array.from({ length: 19 }, (_, k) => (set.includes(k) ? '1' : '0')).join('|');
    const line1 = `1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)|${flags([3, 4, 5])}\n`;
    const line2 = `2|Ni\u00f1o "Bravo" (1994)|01-Jan-1994||url|${flags([0])}\n`;
    const bytes = Uint8Array.from(line1 + line2, (c) => c.charCodeAt(0)); // latin-1: one byte a character
    const titles = parseItemTitles(bytes, { layout: 'u-item' });
    expect([...titles]).toEqual([
      [1, { title: 'Toy Story (1995)', genres: ['Animation', "Children's", 'Comedy'] }],
      [2, { title: 'Ni\u00f1o "Bravo" (1994)', genres: ['unknown'] }],
    ]);
  });

  it("reads movies.dat ('movies-dat': '::', latin-1 in ml-1m)", () => {
    const bytes = Uint8Array.from(
      '1::Toy Story (1995)::Animation|Comedy\n2::Caf\u00e9 (1990)::Drama\n',
      (c) => c.charCodeAt(0),
    );
    expect([...parseItemTitles(bytes, { layout: 'movies-dat' })]).toEqual([
      [1, { title: 'Toy Story (1995)', genres: ['Animation', 'Comedy'] }],
      [2, { title: 'Caf\u00e9 (1990)', genres: ['Drama'] }],
    ]);
  });

  it('decodeText: UTF-8 when valid, latin-1 otherwise, or as told', () => {
    expect(decodeText(new TextEncoder().encode('\uFEFFcafé'))).toBe('café');
    expect(decodeText(Uint8Array.of(0x63, 0xe9))).toBe('cé');
    expect(decodeText(Uint8Array.of(0xc3, 0xa9), 'latin1')).toBe('Ã©');
  });

  it('errors: empty file, header only, wrong header, too few fields', () => {
    expectCsvError(() => parseItemTitles('', { source: 'm.csv' }), {
      file: 'm.csv',
      line: 1,
      message: /the file is empty/,
    });
    expectCsvError(() => parseItemTitles('movieId,title,genres\n', { source: 'm.csv' }), {
      file: 'm.csv',
      line: 2,
      message: /at least one item row/,
    });
    expectCsvError(() => parseItemTitles('id,name\n1,x\n', { source: 'm.csv' }), {
      file: 'm.csv',
      line: 1,
      message: /the header "movieId,title,genres", found "id,name"/,
    });
    expectCsvError(
      () => parseItemTitles('movieId,title,genres\n1,x,y\n2,z\n', { source: 'm.csv' }),
      { file: 'm.csv', line: 3, message: /at least 3 fields/ },
    );
    expectCsvError(() => parseItemTitles('1|x|d||u|0\n', { source: 'u.item', layout: 'u-item' }), {
      file: 'u.item',
      line: 1,
      message: /at least 24 fields/,
    });
  });

  it('loadItemTitlesFromStream gathers a web stream', async () => {
    const bytes = new TextEncoder().encode('movieId,title,genres\n5,"A, B",X\n');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 9));
        controller.enqueue(bytes.slice(9));
        controller.close();
      },
    });
    expect([...(await loadItemTitlesFromStream(stream))]).toEqual([
      [5, { title: 'A, B', genres: ['X'] }],
    ]);
    await expectCsvErrorAsync(
      loadItemTitlesFromStream(new ReadableStream({ start: (c) => c.close() }), { source: 's' }),
      { file: 's', line: 1, message: /empty/ },
    );
  });
});
