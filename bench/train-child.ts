/**
 * One throughput measurement of the training benchmark, run by bench/train.bench.ts in a fresh
 * process (one tfjs backend per process, a fresh JIT and heap for each):
 *   node -r @swc-node/register bench/train-child.ts --data DIR --job JSON
 * DIR holds the dataset (bench/train-data.ts); the job says what to train (ThroughputJob).
 * The result is one stdout line starting with RESULT_PREFIX (tfjs prints to stdout too).
 * Internal to bench/.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/models/backend';
import { presetHyperparameters, type Hyperparameters, type PresetName } from '../src/models/hyperparameters';
import type { ModelKind } from '../src/models/kinds';
import type { DatasetSplit, RatingsDataset } from '../src/trainer/dataset';
import { trainModel } from '../src/trainer/train';
import { benchSplit, readBenchDataset } from './train-data';
import { WindowMeter, type Throughput } from './train-meter';
import { CEILING_DEFAULTS, sgdCeiling } from './train-sgd-ceiling';
import { registerWasmUnsortedSegmentSum, runStockModel, type Equivalence } from './train-stock-tfjs';

export type StockBackend = 'cpu' | 'wasm';

export type ThroughputJob =
  | { mode: 'ours'; kind: ModelKind; preset: PresetName; batchSize: number; budgetSeconds: number; warmupSeconds: number }
  | { mode: 'stock'; kind: ModelKind; backend: StockBackend; batchSize: number; budgetSeconds: number; warmupSeconds: number }
  | { mode: 'ceiling'; budgetSeconds: number };

export interface ThroughputResult {
  job: ThroughputJob;
  throughput: Throughput;
  /** The tensor backend that ran it ('none' for the ceiling). */
  backend: string;
  /** Training loss at the start and end of the run, in the model's own loss. */
  loss: { name: string; first: number; last: number };
  /** How much was trained: epochs or steps. */
  detail: string;
  equivalence?: Equivalence;
  /** Peak RSS of this process (Linux VmHWM: unlike maxRSS, it does not include the parent's before exec). */
  maxRssKiB: number;
}

export const RESULT_PREFIX = '@@train-bench-result ';

/** Our real trainer, epochs without end, stopped once `budgetSeconds` of steps were counted. */
async function measureOurs(dataset: RatingsDataset, split: DatasetSplit, job: Extract<ThroughputJob, { mode: 'ours' }>) {
  const backend = await selectBackend('wasm');
  const hyper: Hyperparameters = {
    ...presetHyperparameters(job.kind, job.preset),
    batchSize: job.batchSize,
    epochs: 1_000_000,
    earlyStoppingPatience: null,
  };
  const trainSize = split.train.length;
  const controller = new AbortController();
  let meter: WindowMeter | null = null;
  let first = NaN;
  let last = NaN;
  let epochs = 0;
  let wallLimit = Infinity;
  await trainModel(dataset, split, hyper, {
    signal: controller.signal,
    onBatch: (p) => {
      // Cumulative samples; onBatch comes every ~200 ms (trainer's YIELD_EVERY_MS) and at each epoch's end.
      const samples = (p.epoch - 1) * trainSize + Math.min(p.batch * hyper.batchSize, trainSize);
      if (!meter) {
        // The first ~200 ms of steps and the set-up before them are warm-up anyway.
        meter = new WindowMeter(job.warmupSeconds);
        meter.skip(samples);
        wallLimit = performance.now() + 10_000 * (job.warmupSeconds + job.budgetSeconds) + 60_000;
      } else {
        meter.mark(samples);
      }
      if (!Number.isFinite(p.loss)) throw new Error(`ours ${job.kind}: loss ${p.loss} in epoch ${p.epoch}`);
      if (Number.isNaN(first)) first = p.loss;
      last = p.loss;
      if (meter.countedSeconds >= job.budgetSeconds || performance.now() > wallLimit) controller.abort();
    },
    // The validation pass after each epoch is not training throughput: start a new window after it.
    onEpoch: (record) => {
      epochs = record.epoch;
      meter?.skip(record.epoch * trainSize);
    },
  }).catch((error: unknown) => {
    if (!controller.signal.aborted) throw error;
  });
  if (!meter) throw new Error(`ours ${job.kind}: no progress reported`);
  const throughput = (meter as WindowMeter).result();
  return {
    backend: backend.name,
    throughput,
    loss: { name: hyper.loss, first, last },
    detail: `${epochs} full epoch${epochs === 1 ? '' : 's'} + part of the next`,
  };
}

async function measureStock(dataset: RatingsDataset, split: DatasetSplit, job: Extract<ThroughputJob, { mode: 'stock' }>) {
  if (job.backend === 'wasm') registerWasmUnsortedSegmentSum();
  const backend = await selectBackend(job.backend);
  const hyper: Hyperparameters = { ...presetHyperparameters(job.kind, 'notebook'), batchSize: job.batchSize };
  const run = await runStockModel(dataset, split, hyper, {
    budgetSeconds: job.budgetSeconds,
    warmupSeconds: job.warmupSeconds,
    minWindows: 2,
  });
  if (run.tensors.atEnd > run.tensors.afterWarmup) {
    throw new Error(`stock ${job.kind}: tensors leaked (${run.tensors.afterWarmup} after warm-up, ${run.tensors.atEnd} at the end)`);
  }
  return {
    backend: backend.name + (job.backend === 'wasm' ? ' + bench UnsortedSegmentSum kernel' : ' (stock kernels)'),
    throughput: run.throughput,
    loss: { name: hyper.loss, first: run.firstLoss, last: run.lastLoss },
    detail: `${run.batches} steps (first ones warm-up)`,
    equivalence: run.equivalence,
  };
}

function measureCeiling(dataset: RatingsDataset, split: DatasetSplit, job: Extract<ThroughputJob, { mode: 'ceiling' }>) {
  const run = sgdCeiling(dataset, split, { ...CEILING_DEFAULTS, budgetSeconds: job.budgetSeconds });
  return {
    backend: 'none (Float32Array loop)',
    throughput: run.throughput,
    loss: { name: 'mse', first: run.epochMse[0]!, last: run.epochMse[run.epochMse.length - 1]! },
    detail: `${run.epochs} epochs (first ${CEILING_DEFAULTS.warmupEpochs} warm-up)`,
  };
}

function peakRssKiB(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { data: { type: 'string' }, job: { type: 'string' } } });
  if (values.data === undefined || values.job === undefined) throw new Error('give --data DIR --job JSON');
  const job = JSON.parse(values.job) as ThroughputJob;
  const dataset = readBenchDataset(values.data);
  const split = benchSplit(dataset);
  const measured =
    job.mode === 'ours' ? await measureOurs(dataset, split, job) : job.mode === 'stock' ? await measureStock(dataset, split, job) : measureCeiling(dataset, split, job);
  const result: ThroughputResult = { job, ...measured, maxRssKiB: peakRssKiB() };
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().then(
    // tfjs and the wasm module may keep handles open: leave once the result is written.
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
