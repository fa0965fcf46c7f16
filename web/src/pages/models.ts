/**
 * Models: every version with its test metrics beside the baselines, loss curves per epoch, a
 * predicted-vs-true chart, the active marker; with the admin token, training and activation.
 */
import { gql } from '../api';
import { enumName, kindLabel, MODEL_LIST_SIZE } from '../models';
import { chartIn } from '../charts';
import { errorBox, formatNumber, h, replace, section } from '../dom';
import { adminToken, setAdminToken } from '../session';
import type { Page } from './page';

const MODELS = `{ models(first: ${MODEL_LIST_SIZE}) { nodes {
  id kind embeddingDim isActive createdAt activatedAt hyperparameters metrics
  history { epoch loss valLoss seconds }
  predictionSample { actual predicted }
} } }`;
const RUNS = `{ trainingRuns { nodes { id kind preset status phase progress detail startedAt finishedAt modelVersionId error } } }`;
const START = `mutation Start($kind: ModelKind!, $preset: TrainingPreset!, $params: JSONObject, $activate: Boolean!, $map: MapMethod!) {
  startTraining(input: { kind: $kind, preset: $preset, params: $params, activate: $activate, map: $map }) { trainingRun { id } }
}`;
const KINDS = '{ modelKinds }';
const DEFAULT_KIND = 'RETRIEVAL';
const ACTIVATE = `mutation Activate($id: Int!) { activateModel(input: { id: $id }) { modelVersion { id } } }`;

type Regression = { mae: number; rmse: number };
type Ranking = { ndcg: number; recall: number; coverage: number };
type Metrics = {
  test?: Regression;
  ranking?: Ranking;
  baselines?: Record<string, { test: Regression; ranking: Ranking }>;
  rankingBaselines?: Record<string, Ranking & { lambda?: number }>;
};
interface ModelVersion {
  id: number;
  kind: string;
  embeddingDim: number;
  isActive: boolean;
  createdAt: string;
  hyperparameters: Record<string, unknown>;
  metrics: Metrics;
  history: { epoch: number; loss: number; valLoss: number | null; seconds: number }[];
  predictionSample: { actual: number[]; predicted: number[] } | null;
}
interface TrainingRun {
  id: number;
  kind: string;
  preset: string;
  status: string;
  phase: string;
  progress: number;
  detail: string;
  modelVersionId: number | null;
  error: string | null;
}

const f4 = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(4));

