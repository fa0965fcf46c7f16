/**
 * GPU against CPU for the model heads, in one run: the backend selectBackend picks (and why),
 * then for each backend — the GPU one when found, and the CPU path (wasm; tensorflow when
 * installed) — head scoring of every item for one user (the `recommendations` work: p50/p99
 * latency; the served ItemScorer, which precomputes the item half of layer 1, on each backend), batched scoring throughput (`predictRatings` pairs/s) and head training steps
 * (samples/s at two batch sizes), with GPU/CPU ratios. Every timed result is checked against
 * the wasm reference inside the loop, so a wrong fast path fails instead of looking fast.
 *
 *   npm run bench:gpu -- [--kinds hybrid,deep] [--items 12294] [--seconds 3] [--json out.json]
 *
 * bench/gpu.sh packs this (bundled) with Node and Dawn for a machine without Node.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { randomModel } from '../test/helpers/random-model';
import { currentBackend, GPU_BACKENDS, selectBackend, tfjsName, type BackendName } from '../src/models/backend';
import { isModelKind, kindDefinition, MODEL_KINDS, type ModelKind } from '../src/models/kinds';
import { writeHeadInput, type Model } from '../src/models/model';
import { describeMachine } from './machine';
import { median, percentile } from './stats';
import { runBenchmark } from './lifecycle';
import { ItemScorer } from '../src/models/all-items-scorer';
import { headTrainStepOn } from '../src/models/head-train-step';
import { predictRowsOn } from '../src/models/predict';

const USERS = 2000;
/** Users per batched-scoring call: pairs = this × items (a predictRatings-style batch). */
const BATCH_USERS = 16;
const TRAIN_BATCHES = [512, 4096];
const WARMUP_REPS = 3;
const MIN_REPS = 10;
/** Scores may differ by float summation order between devices, not more. */
const TOLERANCE = 1e-3;

interface Row {
  kind: ModelKind;
  backend: BackendName;
  device: string;
  scoreP50Ms: number;
  scoreP99Ms: number;
  /** The served path (ItemScorer: the item half of layer 1 precomputed) on this backend. */
  servedP50Ms: number;
  batchedPairsPerSecond: number;
  trainSamplesPerSecond: Record<number, number>;
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let j = 0; j < a.length; j++) max = Math.max(max, Math.abs(a[j]! - b[j]!));
  return max;
}

/** Repeats `step` (after warm-up) for at least `seconds` and MIN_REPS; returns each rep's ms. */
async function timeReps(seconds: number, step: (rep: number) => Promise<void>): Promise<number[]> {
  for (let rep = 0; rep < WARMUP_REPS; rep++) await step(rep);
  const times: number[] = [];
  const started = performance.now();
  for (let rep = 0; times.length < MIN_REPS || performance.now() - started < seconds * 1000; rep++) {
    const t0 = performance.now();
    await step(rep);
    times.push(performance.now() - t0);
  }
  return times;
}

function pairsOfUsers(model: Model, firstUser: number, users: number): { userRows: Int32Array; itemRows: Int32Array } {
  const items = model.itemIds.length;
  const userRows = new Int32Array(users * items);
  const itemRows = new Int32Array(users * items);
  for (let u = 0; u < users; u++) {
    userRows.fill((firstUser + u) % model.userIds.length, u * items, (u + 1) * items);
    for (let i = 0; i < items; i++) itemRows[u * items + i] = i;
  }
  return { userRows, itemRows };
}

/** A training batch's head input and targets, from random (user, item) pairs. */
function trainingBatch(model: Model, batch: number, seed: number): { x: Float32Array; targets: Float32Array } {
  const width = model.head!.layers[0]!.inputs;
  const x = new Float32Array(batch * width);
  const targets = new Float32Array(batch);
  let state = seed;
  const next = (n: number) => (state = (state * 1103515245 + 12345) >>> 0) % n;
  for (let k = 0; k < batch; k++) {
    writeHeadInput(model, x, k, next(model.userIds.length), next(model.itemIds.length));
    targets[k] = 1 + next(10);
  }
  return { x, targets };
}

