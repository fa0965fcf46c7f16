/**
 * Fits the re-ranking blend's weights on validation users for NDCG@k: coordinate ascent over a
 * grid of values per feature, every weight free (a blend is scale-free, so only their ratios matter).
 * The metric is not differentiable and the features are four, so a direct search on the metric
 * itself beats fitting a surrogate loss (the Netflix Prize lesson: blend for what you report).
 */
import { BLEND_FEATURES, blendScores, type BlendWeights } from './two-stage';

/** One validation user: standardized candidate features, which candidates are relevant, and the ideal DCG. */
export interface BlendExample {
  standardized: Float32Array;
  relevant: Uint8Array;
  /** DCG of a perfect list over all the user's relevant items (also those retrieval missed). */
  idealDcg: number;
}

const GRID = [-8, -6, -4, -3, -2, -1.5, -1, -0.75, -0.5, -0.25, -0.1, 0, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8];
const ROUNDS = 5;

/** 1/log2(rank + 1) for 1-based ranks 1..k. */
export function discounts(k: number): Float64Array {
  return Float64Array.from({ length: k }, (_, index) => 1 / Math.log2(index + 2));
}

/** Ideal DCG of `relevantCount` relevant items in a list of k. */
export function idealDcg(relevantCount: number, k: number): number {
  let sum = 0;
  for (let index = 0; index < Math.min(k, relevantCount); index++) sum += 1 / Math.log2(index + 2);
  return sum;
}

/** Mean NDCG@k of the blend over the examples. */
export function blendNdcg(examples: readonly BlendExample[], weights: BlendWeights, k: number): number {
  if (examples.length === 0) return 0;
  const discount = discounts(k);
  let total = 0;
  for (const example of examples) {
    const scores = blendScores(example.standardized, weights);
    // The k best positions by partial selection (few candidates: a sort is cheap enough).
    const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
    let dcg = 0;
    for (let rank = 0; rank < Math.min(k, order.length); rank++) if (example.relevant[order[rank]!]) dcg += discount[rank]!;
    total += example.idealDcg > 0 ? dcg / example.idealDcg : 0;
  }
  return total / examples.length;
}

/** The weights that maximise mean NDCG@k on the examples, starting from `initial`. */
export function fitBlendWeights(examples: readonly BlendExample[], k: number, initial: BlendWeights): { weights: BlendWeights; ndcg: number } {
  let weights = { ...initial };
  let best = blendNdcg(examples, weights, k);
  for (let round = 0; round < ROUNDS; round++) {
    let improved = false;
    for (const feature of BLEND_FEATURES) {
      for (const value of GRID) {
        if (value === weights[feature]) continue;
        const trial = { ...weights, [feature]: value };
        const ndcg = blendNdcg(examples, trial, k);
        if (ndcg > best + 1e-9) {
          best = ndcg;
          weights = trial;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return { weights, ndcg: best };
}
