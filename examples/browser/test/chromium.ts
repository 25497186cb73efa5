import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); playwright never downloads a browser here. */
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
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
    ],
    viewport: { width: 1200, height: 900 },
  });
}