/** dLoss/dOutputs of the mean squared error (the regression heads' default loss family). */
function mseGradient(targets: Float32Array, outputsPerSample: number): (outputs: Float32Array) => Float32Array {
  return (outputs) => {
    const grad = new Float32Array(outputs.length);
    for (let k = 0; k < outputs.length; k++) grad[k] = (2 * (outputs[k]! - targets[Math.floor(k / outputsPerSample)]!)) / targets.length;
    return grad;
  };
}

async function measure(kind: ModelKind, model: Model, backend: BackendName, seconds: number, reference: Map<number, Float32Array>): Promise<Row> {
  const choice = await selectBackend(backend);
  const items = model.itemIds.length;
  const allItems = Int32Array.from({ length: items }, (_unused, i) => i);
  const checkedUsers = [...reference.keys()];

  // recommendations: every item for one user, checked against the reference each time.
  const latencies = await timeReps(seconds, async (rep) => {
    const user = checkedUsers[rep % checkedUsers.length]!;
    const scores = await predictRowsOn(choice.scoring, model, new Int32Array(items).fill(user), allItems);
    const difference = maxAbsDifference(scores, reference.get(user)!);
    if (!(difference <= TOLERANCE)) throw new Error(`${backend}: user ${user}'s scores differ from wasm by ${difference}`);
  });

  // What `recommendations` runs: ItemScorer (item half of layer 1 precomputed): on wasm the
  // synchronous path, on a GPU backend the tail kept and dispatched there, read asynchronously.
  const scorer = new ItemScorer(model);
  const dim = model.hyper.embeddingDim;
  const servedTimes = await timeReps(seconds, async (rep) => {
    const user = checkedUsers[rep % checkedUsers.length]!;
    const vector = model.userEmbeddings.subarray(user * dim, (user + 1) * dim);
    const scores = backend === 'wasm' ? scorer.score(vector, model.userBias[user]!) : await scorer.scoreAsync(vector, model.userBias[user]!, { backend: choice.scoring, forceAsync: true });
    const difference = maxAbsDifference(scores, reference.get(user)!);
    if (!(difference <= TOLERANCE)) throw new Error(`ItemScorer on ${backend}: user ${user}'s scores differ from wasm's predictRows by ${difference}`);
  });
  scorer.release();
  const servedP50Ms = median(servedTimes);

  // predictRatings-style batches: BATCH_USERS × items pairs per call.
  const batch = pairsOfUsers(model, 0, BATCH_USERS);
  const batchTimes = await timeReps(seconds, async () => {
    const scores = await predictRowsOn(choice.scoring, model, batch.userRows, batch.itemRows);
    const difference = maxAbsDifference(scores.subarray(0, items), reference.get(0)!);
    if (!(difference <= TOLERANCE)) throw new Error(`${backend}: batched scores differ from wasm by ${difference}`);
  });

  // Head training steps (forward + backward of the dense head; embeddings stay on the CPU).
  const head = model.head!;
  const outputsPerSample = head.layers[head.layers.length - 1]!.units;
  const asyncRead = choice.scoring === 'webgpu';
  const trainSamplesPerSecond: Record<number, number> = {};
  for (const size of TRAIN_BATCHES) {
    const { x, targets } = trainingBatch(model, size, size);
    const expected = await headTrainStepOn('wasm', false, head, x, size, mseGradient(targets, outputsPerSample));
    const times = await timeReps(seconds, async () => {
      const grads = await headTrainStepOn(tfjsName(choice.scoring), asyncRead, head, x, size, mseGradient(targets, outputsPerSample));
      const difference = maxAbsDifference(grads.weights[0]!, expected.weights[0]!);
      if (!(difference <= TOLERANCE)) throw new Error(`${backend}: first-layer gradient differs from wasm by ${difference}`);
    });
    trainSamplesPerSecond[size] = (size * 1000) / median(times);
  }
  return {
    kind,
    backend: choice.scoring,
    device: choice.device,
    scoreP50Ms: median(latencies),
    scoreP99Ms: percentile(latencies, 99),
    servedP50Ms,
    batchedPairsPerSecond: (BATCH_USERS * items * 1000) / median(batchTimes),
    trainSamplesPerSecond,
  };
}

