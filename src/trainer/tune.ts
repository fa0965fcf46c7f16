/**
 * Random-search tuning, like the notebook's keras-tuner step: sample hyperparameters, train
 * each trial on the same split, rank them by best validation loss, and publish the best
 * trial's model as a model version.
 */
import type { Database } from '../db/database';
import { presetHyperparameters, type Hyperparameters } from '../models/hyperparameters';
import { kindDefinition } from '../models/kinds';
import { mulberry32, type RandomSource } from './random';
import {
  finishTrainingRun,
  prepareTrainingData,
  trainPrepared,
  type TrainingReport,
  type TrainingRunOptions,
} from './run-training';
import type { TrainResult } from './train';

/** The search space: dropout 0.1-0.5, layer size 32/64/128, embedding size, learning rate, L2. */
export const SEARCH_SPACE = {
  dropout: [0.1, 0.5],
  layerSizes: [32, 64, 128],
  embeddingDims: [16, 32, 64, 128],
  learningRate: [3e-4, 1e-2],
  l2Embeddings: [1e-5, 1e-3],
} as const;

export interface Trial {
  trial: number;
  hyper: Hyperparameters;
  /** The objective: the best epoch's validation loss. */
  valLoss: number;
  bestEpoch: number;
  seconds: number;
}

function logUniform(random: RandomSource, [low, high]: readonly [number, number]): number {
  return Math.exp(Math.log(low) + random() * (Math.log(high) - Math.log(low)));
}

function choose<T>(random: RandomSource, options: readonly T[]): T {
  return options[Math.floor(random() * options.length)]!;
}

/** One sample of the search space over `base` (the head's depth is kept, its width sampled). */
export function sampleHyperparameters(base: Hyperparameters, random: RandomSource): Hyperparameters {
  const width = choose(random, SEARCH_SPACE.layerSizes);
  return {
    ...base,
    dropout: kindDefinition(base.kind).headOutputs === 0 ? 0 : SEARCH_SPACE.dropout[0] + random() * (SEARCH_SPACE.dropout[1] - SEARCH_SPACE.dropout[0]),
    hiddenUnits: base.hiddenUnits.map(() => width),
    embeddingDim: choose(random, SEARCH_SPACE.embeddingDims),
    learningRate: logUniform(random, SEARCH_SPACE.learningRate),
    l2Embeddings: logUniform(random, SEARCH_SPACE.l2Embeddings),
  };
}

export interface TuneOptions extends Omit<TrainingRunOptions, 'activate'> {
  trials: number;
  activate: TrainingRunOptions['activate'];
  onTrial?(trial: Trial): void;
}

export interface TuneReport {
  trials: Trial[];
  best: TrainingReport;
}

export async function tune(db: Database, options: TuneOptions): Promise<TuneReport> {
  const base: Hyperparameters = { ...presetHyperparameters(options.kind, options.preset), ...options.overrides, kind: options.kind };
  const prepared = await prepareTrainingData(db, base, options);
  const random = mulberry32(base.seed);
  const trials: Trial[] = [];
  let best: { hyper: Hyperparameters; result: TrainResult } | null = null;
  for (let t = 1; t <= options.trials; t++) {
    const hyper = sampleHyperparameters(base, random);
    const result = await trainPrepared(prepared, hyper, options);
    const valLoss = Math.min(...result.history.map((epoch) => epoch.valLoss));
    const trial = { trial: t, hyper, valLoss, bestEpoch: result.bestEpoch, seconds: result.seconds };
    trials.push(trial);
    options.onTrial?.(trial);
    if (!best || valLoss < Math.min(...best.result.history.map((epoch) => epoch.valLoss))) best = { hyper, result };
  }
  const report = await finishTrainingRun(db, prepared, best!.hyper, best!.result, options);
  return { trials, best: report };
}

export function formatTrials(trials: readonly Trial[]): string {
  const sorted = [...trials].sort((a, b) => a.valLoss - b.valLoss);
  return [
    '| trial | val loss | dropout | layers | embedding | learning rate | L2 | best epoch | seconds |',
    '|---|---|---|---|---|---|---|---|---|',
    ...sorted.map(
      (t) =>
        `| ${t.trial} | ${t.valLoss.toFixed(4)} | ${t.hyper.dropout.toFixed(2)} | ${t.hyper.hiddenUnits.join('x') || '-'} | ${t.hyper.embeddingDim} | ` +
        `${t.hyper.learningRate.toExponential(2)} | ${t.hyper.l2Embeddings.toExponential(2)} | ${t.bestEpoch} | ${t.seconds.toFixed(1)} |`,
    ),
  ].join('\n');
}
