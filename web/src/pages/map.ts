/**
 * The embedding map: every mapped anime of a model version as a point (its 2-D UMAP/t-SNE
 * coordinates), zoom and pan with the wheel and drag, hover for the anime, click to open it.
 */
import { gql, typeLabel, type AnimeSummary } from '../api';
import { chartIn, disposeChart, PALETTE, type Chart } from '../charts';
import { h, replace, section } from '../dom';
import { loadModelList, modelLabel, type ModelSummary } from '../models';
import { setHashQuery, type Page } from './page';

const MAP = `query Map($model: Int) {
  embeddingMap(model: $model) { x y anime { id name type genres episodes communityRating } }
}`;

type MapPoint = { x: number; y: number; anime: Omit<AnimeSummary, 'members'> };

/** Genres coloured by name: the most frequent ones; the rest are "other". */
const TOP_GENRES = 11;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function topGenres(points: MapPoint[]): string[] {
  const counts = new Map<string, number>();
  for (const p of points) for (const g of p.anime.genres) counts.set(g, (counts.get(g) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP_GENRES).map(([g]) => g);
}

function drawMap(element: HTMLElement, points: MapPoint[], colourBy: string): Chart {
  const genres = topGenres(points);
  // Each row: x, y, community rating (or -1), colour category, index into points.
  const genreOf = (p: MapPoint) => {
    if (colourBy !== 'genre') return p.anime.genres.includes(colourBy) ? 0 : 1;
    const first = genres.findIndex((g) => p.anime.genres.includes(g));
    return first === -1 ? genres.length : first;
  };
  const rows = points.map((p, index) => [p.x, p.y, p.anime.communityRating ?? -1, genreOf(p), index]);
  const visualMap =
    colourBy === 'rating'
      ? { type: 'continuous', dimension: 2, min: 1, max: 10, text: ['community 10', '1'], inRange: { color: ['#313695', '#74add1', '#fee090', '#f46d43', '#a50026'] }, outOfRange: { color: '#ccc' }, calculable: true, orient: 'horizontal', left: 'center', bottom: 0 }
      : colourBy === 'genre'
        ? { type: 'piecewise', dimension: 3, categories: [...genres.keys(), genres.length], formatter: (value: number) => genres[value] ?? 'other', inRange: { color: [...PALETTE.slice(0, genres.length), '#bbb'] }, orient: 'horizontal', left: 'center', bottom: 0 }
        : { type: 'piecewise', dimension: 3, categories: [0, 1], formatter: (value: number) => (value === 0 ? colourBy : 'other genres'), inRange: { color: ['#d7263d', '#ccc'] }, orient: 'horizontal', left: 'center', bottom: 0 };
  const chart = chartIn(element, {
    grid: { left: 8, right: 8, top: 8, bottom: 48, containLabel: false },
    xAxis: { type: 'value', show: false, scale: true },
    yAxis: { type: 'value', show: false, scale: true },
    dataZoom: [
      { type: 'inside', xAxisIndex: 0, filterMode: 'none' },
      { type: 'inside', yAxisIndex: 0, filterMode: 'none' },
    ],
    visualMap,
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (params: { data: number[] }) => {
        const a = points[params.data[4]!]!.anime;
        return [
          `<strong>${escapeHtml(a.name)}</strong>`,
          `${escapeHtml(typeLabel(a.type) ?? 'unknown type')} · ${a.episodes === null ? 'episodes unknown' : `${a.episodes} episode${a.episodes === 1 ? '' : 's'}`}`,
          escapeHtml(a.genres.join(', ') || 'no genres'),
          `community rating ${a.communityRating?.toFixed(2) ?? '—'}`,
        ].join('<br>');
      },
    },
    series: [{ type: 'scatter', data: rows, symbolSize: 5, large: false, emphasis: { scale: 2.2 } }],
  });
  chart.on('click', (params) => {
    const row = params.data as number[] | undefined;
    if (row) location.hash = `#/anime/${points[row[4]!]!.anime.id}`;
  });
  return chart;
}

