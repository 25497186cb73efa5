// Debian's Chromium driven by playwright-core, as examples/browser/test/chromium.ts launches it
// (that file belongs to the example's tests, so the bench keeps its own few lines). playwright
// never downloads a browser here: it only gets an executablePath.
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`), or $CF_CHROMIUM. */
export const CHROMIUM_PATH = process.env['CF_CHROMIUM'] ?? '/usr/bin/chromium';

/** Headless Chromium with a fresh profile in `profileDir`, WebGL2 on SwiftShader, no background traffic. */
export function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // no GPU on this machine: WebGL2 through SwiftShader, as the example's test
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
    ],
  });
}