function versionsTable(models: ModelVersion[], selected: number, onSelect: (id: number) => void): HTMLElement {
  return h(
    'table',
    { id: 'versions' },
    h('caption', {}, 'Model versions (test set). Select one for its curves.'),
    h('thead', {}, h('tr', {}, ...['Version', 'Kind', 'Dim', 'Trained', 'MAE', 'RMSE', 'NDCG@10', 'Recall@10', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      {},
      ...models.map((m) =>
        h(
          'tr',
          { class: m.id === selected ? 'selected' : '', 'data-version': m.id },
          h('td', {}, h('button', { type: 'button', class: 'link', 'aria-pressed': String(m.id === selected), onclick: () => onSelect(m.id) }, `#${m.id}`)),
          h('td', {}, kindLabel(m.kind)),
          h('td', { class: 'num' }, String(m.embeddingDim)),
          h('td', {}, new Date(m.createdAt).toLocaleString()),
          h('td', { class: 'num' }, f4(m.metrics.test?.mae)),
          h('td', { class: 'num' }, f4(m.metrics.test?.rmse)),
          h('td', { class: 'num' }, f4(m.metrics.ranking?.ndcg)),
          h('td', { class: 'num' }, f4(m.metrics.ranking?.recall)),
          h('td', {}, m.isActive ? h('span', { class: 'badge', title: 'served by the API' }, 'active') : ''),
        ),
      ),
    ),
  );
}

function metricsTable(m: ModelVersion): HTMLElement {
  const rows: [string, { test?: Regression; ranking?: Ranking }][] = [[`${kindLabel(m.kind)} #${m.id}`, m.metrics]];
  const baselineNames: Record<string, string> = { globalMean: 'global mean', baselineOnly: 'user+item bias (BaselineOnly)' };
  for (const [key, value] of Object.entries(m.metrics.baselines ?? {})) rows.push([baselineNames[key] ?? key, value]);
  const rankingNames: Record<string, string> = { popularity: 'popularity', itemKnn: 'item-kNN (cosine, 100 neighbours)', ease: 'EASE' };
  for (const [key, value] of Object.entries(m.metrics.rankingBaselines ?? {})) {
    rows.push([`${rankingNames[key] ?? key}${value.lambda === undefined ? '' : ` (λ ${value.lambda})`}`, { ranking: value }]);
  }
  return h(
    'table',
    { class: 'metrics', id: 'metrics' },
    h('caption', {}, 'Test-set errors and top-10 ranking quality beside the baselines'),
    h('thead', {}, h('tr', {}, ...['', 'MAE', 'RMSE', 'NDCG@10', 'Recall@10'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...rows.map(([name, r]) => h('tr', {}, h('th', { scope: 'row' }, name), h('td', { class: 'num' }, f4(r.test?.mae)), h('td', { class: 'num' }, f4(r.test?.rmse)), h('td', { class: 'num' }, f4(r.ranking?.ndcg)), h('td', { class: 'num' }, f4(r.ranking?.recall))))),
  );
}

function lossChart(element: HTMLElement, m: ModelVersion): void {
  chartIn(element, {
    title: { text: 'Loss per epoch', left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 56, right: 16, top: 36, bottom: 56 },
    xAxis: { type: 'category', name: 'epoch', nameLocation: 'middle', nameGap: 26, data: m.history.map((e) => e.epoch) },
    yAxis: { type: 'value', scale: true, name: 'loss' },
    series: [
      { name: 'training', type: 'line', data: m.history.map((e) => e.loss), symbolSize: 6 },
      { name: 'validation', type: 'line', data: m.history.map((e) => e.valLoss), symbolSize: 6 },
    ],
  });
  element.dataset.epochs = String(m.history.length);
}

function predictedChart(element: HTMLElement, sample: { actual: number[]; predicted: number[] }): void {
  // The true ratings are integers: a small deterministic jitter shows how many points sit there.
  const jitter = (k: number) => (((k * 2654435761) % 1000) / 1000 - 0.5) * 0.5;
  chartIn(element, {
    title: { text: `Predicted vs true (${sample.actual.length} held-out ratings)`, left: 'center', textStyle: { fontSize: 14 } },
    grid: { left: 48, right: 16, top: 36, bottom: 44 },
    tooltip: { trigger: 'item', formatter: (p: { data: number[] }) => `true ${Math.round(p.data[0]!)}, predicted ${p.data[1]!.toFixed(2)}` },
    xAxis: { type: 'value', min: 0.5, max: 10.5, interval: 1, name: 'true rating', nameLocation: 'middle', nameGap: 26 },
    yAxis: { type: 'value', min: 1, max: 10, name: 'predicted' },
    series: [
      { type: 'scatter', data: sample.actual.map((a, k) => [a + jitter(k), sample.predicted[k]!]), symbolSize: 4, itemStyle: { opacity: 0.45 } },
      { type: 'line', data: [[1, 1], [10, 10]], symbol: 'none', lineStyle: { type: 'dashed', color: '#888' }, tooltip: { show: false } },
    ],
  });
  element.dataset.points = String(sample.actual.length);
}

function detail(target: HTMLElement, m: ModelVersion, admin: string | null, reload: () => void): void {
  const loss = h('div', { class: 'chart', id: 'loss-chart', role: 'img', 'aria-label': 'Training and validation loss per epoch' });
  const scatter = m.predictionSample
    ? h('div', { class: 'chart', id: 'predicted-chart', role: 'img', 'aria-label': 'Predicted against true ratings' })
    : h('p', { class: 'empty', id: 'predicted-chart-missing' }, 'Predicted vs true: not available (this version was trained before samples were kept).');
  const hyper = Object.entries(m.hyperparameters).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ');
  const activateStatus = h('span', { role: 'status' });
  replace(
    target,
    h('h2', {}, `Version #${m.id}: ${kindLabel(m.kind)}`, m.isActive ? h('span', { class: 'badge' }, 'active') : ''),
    admin && !m.isActive
      ? h('p', {}, h('button', { type: 'button', id: 'activate', onclick: async () => {
          activateStatus.textContent = 'Activating…';
          try {
            await gql(ACTIVATE, { id: m.id }, admin);
            reload();
          } catch (error) {
            replace(activateStatus, errorBox(error));
          }
        } }, `Activate #${m.id}`), ' ', activateStatus)
      : null,
    metricsTable(m),
    h('div', { class: 'columns' }, loss, scatter),
    h('details', {}, h('summary', {}, 'Hyperparameters'), h('p', { class: 'mono' }, hyper)),
  );
  if (m.history.length > 0) lossChart(loss, m);
  else replace(loss, h('p', { class: 'empty' }, 'No per-epoch history.'));
  if (m.predictionSample) predictedChart(scatter, m.predictionSample);
}

/** The latest page of runs (newest first). */
type RunsData = { trainingRuns: { nodes: TrainingRun[] } };

function runsList(runs: TrainingRun[]): HTMLElement {
  if (runs.length === 0) return h('p', { class: 'empty' }, 'No training run was started through this server yet.');
  return h(
    'ul',
    { class: 'runs', id: 'training-runs' },
    ...runs.map((r) =>
      h(
        'li',
        { 'data-status': r.status.toLowerCase() },
        h('strong', {}, `Run ${r.id}: ${kindLabel(r.kind)} (${r.preset.toLowerCase()}) — ${r.status.toLowerCase()}`),
        ' ',
        r.status === 'RUNNING' ? [h('progress', { max: 1, value: r.progress }), ` ${r.phase} ${r.detail}`] : null,
        r.modelVersionId !== null ? ` → version #${r.modelVersionId}` : null,
        r.error ? h('div', { class: 'error' }, r.error) : null,
      ),
    ),
  );
}

function trainingForm(admin: string | null, onStarted: () => void): HTMLElement {
  const tokenInput = h('input', { id: 'admin-token', type: 'password', autocomplete: 'off', value: admin ?? '' });
  // Option values are the schema's enum names; labels are what people call them.
  const kind = h('select', { id: 'train-kind' });
  void gql<{ modelKinds: string[] }>(KINDS).then(
    ({ modelKinds }) => {
      kind.append(...modelKinds.map((k) => h('option', { value: k }, kindLabel(k))));
      // The kind `npm start` trains and serves, when the server has it.
      if (modelKinds.includes(DEFAULT_KIND)) kind.value = DEFAULT_KIND;
    },
    (error: unknown) => replace(status, errorBox(error)),
  );
  const preset = h('select', { id: 'train-preset' }, h('option', { value: 'DEFAULT' }, 'default'), h('option', { value: 'NOTEBOOK' }, 'notebook'));
  const epochs = h('input', { id: 'train-epochs', type: 'number', min: 1, max: 100, placeholder: 'preset' });
  const map = h('select', { id: 'train-map' }, h('option', { value: 'UMAP' }, 'UMAP'), h('option', { value: 'TSNE' }, 't-SNE (≤ 2,500 anime)'), h('option', { value: 'NONE' }, 'none'));
  const activate = h('input', { id: 'train-activate', type: 'checkbox' });
  const status = h('div', { role: 'status' });
  const form = h(
    'form',
    { class: 'card', id: 'train-form', onsubmit: async (event: Event) => {
      event.preventDefault();
      const token = tokenInput.value.trim();
      setAdminToken(token || null);
      status.textContent = 'Starting…';
      try {
        const params = epochs.value ? { epochs: Number(epochs.value) } : null;
        const data = await gql<{ startTraining: { trainingRun: { id: number } } }>(START, { kind: kind.value, preset: preset.value, params, activate: activate.checked, map: map.value }, token);
        status.textContent = `Training run ${data.startTraining.trainingRun.id} started.`;
        onStarted();
      } catch (error) {
        replace(status, errorBox(error));
      }
    } },
    h('h2', {}, 'Train a model (admin)'),
    h('label', { for: 'admin-token' }, 'Admin token'),
    tokenInput,
    h('div', { class: 'row' }, h('label', { for: 'train-kind' }, 'Kind '), kind, h('label', { for: 'train-preset' }, ' Preset '), preset, h('label', { for: 'train-epochs' }, ' Epochs '), epochs, h('label', { for: 'train-map' }, ' Map '), map),
    h('div', { class: 'row' }, activate, h('label', { for: 'train-activate' }, ' Activate when done, even if not better')),
    h('button', { type: 'submit' }, 'Start training'),
    status,
  );
  return form;
}

export const renderModels: Page = async (root, { signal }) => {
  const list = h('section', { class: 'card' });
  const detailBox = h('section', { class: 'card', id: 'model-detail' });
  const runs = h('section', { class: 'card', id: 'runs' });
  replace(root, h('h1', {}, 'Models'), list, detailBox, h('div', { class: 'columns' }, runs, trainingForm(adminToken(), () => void pollRuns(true))));

  let selected: number | null = null;
  const loadModels = async () => {
    const models = await section(list, 'model versions', () => gql<{ models: { nodes: ModelVersion[] } }>(MODELS), () => []);
    if (!models) return;
    const versions = models.models.nodes;
    if (versions.length === 0) {
      replace(list, h('p', { class: 'empty' }, 'No model version yet. A first start trains one in the background; progress shows below.'));
      replace(detailBox);
      return;
    }
    const choose = (id: number) => {
      selected = id;
      replace(list, versionsTable(versions, id, choose));
      detail(detailBox, versions.find((m) => m.id === id)!, adminToken(), () => void loadModels());
    };
    choose(versions.find((m) => m.id === selected)?.id ?? versions.find((m) => m.isActive)?.id ?? versions[0]!.id);
  };

  let polling = false;
  /** `started`: a run was just started here, so its end (however quick) reloads the versions. */
  const pollRuns = async (started = false) => {
    if (polling) return;
    polling = true;
    let wasRunning = started;
    const show = (data: RunsData) => [h('h2', {}, 'Training runs'), runsList(data.trainingRuns.nodes)];
    try {
      // The first load shows "Loading…"; later polls update in place (no flicker).
      let data = await section(runs, 'training runs', () => gql<RunsData>(RUNS), show);
      while (data && !signal.aborted) {
        const running = data.trainingRuns.nodes.some((r) => r.status === 'RUNNING');
        if (wasRunning && !running) await loadModels(); // a run finished: its version is listed
        wasRunning = running;
        if (!running) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        try {
          data = await gql<RunsData>(RUNS);
          replace(runs, show(data));
        } catch (error) {
          replace(runs, h('h2', {}, 'Training runs'), errorBox(error));
          data = undefined;
        }
      }
    } finally {
      polling = false;
    }
  };
  await Promise.all([loadModels(), pollRuns()]);
};
