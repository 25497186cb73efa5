// The browser benchmark's page server on 127.0.0.1: the bundled entry, tfjs-backend-wasm's binaries
// and ml-latest-small's ratings.csv straight from $CF_DATA_DIR (nothing is copied into the repo).
// Cross-origin isolated (COOP/COEP), so the wasm backend may use its threaded build.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>cf browser benchmark</title>
<link rel="icon" href="data:,">
<script type="module" src="/entry.js"></script>
`;

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `/` (the page), `/entry.js` (`script`), `/wasm/*.wasm` from `wasmDir` and `/data/ratings.csv` (`ratingsCsv`). */
export async function servePage(
  script: string,
  wasmDir: string,
  ratingsCsv: string,
): Promise<PageServer> {
  const headers = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cache-Control': 'no-store',
  };
  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/') {
        res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
        return;
      }
      if (path === '/entry.js') {
        res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(script);
        return;
      }
      const file =
        path === '/data/ratings.csv'
          ? ratingsCsv
          : path.startsWith('/wasm/') && path.endsWith('.wasm') && basename(path) === path.slice(6)
            ? join(wasmDir, basename(path))
            : undefined;
      const info = file ? await stat(file).catch(() => undefined) : undefined;
      if (!file || !info?.isFile()) {
        res.writeHead(404, headers).end('not found');
        return;
      }
      res.writeHead(200, {
        ...headers,
        'Content-Type': file.endsWith('.wasm') ? 'application/wasm' : 'text/csv',
        'Content-Length': info.size,
      });
      createReadStream(file).pipe(res);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
