// Proves that `@cf/data` (the `.` entry) runs in a browser: bundled by esbuild for the browser
// platform with no Node polyfills, then run in a fresh V8 context that has the web globals a
// browser has (TextDecoder, ReadableStream) but no Buffer, process or require.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';

interface EsbuildLike {
  build(options: Record<string, unknown>): Promise<{ outputFiles: { text: string }[] }>;
}
// esbuild is not a dependency of @cf/data; borrow the one tsup (a dev dependency) brings.
const esbuild = createRequire(createRequire(import.meta.url).resolve('tsup'))(
  'esbuild',
) as EsbuildLike;

describe('browser bundle of @cf/data', () => {
  it('bundles without node: modules and parses quoted text and a ReadableStream without Buffer', async () => {
    const result = await esbuild.build({
      entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'cfData',
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["']node:/);
    const context = {
      TextDecoder,
      TextEncoder,
      ReadableStream,
      console,
      out: undefined as unknown,
    };
    const script = `${code};
      out = (async () => {
        const quoted = cfData.parseRatingsText('u,i,r\\n"a,1",x,4\\nb,x,5\\n', { format: { delimiter: ',', header: true, columns: { user: 'u', item: 'i', rating: 'r' } } });
        const bytes = new TextEncoder().encode('userId,movieId,rating,timestamp\\r\\n1,10,4.5,100\\r\\n2,10,3,200');
        const stream = new ReadableStream({ start(c) { c.enqueue(bytes.slice(0, 20)); c.enqueue(bytes.slice(20)); c.close(); } });
        const streamed = await cfData.loadRatingsFromStream(stream);
        const titles = cfData.parseItemTitles('movieId,title,genres\\n1,"A, B",X|Y\\n');
        return {
          users: quoted.table.userIds.ids(), ratings: Array.from(streamed.table.rating),
          title: titles.get(1), noBuffer: typeof Buffer === 'undefined' && typeof process === 'undefined',
        };
      })();`;
    runInNewContext(script, context);
    expect(await (context.out as Promise<unknown>)).toEqual({
      users: ['a,1', 'b'],
      ratings: [4.5, 3],
      title: { title: 'A, B', genres: ['X', 'Y'] },
      noBuffer: true,
    });
  });
});
