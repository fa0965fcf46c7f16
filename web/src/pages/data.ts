/** Data: what the notebook looked at first — the counts, the rating histogram, popularity. */
import { gql, typeLabel } from '../api';
import { chartIn } from '../charts';
import { animeLink, formatNumber, h, replace, section } from '../dom';
import type { Page } from './page';

const STATS = `{ catalogStats {
  anime users ratings watched
  ratingHistogram { rating count }
  ratingsPerAnime { min max anime }
  mostRated(k: 20) { anime { id name type members communityRating } ratings meanRating }
} }`;

interface Stats {
  anime: number;
  users: number;
  ratings: number;
  watched: number;
  ratingHistogram: { rating: number; count: number }[];
  ratingsPerAnime: { min: number; max: number; anime: number }[];
  mostRated: { anime: { id: number; name: string; type: string | null; members: number; communityRating: number | null }; ratings: number; meanRating: number }[];
}

const percent = (part: number, whole: number) => (whole === 0 ? '—' : `${((100 * part) / whole).toFixed(1)} %`);

function counts(s: Stats): HTMLElement {
  const card = (label: string, value: number, id: string) => h('div', { class: 'count', id }, h('span', { class: 'value' }, formatNumber(value)), h('span', { class: 'label' }, label));
  return h('div', { class: 'counts' }, card('anime', s.anime, 'count-anime'), card('users', s.users, 'count-users'), card('ratings (1–10)', s.ratings, 'count-ratings'), card('watched, not rated (−1)', s.watched, 'count-watched'));
}

function histogram(element: HTMLElement, s: Stats): void {
  const labels = ['−1 (watched)', ...s.ratingHistogram.map((b) => String(b.rating))];
  const values = [{ value: s.watched, itemStyle: { color: '#bbb' } }, ...s.ratingHistogram.map((b) => b.count)];
  chartIn(element, {
    title: { text: 'Ratings per score', left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 64, right: 16, top: 36, bottom: 40 },
    xAxis: { type: 'category', data: labels, name: 'rating', nameLocation: 'middle', nameGap: 26, axisLabel: { interval: 0 } },
    yAxis: { type: 'value', name: 'rows' },
    series: [{ type: 'bar', data: values }],
  });
  element.dataset.bars = String(labels.length);
}

function popularity(element: HTMLElement, s: Stats): void {
  const label = (b: Stats['ratingsPerAnime'][number]) => (b.min === b.max ? String(b.min) : `${b.min}–${b.max}`);
  chartIn(element, {
    title: { text: 'Anime per number of ratings', left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 56, right: 16, top: 36, bottom: 56 },
    xAxis: { type: 'category', data: s.ratingsPerAnime.map(label), name: 'ratings of the anime', nameLocation: 'middle', nameGap: 40, axisLabel: { rotate: 30 } },
    yAxis: { type: 'value', name: 'anime' },
    series: [{ type: 'bar', data: s.ratingsPerAnime.map((b) => b.anime), itemStyle: { color: '#73c0de' } }],
  });
  element.dataset.bars = String(s.ratingsPerAnime.length);
}

function mostRatedTable(s: Stats): HTMLElement {
  return h(
    'table',
    { id: 'most-rated' },
    h('caption', {}, 'The most rated anime here'),
    h('thead', {}, h('tr', {}, ...['#', 'Anime', 'Type', 'Ratings', 'Mean rating here', 'Community', 'Members'].map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      {},
      ...s.mostRated.map((m, k) =>
        h('tr', {}, h('td', { class: 'num' }, String(k + 1)), h('td', {}, animeLink(m.anime)), h('td', {}, typeLabel(m.anime.type) ?? '—'), h('td', { class: 'num' }, formatNumber(m.ratings)), h('td', { class: 'num' }, m.meanRating.toFixed(2)), h('td', { class: 'num' }, formatNumber(m.anime.communityRating, 2)), h('td', { class: 'num' }, formatNumber(m.anime.members))),
      ),
    ),
  );
}

export const renderData: Page = async (root) => {
  const body = h('div');
  replace(root, h('h1', {}, 'Data'), body);
  const stats = await section(body, 'the data', async () => (await gql<{ catalogStats: Stats }>(STATS)).catalogStats, () => []);
  if (!stats) return;
  const hist = h('div', { class: 'chart', id: 'rating-histogram', role: 'img', 'aria-label': 'Number of ratings per score, with the watched-not-rated rows' });
  const pop = h('div', { class: 'chart', id: 'ratings-per-anime', role: 'img', 'aria-label': 'Number of anime per number of ratings' });
  const rows = stats.ratings + stats.watched;
  replace(
    body,
    counts(stats),
    h('p', {}, `Of ${formatNumber(rows)} rating rows, ${percent(stats.watched, rows)} say only “watched” (the source's −1) and are kept apart from the 1–10 ratings the models learn from.`),
    h('div', { class: 'columns' }, hist, pop),
    mostRatedTable(stats),
  );
  histogram(hist, stats);
  popularity(pop, stats);
};
