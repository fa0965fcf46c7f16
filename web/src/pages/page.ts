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

/**
 * Sets the hash's query without adding history entries for every keystroke, while the hash is
 * still on `path`: a page's late update must not rewrite the URL of the page the user has
 * just opened (a search submitted as a link was clicked pulled the user back to Explore).
 */
export function setHashQuery(path: string, query: Record<string, string | null>): void {
  const current = location.hash.replace(/^#/, '').split('?')[0] || '/';
  if (current !== path) return;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const hash = `#${path}${params.size ? `?${params}` : ''}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
}