export const renderMap: Page = async (root, { query }) => {
  const controls = h('form', { class: 'controls', onsubmit: (e: Event) => e.preventDefault() });
  const status = h('p', { class: 'hint' });
  const canvas = h('div', { id: 'map', class: 'map', role: 'img', 'aria-label': 'Embedding map of the anime' });
  const holder = h('section', { class: 'map-holder' });
  replace(root, h('h1', {}, 'Embedding map'), controls, status, holder);

  const models = await section(controls, 'model versions', loadModelList, () => []);
  if (!models) return;
  if (models.length === 0) {
    replace(holder, h('p', { class: 'empty' }, 'No model has been trained yet: the map appears with the first model version (see Models).'));
    return;
  }
  const active = models.find((m) => m.isActive) ?? models[0]!;
  let model: ModelSummary = models.find((m) => String(m.id) === query.get('model')) ?? active;
  let colourBy = query.get('colour') ?? 'genre';

  const modelSelect = h('select', { id: 'map-model', name: 'model' }, ...models.map((m) => h('option', { value: m.id, selected: m.id === model.id }, modelLabel(m))));
  const colourSelect = h('select', { id: 'map-colour', name: 'colour' });
  replace(
    controls,
    h('label', { for: 'map-model' }, 'Model version '),
    modelSelect,
    h('label', { for: 'map-colour' }, ' Colour by '),
    colourSelect,
    h('button', { type: 'button', id: 'map-reset', onclick: () => chart?.dispatchAction({ type: 'dataZoom', start: 0, end: 100 }) }, 'Reset zoom'),
  );

  let points: MapPoint[] = [];
  let chart: Chart | undefined;
  const draw = () => {
    if (chart) disposeChart(chart);
    replace(holder, canvas);
    chart = drawMap(canvas, points, colourBy);
    canvas.dataset.points = String(points.length);
    canvas.dataset.model = String(model.id);
    // A point a test can hover: the last one drawn, which no other point covers.
    const first = points[points.length - 1];
    if (first) {
      const [px, py] = chart.convertToPixel({ seriesIndex: 0 }, [first.x, first.y]) as number[];
      canvas.dataset.probe = JSON.stringify({ x: px, y: py, id: first.anime.id, name: first.anime.name });
    }
  };
  const fillColours = () => {
    const options = [['genre', 'genre (the most common)'], ['rating', 'community rating'], ...topGenres(points).map((g) => [g, `has genre: ${g}`])];
    replace(colourSelect, ...options.map(([value, label]) => h('option', { value: value!, selected: value === colourBy }, label!)));
  };
  const load = async () => {
    setHashQuery('/map', { model: model.id === active.id ? null : String(model.id), colour: colourBy === 'genre' ? null : colourBy });
    const loaded = await section(holder, `the map of model version ${model.id}`, () => gql<{ embeddingMap: MapPoint[] }>(MAP, { model: model.id }), () => []);
    if (!loaded) return;
    points = loaded.embeddingMap;
    fillColours();
    if (points.length === 0) {
      replace(holder, h('p', { class: 'empty' }, `Model version ${model.id} has no map (trained with --map none).`));
      status.textContent = '';
      return;
    }
    status.textContent = `${points.length.toLocaleString('en')} anime of model version ${model.id}. Scroll to zoom, drag to pan, hover for details, click to open.`;
    draw();
  };
  modelSelect.addEventListener('change', () => {
    model = models.find((m) => String(m.id) === modelSelect.value) ?? active;
    void load();
  });
  colourSelect.addEventListener('change', () => {
    colourBy = colourSelect.value;
    setHashQuery('/map', { model: model.id === active.id ? null : String(model.id), colour: colourBy === 'genre' ? null : colourBy });
    draw();
  });
  await load();
};
