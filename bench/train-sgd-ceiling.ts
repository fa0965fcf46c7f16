/**
 * The ceiling of the training benchmark: the dot model (mf) trained by the tightest loop we
 * can write, plain per-sample SGD over Float32Arrays (Funk SVD: pred = <u, i>, squared error,
 * L2), one core, on the same training pairs. No batches, no optimizer state, no biases,
 * no tfjs: whatever the real trainer does on top of this costs throughput. Internal to bench/.
 */
import type { DatasetSplit, RatingsDataset } from '../src/trainer/dataset';
import { mulberry32, shuffleInPlace } from '../src/trainer/random';
import { WindowMeter, type Throughput } from './train-meter';

export interface CeilingOptions {
  dim: number;
  /** Seconds of counted (post-warm-up) training; at least `minEpochs` epochs run. */
  budgetSeconds: number;
  /** Epochs run first and not counted. */
  warmupEpochs: number;
  minEpochs: number;
  learningRate: number;
  l2: number;
  seed: number;
}

export const CEILING_DEFAULTS: Omit<CeilingOptions, 'budgetSeconds'> = {
  dim: 64,
  warmupEpochs: 1,
  minEpochs: 2,
  learningRate: 0.01,
  l2: 0.02,
  seed: 42,
};

export interface CeilingResult {
  throughput: Throughput;
  epochs: number;
  /** Mean squared training error of each epoch, as it ran. */
  epochMse: number[];
}

/** Samples between two looks at the clock. */
const CHUNK = 8192;

export function sgdCeiling(dataset: RatingsDataset, split: DatasetSplit, options: CeilingOptions): CeilingResult {
  const { dim, learningRate: lr, l2 } = options;
  const random = mulberry32(options.seed);
  const init = (rows: number) => Float32Array.from({ length: rows * dim }, () => (random() * 2 - 1) * 0.05);
  const U = init(dataset.userIds.length);
  const V = init(dataset.itemIds.length);
  // The pairs in one shuffled order, contiguous: the loop reads them sequentially.
  const order = shuffleInPlace(Int32Array.from(split.train), random);
  const n = order.length;
  const users = Int32Array.from(order, (index) => dataset.users[index]!);
  const items = Int32Array.from(order, (index) => dataset.items[index]!);
  const ratings = Float32Array.from(order, (index) => dataset.ratings[index]!);

  let meter: WindowMeter | null = null;
  const epochMse: number[] = [];
  let samples = 0;
  for (let epoch = 1; ; epoch++) {
    if (epoch === options.warmupEpochs + 1) meter = new WindowMeter(0);
    let squared = 0;
    for (let from = 0; from < n; from += CHUNK) {
      const to = Math.min(from + CHUNK, n);
      for (let k = from; k < to; k++) {
        const u = users[k]! * dim;
        const i = items[k]! * dim;
        let pred = 0;
        for (let j = 0; j < dim; j++) pred += U[u + j]! * V[i + j]!;
        const err = pred - ratings[k]!;
        squared += err * err;
        for (let j = 0; j < dim; j++) {
          const uj = U[u + j]!;
          const vj = V[i + j]!;
          U[u + j] = uj - lr * (err * vj + l2 * uj);
          V[i + j] = vj - lr * (err * uj + l2 * vj);
        }
      }
      samples += to - from;
      meter?.mark(samples);
    }
    const mse = squared / n;
    // Checked inside the timed loop: a diverging or broken loop must not pass as fast.
    if (!Number.isFinite(mse)) throw new Error(`SGD ceiling diverged in epoch ${epoch} (MSE ${mse})`);
    epochMse.push(mse);
    const counted = epoch - options.warmupEpochs;
    if (meter && counted >= options.minEpochs && meter.countedSeconds >= options.budgetSeconds) break;
  }
  if (epochMse.length >= 2 && !(epochMse[epochMse.length - 1]! < epochMse[0]!)) {
    throw new Error(`SGD ceiling did not learn: training MSE ${epochMse.map((m) => m.toFixed(3)).join(' → ')}`);
  }
  return { throughput: meter!.result(), epochs: epochMse.length, epochMse };
}
