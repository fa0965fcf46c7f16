/**
 * npm run bench:train [-- --quick] [--kinds mf,deep] [--skip-throughput] [--skip-accuracy] [--out FILE]
 *                     [--budget-s S] [--warmup-s S] [--repeats N] [--stock-backends cpu,wasm] [--stock-cpu-batches 64,512]
 *                     [--seeds 42,43] [--epochs N] [--ranking-users N]
 *
 * Training speed and accuracy on the shipped demo sample (5,000 users, 419,943 explicit ratings),
 * loaded into an in-memory PGlite database as a fresh server would.
 *
 * 1. Throughput, one core, per kind: our trainer (trainModel) at batch 64 (the notebook's) and at
 *    the default preset's batch size, against, measured in the same run: the same model built
 *    with stock tf.layers (dense Adam over the embedding tables) on the `cpu` backend as shipped
 *    and on `wasm` with a registered UnsortedSegmentSum kernel (tensorflow/tfjs#8082); and the
 *    ceiling, a plain Float32Array SGD loop of the dot model. Every measurement runs in its own
 *    child process (bench/train-child.ts).
 * 2. Accuracy: each kind × preset trained in full (trainPrepared + finishTrainingRun, no map,
 *    activate if better) on one seeded split prepared once per seed, beside the two baselines.
 *
 * Stock tfjs on `cpu` runs at batch 64 only unless --stock-cpu-batches says otherwise: a step
 * takes ~15 s at batch 64 and ~100 s at batch 512.
 * --quick: tiny budgets (3 s per throughput measurement, stock `cpu` for the first kind only,
 * 2 epochs, ranking over 100 users) to check that the script works; its numbers mean nothing. The markdown report goes to stdout
 * and to --out FILE; progress goes to stderr.
 */
import { onCleanUp, runBenchChild, runBenchmark } from './lifecycle';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { messageOf } from '../src/errors';
import type { Database } from '../src/db/database';
import type { ProgressSink } from '../src/progress';
import type { Logger } from '../src/logger';
import { presetHyperparameters, PRESETS, type Hyperparameters, type PresetName } from '../src/models/hyperparameters';
import { isModelKind, kindDefinition, MODEL_KINDS, type ModelKind } from '../src/models/kinds';
import { loadRatingsDataset } from '../src/trainer/dataset';
import { finishTrainingRun, prepareTrainingData, trainPrepared, type ModelMetrics, type TrainingReport } from '../src/trainer/run-training';
import { RESULT_PREFIX, type StockBackend, type ThroughputJob, type ThroughputResult } from './train-child';
import { benchSplit, benchSplitParams, openDemoDatabase, writeBenchDataset } from './train-data';
import { describeMachine } from './machine';
import { medianBy } from './stats';
import { CEILING_DEFAULTS } from './train-sgd-ceiling';
import { EQUIVALENCE_TOLERANCE } from './train-stock-tfjs';
import { projectPath } from '../src/paths';

const CHILD = projectPath('bench', 'train-child.ts');
const NOTEBOOK_BATCH = presetHyperparameters('mf', 'notebook').batchSize;

/** The kinds this benchmark trains: those of the SGD trainer. */
const SGD_KINDS = MODEL_KINDS.filter((kind) => kindDefinition(kind).trainer === 'sgd');
/** samples/s our trainer should reach (per kind; the classifier is held to the hybrid's goal). */
const THROUGHPUT_GOALS: Partial<Record<ModelKind, number>> = { mf: 300_000, deep: 50_000, hybrid: 50_000, 'hybrid-classifier': 50_000 };
const ACCURACY_GOALS = { hybridMaeGain: 0.05, bestRmse: 1.1, bestMae: 0.83 };

// ---- options ----

