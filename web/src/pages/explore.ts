/** Explore: search the catalog by name, most popular first, a page at a time. */
import { ANIME_FIELDS, gql, typeLabel, type AnimeSummary } from '../api';
import { animeLink, errorBox, formatNumber, h, loading, replace } from '../dom';
import { setHashQuery, type Page } from './page';

const PAGE_SIZE = 25;
const SEARCH = `query Search($search: String, $after: String) {
  animes(search: $search, first: ${PAGE_SIZE}, after: $after) { nodes { ${ANIME_FIELDS} } pageInfo { hasNextPage endCursor } }
}`;

type SearchResult = { animes: { nodes: AnimeSummary[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

export function animeRow(anime: AnimeSummary): HTMLTableRowElement {
  return h(
    'tr',
    {},
    h('td', {}, animeLink(anime)),
    h('td', {}, typeLabel(anime.type) ?? '—'),
    h('td', { class: 'genres' }, anime.genres.join(', ')),
    h('td', { class: 'num' }, formatNumber(anime.episodes)),
    h('td', { class: 'num' }, formatNumber(anime.communityRating, 2)),
    h('td', { class: 'num' }, formatNumber(anime.members)),
  );
}

export const renderExplore: Page = async (root, { query, signal }) => {
  const input = h('input', { type: 'search', id: 'search', name: 'search', placeholder: 'e.g. Steins;Gate', autocomplete: 'off', value: query.get('q') ?? '' });
  const results = h('div', { id: 'results' });
  const form = h(
    'form',
    { class: 'search', role: 'search', onsubmit: (event: Event) => {
      event.preventDefault();
      void search();
    } },
    h('label', { for: 'search' }, 'Search anime by name'),
    h('div', { class: 'row' }, input, h('button', { type: 'submit' }, 'Search')),
  );
  replace(root, h('h1', {}, 'Explore'), form, results);
  input.focus();

  let generation = 0;
  async function search(): Promise<void> {
    // A search typed just before leaving the page must not rewrite the next page's URL.
    if (signal.aborted) return;
    const term = input.value.trim();
    setHashQuery('/', { q: term || null });
    const mine = ++generation;
    replace(results, loading('anime'));
    const tbody = h('tbody');
    const more = h('button', { type: 'button', class: 'more' }, 'More');
    let after: string | null = null;
    const loadPage = async () => {
      const data: SearchResult = await gql<SearchResult>(SEARCH, { search: term || null, after });
      if (mine !== generation) return;
      tbody.append(...data.animes.nodes.map(animeRow));
      after = data.animes.pageInfo.endCursor;
      more.hidden = !data.animes.pageInfo.hasNextPage;
      return data.animes.nodes.length;
    };
    try {
      const count = await loadPage();
      if (mine !== generation) return;
      const caption = term ? `Anime whose name contains “${term}”, most popular first` : 'The most popular anime (by MyAnimeList members)';
      replace(
        results,
        count === 0
          ? h('p', { class: 'empty' }, `No anime name contains “${term}”.`)
          : h('table', { class: 'anime-table' },
              h('caption', {}, caption),
              h('thead', {}, h('tr', {}, ...['Name', 'Type', 'Genres', 'Episodes', 'Community', 'Members'].map((t) => h('th', { scope: 'col' }, t)))),
              tbody),
        more,
      );
      more.addEventListener('click', () => {
        more.disabled = true;
        loadPage().catch((error: unknown) => results.append(errorBox(error))).finally(() => (more.disabled = false));
      });
    } catch (error) {
      if (mine === generation) replace(results, errorBox(error));
    }
  }

  let debounce: number | undefined;
  signal.addEventListener('abort', () => window.clearTimeout(debounce));
  input.addEventListener('input', () => {
    window.clearTimeout(debounce);
    debounce = window.setTimeout(() => void search(), 300);
  });
  await search();
};
