// Debian's Chromium driven by playwright-core, for the browser example's test and the browser
// benchmark. playwright never downloads a browser here: it only gets an executablePath.
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`, which .ci/run does), or $CF_CHROMIUM. */
export const CHROMIUM_PATH = process.env['CF_CHROMIUM'] ?? '/usr/bin/chromium';

/** Options of {@link launchChromium}. */
export interface LaunchChromiumOptions {
  /** Page size. Default playwright's (1280 × 720). */
  viewport?: { width: number; height: number };
}

/**
 * Headless Chromium with a fresh profile in `profileDir` (a new temp folder per run), WebGL2 on
 * SwiftShader (no GPU here), and none of Chromium's background traffic (this machine's network is
 * closed: those connections would be refused, many at a time). The caller closes the context.
 */
export function launchChromium(
  profileDir: string,
  options: LaunchChromiumOptions = {},
): Promise<BrowserContext> {
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
    ...(options.viewport ? { viewport: options.viewport } : {}),
  });
}