interface Options {
  quick: boolean;
  kinds: ModelKind[];
  throughput: boolean;
  accuracy: boolean;
  out: string | undefined;
  budgetSeconds: number;
  warmupSeconds: number;
  /** Child runs per throughput figure (the median is kept). */
  repeats: number;
  stockBackends: StockBackend[];
  /** Batch sizes of the stock `cpu` runs (steps take 15 s at 64, 100 s at 512): the notebook's by default. */
  stockCpuBatches: number[];
  /** --quick: stock `cpu` for the first kind only. */
  stockCpuOnce: boolean;
  seeds: number[];
  epochs: number | undefined;
  rankingUsers: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      kinds: { type: 'string', default: SGD_KINDS.join(',') },
      'skip-throughput': { type: 'boolean', default: false },
      'skip-accuracy': { type: 'boolean', default: false },
      out: { type: 'string' },
      'budget-s': { type: 'string' },
      'warmup-s': { type: 'string' },
      repeats: { type: 'string', default: '1' },
      'stock-backends': { type: 'string', default: 'cpu,wasm' },
      'stock-cpu-batches': { type: 'string', default: String(NOTEBOOK_BATCH) },
      seeds: { type: 'string' },
      epochs: { type: 'string' },
      'ranking-users': { type: 'string' },
    },
  });
  const list = (value: string) => [...new Set(value.split(',').map((item) => item.trim()))].filter((item) => item !== '');
  const number = (name: string, value: string, integer: boolean) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${value}"`);
    }
    return n;
  };
  const kinds = list(values.kinds!).map((item) => {
    if (!isModelKind(item) || !SGD_KINDS.includes(item)) throw new Error(`--kinds: not a kind the SGD trainer trains: "${item}" (kinds: ${SGD_KINDS.join(', ')})`);
    return item;
  });
  const stockBackends = list(values['stock-backends']!).map((item) => {
    if (item !== 'cpu' && item !== 'wasm') throw new Error(`--stock-backends: cpu or wasm, got "${item}"`);
    return item;
  });
  if (kinds.length === 0) throw new Error('--kinds: give at least one kind');
  const quick = values.quick!;
  return {
    quick,
    kinds,
    throughput: !values['skip-throughput'],
    accuracy: !values['skip-accuracy'],
    out: values.out,
    budgetSeconds: values['budget-s'] !== undefined ? number('budget-s', values['budget-s'], false) : quick ? 3 : 15,
    warmupSeconds: values['warmup-s'] !== undefined ? number('warmup-s', values['warmup-s'], false) : quick ? 1 : 2,
    repeats: number('repeats', values.repeats!, true),
    stockBackends,
    stockCpuBatches: list(values['stock-cpu-batches']!).map((item) => number('stock-cpu-batches', item, true)),
    stockCpuOnce: quick,
    seeds: values.seeds !== undefined ? list(values.seeds).map((item) => number('seeds', item, true)) : [benchSplitParams().seed],
    epochs: values.epochs !== undefined ? number('epochs', values.epochs, true) : quick ? 2 : undefined,
    rankingUsers: values['ranking-users'] !== undefined ? number('ranking-users', values['ranking-users'], true) : quick ? 100 : 500,
  };
}

// ---- cleanup that also runs on Ctrl-C: the temp folder, the database, a running child ----


function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

