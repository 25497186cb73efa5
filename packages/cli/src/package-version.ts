import { readFileSync } from 'node:fs';

/**
 * The version of `@cf/cli` that is running, read from its package.json (one folder up from both
 * `src/` and `dist/`), so `cf --version` always says what `changeset version` wrote there.
 */
export function packageVersion(): string {
  const json = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const { version } = JSON.parse(json) as { version?: unknown };
  if (typeof version !== 'string') throw new Error('@cf/cli: package.json has no version');
  return version;
}
