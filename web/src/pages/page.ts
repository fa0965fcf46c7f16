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

/** Sets the hash's query without adding history entries for every keystroke. */
export function setHashQuery(path: string, query: Record<string, string | null>): void {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const hash = `#${path}${params.size ? `?${params}` : ''}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
}
