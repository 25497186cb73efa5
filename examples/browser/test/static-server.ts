import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.bin': 'application/octet-stream',
};

/**
 * A tiny static server on 127.0.0.1: `/models/*` from `modelsDir`, everything else from `root`.
 * With `headers` (e.g. the COOP/COEP pair the example's vite servers send) on every response.
 */
export async function serveStatic(
  root: string,
  modelsDir: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const [base, rest] = path.startsWith('/models/')
        ? [modelsDir, path.slice('/models/'.length)]
        : [root, path === '/' ? 'index.html' : path.slice(1)];
      const file = normalize(join(base, rest));
      const info = file.startsWith(base) ? await stat(file).catch(() => undefined) : undefined;
      if (!info?.isFile()) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, {
        ...headers,
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Length': info.size,
      });
      createReadStream(file).pipe(res);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