function formatTable(rows: Row[]): string {
  const header = ['model', 'backend', 'device', 'score all items p50 ms', 'p99 ms', 'served scorer (ItemScorer) p50 ms', 'batched pairs/s', ...TRAIN_BATCHES.map((b) => `train b${b} samples/s`)];
  const lines = rows.map((row) => [
    row.kind,
    row.backend,
    row.device,
    row.scoreP50Ms.toFixed(2),
    row.scoreP99Ms.toFixed(2),
    row.servedP50Ms.toFixed(2),
    Math.round(row.batchedPairsPerSecond).toLocaleString('en-US'),
    ...TRAIN_BATCHES.map((b) => Math.round(row.trainSamplesPerSecond[b]!).toLocaleString('en-US')),
  ]);
  // GPU/CPU ratios (speed-up: >1 means the GPU is faster), per kind, against the wasm row.
  for (const kind of new Set(rows.map((row) => row.kind))) {
    const cpu = rows.find((row) => row.kind === kind && row.backend === 'wasm');
    for (const gpu of rows.filter((row) => row.kind === kind && GPU_BACKENDS.includes(row.backend))) {
      if (!cpu) continue;
      lines.push([
        kind,
        `${gpu.backend}/wasm`,
        'speed-up',
        `${(cpu.scoreP50Ms / gpu.scoreP50Ms).toFixed(2)}×`,
        `${(cpu.scoreP99Ms / gpu.scoreP99Ms).toFixed(2)}×`,
        `${(cpu.servedP50Ms / gpu.servedP50Ms).toFixed(2)}×`,
        `${(gpu.batchedPairsPerSecond / cpu.batchedPairsPerSecond).toFixed(2)}×`,
        ...TRAIN_BATCHES.map((b) => `${(gpu.trainSamplesPerSecond[b]! / cpu.trainSamplesPerSecond[b]!).toFixed(2)}×`),
      ]);
    }
  }
  const all = [header, ...lines];
  return all.map((cells) => `| ${cells.join(' | ')} |`).join('\n').replace(/\n/, `\n|${header.map(() => '---').join('|')}|\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kinds: { type: 'string', default: 'hybrid,deep' },
      items: { type: 'string', default: '12294' },
      seconds: { type: 'string', default: '3' },
      backend: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const kinds = values.kinds.split(',').map((kind) => kind.trim());
  const headKinds = MODEL_KINDS.filter((kind) => kindDefinition(kind).headOutputs > 0);
  for (const kind of kinds) if (!isModelKind(kind) || !headKinds.includes(kind)) throw new Error(`--kinds takes head kinds (${headKinds.join(', ')}), got "${kind}"`);
  const items = Number(values.items);
  const seconds = Number(values.seconds);

  // What start-up would pick (TFJS_BACKEND's job is done by --backend here).
  const started = performance.now();
  const picked = await selectBackend(values.backend as BackendName | undefined);
  process.stdout.write(
    `selected: ${picked.scoring} on ${picked.device} (tensor backend ${picked.name}; ${picked.reason}) in ${Math.round(performance.now() - started)} ms\n`,
  );
  const backends: BackendName[] = ['wasm'];
  if (picked.scoring !== 'wasm') backends.push(picked.scoring);
  try {
    require.resolve('@tensorflow/tfjs-node');
    backends.push('tensorflow');
  } catch {
    // Not installed: wasm is the CPU path.
  }

  const rows: Row[] = [];
  for (const kind of kinds as ModelKind[]) {
    const model = randomModel(kind, { users: USERS, items });
    // The reference: wasm scores of a few users (the served CPU path).
    await selectBackend('wasm');
    const reference = new Map<number, Float32Array>();
    const allItems = Int32Array.from({ length: items }, (_unused, i) => i);
    for (const user of [0, 1, 2, 3, 4, 5, 6, 7]) reference.set(user, await predictRowsOn('wasm', model, new Int32Array(items).fill(user), allItems));
    for (const backend of backends) {
      const row = await measure(kind, model, backend, seconds, reference);
      rows.push(row);
      process.stdout.write(`  ${kind} on ${backend}: ${row.scoreP50Ms.toFixed(2)} ms p50 per user, ${Math.round(row.trainSamplesPerSecond[TRAIN_BATCHES[0]!]!)} samples/s (b${TRAIN_BATCHES[0]})\n`);
    }
  }
  const machine = describeMachine([`${items} items`, `chosen: ${currentBackend()?.scoring ?? 'none'}`]);
  process.stdout.write(`\n${machine}\n\n${formatTable(rows)}\n`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ machine, picked, rows }, null, 2)}\n`);
}

runBenchmark(main);
