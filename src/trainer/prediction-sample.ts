/**
 * A bounded, seeded sample of held-out (true, predicted) rating pairs, kept with a model version
 * so that a predicted-vs-true chart needs neither the test split nor the model.
 */
import type { PredictionSample } from '../versions/draft';
import type { RatingsDataset } from './dataset';
import { mulberry32, shuffleInPlace } from './random';

/** Pairs kept per model version (about 16 KB of JSON). */
export const PREDICTION_SAMPLE_SIZE = 1000;

/**
 * Up to `size` pairs drawn without replacement from `indices` (rows of `dataset`), seeded.
 * `predict` maps dataset user and item rows to predicted ratings.
 */
export function samplePredictions(
  predict: (users: Int32Array, items: Int32Array) => Float32Array,
  dataset: Pick<RatingsDataset, 'users' | 'items' | 'ratings'>,
  indices: Int32Array,
  options: { seed: number; size?: number },
): PredictionSample {
  const chosen = shuffleInPlace(Int32Array.from(indices), mulberry32(options.seed)).subarray(0, options.size ?? PREDICTION_SAMPLE_SIZE);
  const users = Int32Array.from(chosen, (index) => dataset.users[index]!);
  const items = Int32Array.from(chosen, (index) => dataset.items[index]!);
  const predicted = predict(users, items);
  // Three decimals are far finer than a chart can show and keep the stored JSON small.
  return {
    actual: Array.from(chosen, (index) => dataset.ratings[index]!),
    predicted: Array.from(predicted, (value) => Math.round(value * 1000) / 1000),
  };
}
