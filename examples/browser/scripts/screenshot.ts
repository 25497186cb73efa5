// Makes examples/browser/screenshot.png for the READMEs: the built page after 4 epochs on the sample.
// Run after `pnpm build`: `pnpm exec tsx scripts/screenshot.ts` (needs /usr/bin/chromium).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '@cf/test-utils/chromium';
import { serveStatic } from '../test/static-server.js';

const root = join(import.meta.dirname, '..');
const profile = mkdtempSync(join(tmpdir(), 'cf-shot-'));
const server = await serveStatic(join(root, 'dist'), join(root, 'models'));
const context = await launchChromium(profile, { viewport: { width: 1200, height: 900 } });
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(server.url);
  await page.getByTestId('use-sample').click();
  await page.waitForFunction(() => window.__cf.data !== undefined);
  await page.getByTestId('recipe').selectOption('fastai');
  await page.getByTestId('epochs').fill('4');
  await page.getByTestId('lr').fill('0.02');
  await page.getByTestId('factors').fill('16');
  await page.getByTestId('train').click();
  await page.waitForFunction(() => window.__cf.trained !== undefined, undefined, {
    timeout: 300_000,
  });
  await page.getByTestId('user-id').fill('1');
  await page.getByTestId('recommend').click();
  await page.getByTestId('item-id').fill('10');
  await page.getByTestId('similar').click();
  await page.waitForFunction(
    () => window.__cf.similar !== undefined && window.__cf.recommendations !== undefined,
  );
  await page.screenshot({ path: join(root, 'screenshot.png'), fullPage: true });
} finally {
  await context.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
