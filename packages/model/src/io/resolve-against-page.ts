/** True when `location` starts with a URL scheme (`https:`, `file:`, `data:`…). */
export function hasUrlScheme(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(location);
}

/**
 * `location` made absolute against the page (`document.baseURI`, or a worker's `location.href`)
 * when it has no scheme (`/models/m/model.json`, `models/m/model.json`, `./m/model.json`);
 * unchanged outside a page or when it has one.
 */
export function resolveAgainstPage(location: string): string {
  if (hasUrlScheme(location)) return location;
  const page = globalThis as { document?: { baseURI?: string }; location?: { href?: string } };
  const base = page.document?.baseURI ?? page.location?.href;
  return base ? new URL(location, base).href : location;
}
