import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { expectCsvErrorAsync } from './expect-csv-error.test-util.js';
import { loadRatingsFromStream } from './load-ratings-from-stream.js';

/** A web ReadableStream that delivers `bytes` in chunks of `size` bytes (as a browser fetch body would). */
function webStream(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

const encoder = new TextEncoder();
const CSV = '\uFEFFuserId,movieId,rating,timestamp\r\n1,10,4.0,100\r\n2,10,3.5,200\r\n1,30,5.0,300';

describe('loadRatingsFromStream', () => {
  it.each([1, 2, 3, 7, 1024])(
    'reads a web ReadableStream in %i-byte chunks (BOM, CRLF, no last newline)',
    async (size) => {
      const { table, report } = await loadRatingsFromStream(webStream(encoder.encode(CSV), size));
      expect(table.userIds.ids()).toEqual([1, 2]);
      expect(table.itemIds.ids()).toEqual([10, 30]);
      expect(Array.from(table.rating)).toEqual([4, 3.5, 5]);
      expect(Array.from(table.timestamp ?? [])).toEqual([100, 200, 300]);
      expect(report.source).toBe('<stream>');
    },
  );

  it('reads a Node Readable (an async iterable of Buffers)', async () => {
    const chunks = Readable.from([
      Buffer.from('1::10::4::100\n2::1'),
      Buffer.from('0::3.5::200\n'),
    ]);
    const { table } = await loadRatingsFromStream(chunks, { format: 'ratings-dat' });
    expect(Array.from(table.userIndex)).toEqual([0, 1]);
    expect(Array.from(table.rating)).toEqual([4, 3.5]);
  });

  it('keeps a UTF-8 character split across chunks intact', async () => {
    const text = 'u\ti\tr\nü1\té2\t3\n';
    const { table } = await loadRatingsFromStream(webStream(encoder.encode(text), 1), {
      format: { delimiter: '\t', header: true, columns: { user: 'u', item: 'i', rating: 'r' } },
    });
    expect(table.userIds.ids()).toEqual(['ü1']);
    expect(table.itemIds.ids()).toEqual(['é2']);
  });

  it('decodes latin-1 when asked', async () => {
    const bytes = Uint8Array.from([
      0x75, 0x09, 0x69, 0x09, 0x72, 0x0a, 0xfc, 0x09, 0x31, 0x09, 0x33, 0x0a,
    ]); // "u\ti\tr\n\xfc\t1\t3\n"
    const format = {
      delimiter: '\t',
      header: true,
      columns: { user: 'u', item: 'i', rating: 'r' },
    };
    const { table } = await loadRatingsFromStream(webStream(bytes, 4), {
      format,
      encoding: 'latin1',
    });
    expect(table.userIds.ids()).toEqual(['ü']);
    await expectCsvErrorAsync(
      loadRatingsFromStream(webStream(bytes, 4), { format, source: 'x.tsv' }),
      { file: 'x.tsv', line: 2, message: /invalid UTF-8/ },
    );
  });

  it('rejects a binary (gzip) stream with the line of the first bad byte', async () => {
    const gzip = Uint8Array.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x0a, 0xff, 0x00]);
    await expectCsvErrorAsync(
      loadRatingsFromStream(webStream(gzip, 3), { source: 'ratings.csv.gz' }),
      {
        file: 'ratings.csv.gz',
        line: 1,
        message: /this looks like a binary file/,
      },
    );
  });

  it('rejects an empty stream', async () => {
    await expectCsvErrorAsync(
      loadRatingsFromStream(webStream(new Uint8Array(0), 8), { source: 'empty.csv' }),
      { file: 'empty.csv', line: 1, message: /the file is empty/ },
    );
  });
});