// ---- formatting ----

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const fixed = (n: number, digits = 4) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${a / b >= 100 ? int(a / b) : (a / b).toFixed(2)}x` : '—';
const kFormat = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
const met = (ok: boolean) => (ok ? '**met**' : '**not met**');

// ---- 1. throughput ----

interface ChildRun {
  result?: ThroughputResult;
  failure?: string;
}

async function runChild(dataDir: string, job: ThroughputJob, timeoutSeconds: number): Promise<ChildRun> {
  const run: ChildRun = {};
  const failure = await runBenchChild(CHILD, ['--data', dataDir, '--job', JSON.stringify(job)], {
    timeoutSeconds,
    succeeded: () => run.result !== undefined,
    // tfjs prints to stdout too: only the marked line is the result.
    onLine: (line) => {
      if (line.startsWith(RESULT_PREFIX)) run.result = JSON.parse(line.slice(RESULT_PREFIX.length)) as ThroughputResult;
    },
  });
  if (failure !== undefined) run.failure = failure;
  return run;
}

function describeJob(job: ThroughputJob): string {
  switch (job.mode) {
    case 'ours':
      return `ours ${job.kind} (${job.preset} preset) batch ${job.batchSize}`;
    case 'stock':
      return `stock tfjs ${job.kind} on ${job.backend} batch ${job.batchSize}`;
    case 'ceiling':
      return `SGD ceiling (dot, dim ${CEILING_DEFAULTS.dim})`;
  }
}

function summarize(run: ChildRun): string {
  const r = run.result;
  if (!r) return `FAILED: ${run.failure}`;
  const t = r.throughput;
  return (
    `median ${int(t.median)} samples/s (overall ${int(t.overall)}, ${t.windows} windows, ${int(t.samples)} samples in ${t.seconds.toFixed(1)} s); ` +
    `${r.loss.name} ${fixed(r.loss.first)} → ${fixed(r.loss.last)}; ${r.detail}; peak RSS ${int(r.maxRssKiB / 1024)} MiB`
  );
}

interface KindThroughput {
  kind: ModelKind;
  /** Per batch size: ours with the notebook model, and stock per backend. */
  rows: Array<{ batch: number; ours: ChildRun; stock: Partial<Record<StockBackend, ChildRun>> }>;
  /** Ours with the default preset at its batch size. */
  defaults: ChildRun;
  defaultBatch: number;
}

async function measureThroughput(options: Options, dataDir: string): Promise<{ kinds: KindThroughput[]; ceilings: ChildRun[] }> {
  /** Runs the job `repeats` times (stock `cpu` once) and keeps the run with the median rate; a failed run fails the figure. */
  const measure = async (job: ThroughputJob, timeoutSeconds: number) => {
    const repeats = job.mode === 'stock' && job.backend === 'cpu' ? 1 : options.repeats;
    const runs: ChildRun[] = [];
    for (let n = 1; n <= repeats; n++) {
      log(`${describeJob(job)}${repeats > 1 ? `, run ${n}/${repeats}` : ''} …`);
      const run = await runChild(dataDir, job, timeoutSeconds);
      log(`  ${summarize(run)}`);
      if (!run.result) return run;
      runs.push(run);
    }
    return medianBy(runs, (run) => run.result!.throughput.median)!;
  };
  // Generous: start-up (~3 s), warm-up and budget, and a slow stock `cpu` step (tens of seconds).
  const oursTimeout = 10 * (options.warmupSeconds + options.budgetSeconds) + 120;
  const stockTimeout = (backend: StockBackend) => (backend === 'cpu' ? 900 : oursTimeout);
  const stockJob = (kind: ModelKind, backend: StockBackend, batchSize: number): ThroughputJob => ({
    mode: 'stock',
    kind,
    backend,
    batchSize,
    budgetSeconds: options.budgetSeconds,
    // A stock `cpu` step takes seconds: one step of warm-up (the minimum) is enough.
    warmupSeconds: backend === 'cpu' ? 0 : options.warmupSeconds,
  });
  const ceilingJob: ThroughputJob = { mode: 'ceiling', budgetSeconds: options.budgetSeconds };
  // The ceiling is measured first and last: two figures show how much the machine drifted.
  const ceilings = [await measure(ceilingJob, oursTimeout)];
  const kinds: KindThroughput[] = [];
  for (const kind of options.kinds) {
    const defaultBatch = presetHyperparameters(kind, 'default').batchSize;
    const batches = [...new Set([NOTEBOOK_BATCH, defaultBatch])];
    const rows: KindThroughput['rows'] = [];
    for (const batch of batches) {
      const ours = await measure(
        { mode: 'ours', kind, preset: 'notebook', batchSize: batch, budgetSeconds: options.budgetSeconds, warmupSeconds: options.warmupSeconds },
        oursTimeout,
      );
      const stock: Partial<Record<StockBackend, ChildRun>> = {};
      for (const backend of options.stockBackends) {
        if (backend === 'cpu' && (!options.stockCpuBatches.includes(batch) || (options.stockCpuOnce && kind !== options.kinds[0]))) continue;
        stock[backend] = await measure(stockJob(kind, backend, batch), stockTimeout(backend));
      }
      rows.push({ batch, ours, stock });
    }
    const defaults = await measure(
      { mode: 'ours', kind, preset: 'default', batchSize: defaultBatch, budgetSeconds: options.budgetSeconds, warmupSeconds: options.warmupSeconds },
      oursTimeout,
    );
    kinds.push({ kind, rows, defaults, defaultBatch });
  }
  ceilings.push(await measure(ceilingJob, oursTimeout));
  return { kinds, ceilings };
}

function throughputSection(options: Options, measured: { kinds: KindThroughput[]; ceilings: ChildRun[] }): string[] {
  const { kinds, ceilings } = measured;
  const ceilingRates = ceilings.flatMap((run) => (run.result ? [run.result.throughput.median] : []));
  const ceiling = ceilingRates.length === 0 ? undefined : ceilingRates.reduce((a, b) => a + b, 0) / ceilingRates.length;
  const rate = (run: ChildRun | undefined) => run?.result?.throughput.median;
  const cell = (run: ChildRun | undefined, skipped = '—') => (run === undefined ? skipped : run.result ? int(run.result.throughput.median) : `**failed**: ${run.failure}`);
  const backends = options.stockBackends;
  const stockLabel = (backend: StockBackend) => (backend === 'cpu' ? 'stock tfjs, `cpu` as shipped' : 'stock tfjs, `wasm` + our UnsortedSegmentSum kernel');
  const lines = [
    `### Throughput, one core (samples/s; ${options.budgetSeconds} s counted per measurement after ${options.warmupSeconds} s warm-up` +
      `${options.repeats > 1 ? `; median of ${options.repeats} runs, stock \`cpu\` 1 run` : ''})`,
    '',
    `| Kind | Batch | Ours, notebook model | ${backends.map((b) => `${stockLabel(b)} | ours / it`).join(' | ')} | ours / SGD ceiling | Ours, default preset | Goal (ours) |`,
    `|---|---:|---:|${backends.map(() => '---:|---:|').join('')}---:|---:|---|`,
  ];
  for (const k of kinds) {
    const goal = THROUGHPUT_GOALS[k.kind];
    for (const row of k.rows) {
      const stockCells = backends.map((backend) => {
        const skipped = backend !== 'cpu' ? '—' : options.stockCpuBatches.includes(row.batch) ? 'skipped (--quick)' : 'not run (--stock-cpu-batches)';
        return `${cell(row.stock[backend], skipped)} | ${ratio(rate(row.ours), rate(row.stock[backend]))}`;
      });
      const isDefault = row.batch === k.defaultBatch;
      const goalCell = [rate(row.ours), isDefault ? rate(k.defaults) : undefined]
        .flatMap((value, which) => (value === undefined || goal === undefined ? [] : [`${which === 0 ? 'notebook' : 'default'} ${met(value >= goal)}`]))
        .join(', ');
      lines.push(
        `| ${k.kind} | ${row.batch} | ${cell(row.ours)} | ${stockCells.join(' | ')} | ${ratio(rate(row.ours), ceiling)} | ` +
          `${isDefault ? cell(k.defaults) : '—'} | ${goal === undefined ? '—' : `≥ ${kFormat(goal)}: ${goalCell || '—'}`} |`,
      );
    }
  }
  lines.push('');
  lines.push(
    `SGD ceiling (plain per-sample SGD of the dot model over Float32Arrays, dim ${CEILING_DEFAULTS.dim}, same training pairs): ` +
      ceilings.map((run, n) => `${n === 0 ? 'first' : 'last'} ${cell(run)}`).join(', ') +
      ` samples/s (mean ${int(ceiling ?? NaN)} used for the ratios; the two differ by how much the machine's speed drifted).`,
  );

  lines.push('', 'Goals, at our default batch size with the default preset (what `npm run train` does):');
  for (const k of kinds) {
    const value = rate(k.defaults);
    const goal = THROUGHPUT_GOALS[k.kind];
    if (goal === undefined) continue;
    lines.push(`- ${k.kind}: ${int(value ?? NaN)} samples/s at batch ${k.defaultBatch}, goal ≥ ${int(goal)}: ${value === undefined ? '—' : met(value >= goal)}`);
  }

  lines.push(
    '',
    'Is the stock model the same model? Given our initial weights (embeddings scaled ×20 so that outputs span the rating scale), on a',
    '512-rating test batch without dropout: trainable parameters, the largest difference of the raw outputs (dot or head output, before',
    `predictRows' clipping to 1..10; class probabilities for the classifier) and the loss, same within ${EQUIVALENCE_TOLERANCE}:`,
  );
  for (const k of kinds) {
    const checks = k.rows.flatMap((row) => Object.values(row.stock).flatMap((run) => (run?.result?.equivalence ? [run.result] : [])));
    const first = checks[0];
    if (!first?.equivalence) continue;
    const e = first.equivalence;
    const maxDiff = Math.max(...checks.map((r) => r.equivalence!.maxOutputDiff));
    const same = e.stockParams === e.oursParams && maxDiff <= EQUIVALENCE_TOLERANCE && Math.abs(e.stockLoss - e.oursLoss) <= EQUIVALENCE_TOLERANCE * Math.max(1, e.oursLoss);
    lines.push(
      `- ${k.kind}: ${same ? 'same' : '**NOT the same**'}: ${int(e.stockParams)} trainable parameters (ours ${int(e.oursParams)}); ` +
        `largest output difference ${maxDiff.toExponential(1)} (outputs up to ${fixed(e.maxOutput, 2)}); loss ${fixed(e.stockLoss, 6)} (ours ${fixed(e.oursLoss, 6)}).`,
    );
  }
  lines.push(
    '',
    'How it measures: each figure is one child process (bench/train-child.ts) on the same data (the 302k-rating training part of the split).',
    '**Ours** is the real trainer, `trainModel` (src/trainer/train.ts), with the notebook preset\'s model (`--preset notebook` with the',
    'batch size of the row) or the default preset, its wasm backend for the dense head, trained until the budget is counted;',
    'the validation pass after each epoch is left out. **Stock tfjs** is the same model in tf.layers (bench/train-stock-tfjs.ts),',
    '`compile({ optimizer: adam(lr), loss })` and `trainOnBatch` on shuffled batches: Adam updates the whole embedding tables every step.',
    'On `wasm` it needs an UnsortedSegmentSum kernel, which tfjs lacks (tensorflow/tfjs#8082): the benchmark registers a single-pass one;',
    '`cpu` is tfjs as shipped, whose UnsortedSegmentSum runs one masked sum per table row (12k rows: seconds per step).',
    'samples/s is the median over windows of ≥ 0.2 s after the warm-up (robust to other work on the machine); stderr has the overall rate too.',
    'Differences that remain between ours and stock: ours updates only the embedding rows in the batch (LazyAdam: untouched rows keep',
    'their moments and do not move), stock Adam moves every row with its momentum (as the notebook\'s Keras Adam did); ours adds epsilon',
    'to the uncorrected sqrt(v) (the Keras/TF form), tfjs to the bias-corrected one, which differs only while sqrt(v) is near epsilon.',
    'Forward pass, loss, dropout and initial weights are the same (checked above).',
  );
  return lines;
}

