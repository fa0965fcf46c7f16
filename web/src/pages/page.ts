/** What every page receives from the router. */
export interface PageContext {
  /** The route's captured parts (e.g. the anime id). */
  params: string[];
  /** The part of the hash after "?". */
  query: URLSearchParams;
  /** Aborted when the page is left: stop polling. */
  signal: AbortSignal;
}

export type Page = (root: HTMLElement, context: PageContext) => Promise<void>;

/** The hash's path and query ("#/anime/5?x=1" → "/anime/5", "x=1"), as the router reads them. */
export function hashParts(): { path: string; query: string } {
  const [path = '', query = ''] = location.hash.replace(/^#/, '').split('?');
  return { path, query };
}

/**
 * Sets the hash's query without adding history entries for every keystroke, while the hash is
 * still on `path`: a page's late update must not rewrite the URL of the page the user has
 * just opened (a search submitted as a link was clicked pulled the user back to Explore).
 */
export function setHashQuery(path: string, query: Record<string, string | null>): void {
  if ((hashParts().path || '/') !== path) return; // Explore's path is "/" or empty
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const hash = `#${path}${params.size ? `?${params}` : ''}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
}
