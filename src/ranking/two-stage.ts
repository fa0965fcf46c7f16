/**
 * Recommendations in two stages, as production recommenders are built:
 *   1. retrieval: the few hundred items nearest the user's retrieval vector, plus the items that
 *      the user's history points to through the sparse item-neighbour weights;
 *   2. re-ranking: a linear blend of the candidates' retrieval score, neighbour score (from the
 *      whole history and from the liked titles alone), the rating head's predicted rating and
 *      popularity, each standardized over the user's candidates, with weights fitted on
 *      validation ratings for NDCG@10 (blend.ts).
 * Serving and evaluation both call these functions, so a reported figure is the served ranking.
 */
import type { ItemNeighbours } from './item-neighbours';
import { scanDotProducts } from './dot-scan';
import { TopK } from './top-k';

/** The blend's features, in this order. */
export const BLEND_FEATURES = ['retrieval', 'neighbours', 'liked', 'rating', 'popularity'] as const;
export type BlendFeature = (typeof BLEND_FEATURES)[number];
export type BlendWeights = Record<BlendFeature, number>;

/**
 * A rated title at or above this counts toward the `liked` feature: the neighbour score of the
 * titles the user liked, apart from everything they watched. The protocol's relevance threshold
 * (docs/ranking.md); on the sample it lifted the blend's validation NDCG@10 from 0.233 to 0.249.
 */
export const LIKED_FEATURE_RATING = 8;

/** Item rows of a user's history: all they rated or watched, and the rated ones they liked. */
export interface HistoryRows {
  interacted: ArrayLike<number>;
  liked: ArrayLike<number>;
}

export interface TwoStageModel {
  dim: number;
  /** Retrieval item vectors, row-major [items, dim]. */
  itemVectors: Float32Array;
  /** Sparse item-to-item weights: row i lists the items that i points to. */
  neighbours: ItemNeighbours;
  /** log(1 + interactions) per item. */
  logPopularity: Float32Array;
  weights: BlendWeights;
  /** Candidates taken by the retrieval vector and by neighbour score. */
  vectorCandidates: number;
  neighbourCandidates: number;
}

/** Stage one's output: candidate item rows and their feature values, row-major [candidates, features]. */
export interface Candidates {
  rows: Int32Array;
  features: Float32Array;
}

const FEATURES = BLEND_FEATURES.length;
const feature = (name: BlendFeature) => BLEND_FEATURES.indexOf(name);
const RETRIEVAL_FEATURE = feature('retrieval');
const NEIGHBOURS_FEATURE = feature('neighbours');
const LIKED_FEATURE = feature('liked');
const RATING_FEATURE = feature('rating');
const POPULARITY_FEATURE = feature('popularity');

/** Rows of the `count` largest entries of `scores` that `keep` accepts. */
function largest(scores: Float32Array, count: number, keep: (row: number) => boolean): Int32Array {
  if (count <= 0) return new Int32Array(0);
  const best = new TopK(count);
  for (let row = 0; row < scores.length; row++) if (keep(row)) best.offer(row, scores[row]!);
  return best.drainBestFirst();
}

/** Every item's summed neighbour weight from the source rows. */
function neighbourSums(neighbours: ItemNeighbours, sources: ArrayLike<number>, items: number): Float32Array {
  const sums = new Float32Array(items);
  for (let n = 0; n < sources.length; n++) {
    const row = sources[n]!;
    for (let at = neighbours.start[row]!; at < neighbours.start[row + 1]!; at++) sums[neighbours.items[at]!]! += neighbours.weights[at]!;
  }
  return sums;
}

/**
 * Stage one. The neighbour weights of the history's rows are summed (all of them, and the liked
 * ones apart); `eligible(row)` says whether a row may be recommended (unseen, inside the
 * filters). The rating feature is left 0 for the caller to fill with the head's predictions.
 */
export function retrieveCandidates(
  model: TwoStageModel,
  userVector: Float32Array | null,
  history: HistoryRows,
  eligible: (row: number) => boolean,
): Candidates {
  const items = model.logPopularity.length;
  const { dim, itemVectors, neighbours } = model;
  const retrieval = new Float32Array(items);
  if (userVector !== null) scanDotProducts(userVector, itemVectors, dim, retrieval);
  const neighbourScore = neighbourSums(neighbours, history.interacted, items);
  const likedScore = neighbourSums(neighbours, history.liked, items);
  const chosen = new Set<number>(largest(userVector === null ? model.logPopularity : retrieval, model.vectorCandidates, eligible));
  if (history.interacted.length > 0) for (const row of largest(neighbourScore, model.neighbourCandidates, (row) => !chosen.has(row) && eligible(row))) chosen.add(row);
  const rows = Int32Array.from(chosen).sort();
  const features = new Float32Array(rows.length * FEATURES);
  rows.forEach((row, n) => {
    const base = n * FEATURES;
    features[base + RETRIEVAL_FEATURE] = retrieval[row]!;
    features[base + NEIGHBOURS_FEATURE] = neighbourScore[row]!;
    features[base + LIKED_FEATURE] = likedScore[row]!;
    features[base + POPULARITY_FEATURE] = model.logPopularity[row]!;
  });
  return { rows, features };
}

/** Writes the head's predicted rating of each candidate (same order as `candidates.rows`). */
export function setPredictedRatings(candidates: Candidates, predicted: ArrayLike<number>): void {
  for (let n = 0; n < candidates.rows.length; n++) candidates.features[n * FEATURES + RATING_FEATURE] = predicted[n]!;
}

/**
 * Each feature standardized over the user's candidates (zero mean, unit deviation; a constant
 * feature becomes 0), so one set of weights fits users whose raw scores differ in scale.
 */
export function standardized(candidates: Candidates): Float32Array {
  const count = candidates.rows.length;
  const out = new Float32Array(candidates.features.length);
  for (let f = 0; f < FEATURES; f++) {
    let mean = 0;
    for (let n = 0; n < count; n++) mean += candidates.features[n * FEATURES + f]!;
    mean /= Math.max(count, 1);
    let variance = 0;
    for (let n = 0; n < count; n++) variance += (candidates.features[n * FEATURES + f]! - mean) ** 2;
    const deviation = Math.sqrt(variance / Math.max(count, 1));
    for (let n = 0; n < count; n++) out[n * FEATURES + f] = deviation > 1e-12 ? (candidates.features[n * FEATURES + f]! - mean) / deviation : 0;
  }
  return out;
}

/** Blended score of each candidate from standardized features. */
export function blendScores(standardizedFeatures: Float32Array, weights: BlendWeights, out = new Float32Array(standardizedFeatures.length / FEATURES)): Float32Array {
  const w = BLEND_FEATURES.map((feature) => weights[feature]);
  for (let n = 0; n < out.length; n++) {
    let sum = 0;
    for (let f = 0; f < FEATURES; f++) sum += w[f]! * standardizedFeatures[n * FEATURES + f]!;
    out[n] = sum;
  }
  return out;
}

/** Stage two: the candidates' positions (indices into candidates.rows) of the best k, best first. */
export function rerank(candidates: Candidates, weights: BlendWeights, k: number): number[] {
  const scores = blendScores(standardized(candidates), weights);
  return Array.from(scores.keys())
    .sort((a, b) => scores[b]! - scores[a]! || candidates.rows[a]! - candidates.rows[b]!)
    .slice(0, k);
}