// ---- 2. accuracy ----

interface AccuracyRun {
  seed: number;
  kind: ModelKind;
  preset: PresetName;
  report?: TrainingReport;
  /** Seconds of evaluation and publishing after training. */
  finishSeconds?: number;
  failure?: string;
}

/** Per-epoch lines on stderr, from trainPrepared's logger. */
function epochLogger(label: () => string): Logger {
  return pino(
    { level: 'info', base: undefined },
    {
      write(line: string) {
        const record = JSON.parse(line) as { msg?: string; epoch?: number; loss?: number; valLoss?: number; seconds?: number };
        if (record.msg === 'epoch') {
          log(`  ${label()} epoch ${record.epoch}: loss ${fixed(record.loss ?? NaN)}, val ${fixed(record.valLoss ?? NaN)}, ${fixed(record.seconds ?? NaN, 1)} s`);
        }
      },
    },
  );
}

const quietProgress: ProgressSink = { start() {}, update() {}, stop() {} };

async function measureAccuracy(options: Options, db: Database): Promise<{ runs: AccuracyRun[]; baselines: Map<number, TrainingReport['baselines']> }> {
  const runs: AccuracyRun[] = [];
  const baselines = new Map<number, TrainingReport['baselines']>();
  for (const seed of options.seeds) {
    log(`accuracy, seed ${seed}: preparing the split and the baselines …`);
    const started = performance.now();
    const prepared = await prepareTrainingData(db, benchSplitParams(seed), { backend: 'wasm', rankingUsers: options.rankingUsers });
    log(`  prepared in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    baselines.set(seed, prepared.baselines);
    for (const kind of options.kinds) {
      for (const preset of PRESETS) {
        const hyper: Hyperparameters = { ...presetHyperparameters(kind, preset), seed, ...(options.epochs !== undefined ? { epochs: options.epochs } : {}) };
        const label = `${kind} (${preset}, seed ${seed})`;
        log(`${label}: training up to ${hyper.epochs} epochs at batch ${hyper.batchSize} …`);
        const run: AccuracyRun = { seed, kind, preset };
        try {
          const result = await trainPrepared(prepared, hyper, { progress: quietProgress, logger: epochLogger(() => label) });
          const finishStarted = performance.now();
          run.report = await finishTrainingRun(db, prepared, hyper, result, { preset, activate: 'if-better', map: null });
          run.finishSeconds = (performance.now() - finishStarted) / 1000;
          const m = run.report.metrics;
          log(
            `  test MAE ${fixed(m.test.mae)} RMSE ${fixed(m.test.rmse)} NDCG@10 ${fixed(m.ranking.ndcg)}; ` +
              `${run.report.history.length} epochs (best ${run.report.bestEpoch}) in ${run.report.trainSeconds.toFixed(1)} s, ` +
              `${int(run.report.samplesPerSecond)} samples/s; evaluate + publish ${run.finishSeconds.toFixed(1)} s; ${run.report.activation}`,
          );
        } catch (error) {
          run.failure = messageOf(error);
          log(`  FAILED: ${run.failure}`);
        }
        runs.push(run);
      }
    }
  }
  return { runs, baselines };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function accuracySection(options: Options, measured: Awaited<ReturnType<typeof measureAccuracy>>): string[] {
  const { runs, baselines: baselinesBySeed } = measured;
  const manySeeds = options.seeds.length > 1;
  const metricCells = (m: ModelMetrics) =>
    `${fixed(m.test.mae)} | ${fixed(m.test.rmse)} | ${fixed(m.ranking.ndcg)} | ${fixed(m.ranking.recall)} | ${fixed(m.ranking.coverage)}`;
  const lines = [
    `### Accuracy (${options.epochs !== undefined ? `**${options.epochs} epoch${options.epochs === 1 ? '' : 's'} only** (--epochs/--quick), ` : ''}` +
      `ranking over ${options.rankingUsers} sampled test users)`,
    '',
    `| Model | Preset |${manySeeds ? ' Seed |' : ''} Epochs (best) | Test MAE | Test RMSE | NDCG@10 | Recall@10 | Coverage | Train s | Samples/s | MAE vs BaselineOnly |`,
    `|---|---|${manySeeds ? '---:|' : ''}---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
  ];
  for (const run of runs) {
    const seedCell = manySeeds ? ` ${run.seed} |` : '';
    const r = run.report;
    if (!r) {
      lines.push(`| ${run.kind} | ${run.preset} |${seedCell} **failed**: ${run.failure} | | | | | | | | |`);
      continue;
    }
    const baselineMae = baselinesBySeed.get(run.seed)!.baselineOnly.test.mae;
    lines.push(
      `| ${run.kind} | ${run.preset} |${seedCell} ${r.history.length} (${r.bestEpoch}) | ${metricCells(r.metrics)} | ` +
        `${r.trainSeconds.toFixed(1)} | ${int(r.samplesPerSecond)} | ${(((r.metrics.test.mae - baselineMae) / baselineMae) * 100).toFixed(1)}% |`,
    );
  }
  for (const [seed, baselines] of baselinesBySeed) {
    const seedCell = manySeeds ? ` ${seed} |` : '';
    lines.push(`| global mean | — |${seedCell} — | ${metricCells(baselines.globalMean)} | — | — | — |`);
    lines.push(`| BaselineOnly (user + item bias) | — |${seedCell} — | ${metricCells(baselines.baselineOnly)} | — | — | 0.0% |`);
  }
  const argmax = runs.filter((run) => run.report?.metrics.testArgmax);
  if (argmax.length > 0) {
    lines.push(
      '',
      'hybrid-classifier rows use the expected rating Σ p·r; the notebook\'s argmax+1 prediction gives test ' +
        argmax.map((run) => `${run.preset}${manySeeds ? ` seed ${run.seed}` : ''}: MAE ${fixed(run.report!.metrics.testArgmax!.mae)}, RMSE ${fixed(run.report!.metrics.testArgmax!.rmse)}`).join('; ') +
        '.',
    );
  }

  // Goal checks on the mean over seeds.
  const averaged = (kind: ModelKind, preset: PresetName) => {
    const reports = runs.filter((run) => run.kind === kind && run.preset === preset && run.report).map((run) => run.report!);
    return reports.length === 0 ? undefined : { mae: mean(reports.map((r) => r.metrics.test.mae)), rmse: mean(reports.map((r) => r.metrics.test.rmse)) };
  };
  lines.push('', `Goals${manySeeds ? ` (means over seeds ${options.seeds.join(', ')})` : ''}:`);
  const notebookHybrid = averaged('hybrid', 'notebook');
  const defaultHybrid = averaged('hybrid', 'default');
  if (notebookHybrid && defaultHybrid) {
    const gain = (notebookHybrid.mae - defaultHybrid.mae) / notebookHybrid.mae;
    lines.push(
      `- default hybrid test MAE ${fixed(defaultHybrid.mae)} vs notebook hybrid ${fixed(notebookHybrid.mae)}: ${(gain * 100).toFixed(1)}% better, ` +
        `goal ≥ ${ACCURACY_GOALS.hybridMaeGain * 100}%: ${met(gain >= ACCURACY_GOALS.hybridMaeGain)}`,
    );
  } else {
    lines.push('- default vs notebook hybrid: not measured (needs both hybrid runs)');
  }
  const candidates = options.kinds.flatMap((kind) =>
    PRESETS.flatMap((preset) => {
      const m = averaged(kind, preset);
      return m ? [{ name: `${kind} (${preset})`, ...m }] : [];
    }),
  );
  if (candidates.length > 0) {
    const best = candidates.reduce((a, b) => (b.rmse < a.rmse ? b : a));
    const bestMae = candidates.reduce((a, b) => (b.mae < a.mae ? b : a));
    lines.push(
      `- best model by test RMSE: ${best.name}, RMSE ${fixed(best.rmse)} (goal ≤ ${ACCURACY_GOALS.bestRmse}: ${met(best.rmse <= ACCURACY_GOALS.bestRmse)}), ` +
        `MAE ${fixed(best.mae)} (goal ≤ ${ACCURACY_GOALS.bestMae}: ${met(best.mae <= ACCURACY_GOALS.bestMae)})` +
        (bestMae.name !== best.name ? `; lowest MAE: ${bestMae.name}, ${fixed(bestMae.mae)}` : ''),
    );
  }
  lines.push(
    '',
    'How it measures: one in-memory PGlite database with the demo data; `prepareTrainingData` once per seed (split, baselines),',
    'then per row `trainPrepared` and `finishTrainingRun` (no 2-D map, activate if better, which publishes a model version),',
    'exactly what `npm run train` runs. Train s and samples/s are the trainer\'s own (`trainSeconds`, `samplesPerSecond`: wall time of',
    'training including the validation pass after each epoch). MAE vs BaselineOnly: relative test MAE change (negative is better).',
  );
  return lines;
}

// ---- main ----

async function main(): Promise<void> {
  const options = parseOptions();
  const started = performance.now();
  const machine = describeMachine();
  const loadAtStart = loadavg()[0]!;
  log(`${machine} · load average ${loadAtStart.toFixed(2)}`);

  log('loading the demo data into an in-memory PGlite database …');
  const db = await openDemoDatabase();
  onCleanUp(() => db.close());
  const dataset = await loadRatingsDataset(db);
  const split = benchSplit(dataset);
  log(`  ${int(dataset.ratings.length)} ratings in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const sections: string[][] = [];
  if (options.throughput) {
    const dir = mkdtempSync(join(tmpdir(), 'animerec-bench-train-'));
    onCleanUp(() => rmSync(dir, { recursive: true, force: true }));
    writeBenchDataset(dir, dataset);
    sections.push(throughputSection(options, await measureThroughput(options, dir)));
  }
  if (options.accuracy) sections.push(accuracySection(options, await measureAccuracy(options, db)));

  const loadAtEnd = loadavg()[0]!;
  const flags = process.argv.slice(2).join(' ');
  const report = [
    '',
    `## Training (${new Date().toISOString().slice(0, 10)})`,
    '',
    `Machine: ${machine}`,
    '',
    `Command: \`npm run bench:train${flags ? ` -- ${flags}` : ''}\`; took ${((performance.now() - started) / 60000).toFixed(1)} min; ` +
      `load average (1 min) ${loadAtStart.toFixed(2)} at the start, ${loadAtEnd.toFixed(2)} at the end.`,
    options.quick ? '\n**--quick: tiny budgets to check that the benchmark runs; these numbers are not measurements.**' : '',
    '',
    `Data: the shipped demo sample (data/rating_sample_5000users.csv.gz): ${int(dataset.ratings.length)} explicit ratings, ` +
      `${int(dataset.userIds.length)} users, ${int(dataset.itemIds.length)} items; seeded split (seed ${benchSplitParams().seed}` +
      `${options.accuracy && options.seeds.join() !== String(benchSplitParams().seed) ? `; accuracy on seeds ${options.seeds.join(', ')}, same sizes` : ''}): ` +
      `${int(split.train.length)} train / ${int(split.validation.length)} validation / ${int(split.test.length)} test.`,
    '',
    ...sections.flatMap((lines) => [...lines, '']),
  ].join('\n');
  process.stdout.write(report);
  if (options.out) {
    writeFileSync(options.out, report);
    log(`report written to ${options.out}`);
  }
}

runBenchmark(main);
