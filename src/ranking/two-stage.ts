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
import type { DotScanner } from './dot-scan';
import type { ItemNeighbours } from './item-neighbours';
import { bestRows, largestRows } from './top-k';

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
  /** The retrieval item vectors, scanned against the user's. */
  itemVectors: DotScanner;
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

/** Stage one's per-item work arrays. */
interface WorkArrays {
  retrieval: Float32Array;
  all: Float32Array;
  liked: Float32Array;
  isLiked: Uint8Array;
  taken: Uint8Array;
}

let work: WorkArrays | null = null;

/**
 * The work arrays for `items` items, zeroed. One set is reused from call to call (a call keeps
 * none of them, and runs to its end before the next starts): a fresh set per request was ~100 KB
 * of garbage, and at a thousand requests a second the collector's pauses showed in p99.
 */
function workArrays(items: number): WorkArrays {
  if (work?.retrieval.length !== items) {
    work = { retrieval: new Float32Array(items), all: new Float32Array(items), liked: new Float32Array(items), isLiked: new Uint8Array(items), taken: new Uint8Array(items) };
  } else {
    work.retrieval.fill(0);
    work.all.fill(0);
    work.liked.fill(0);
    work.isLiked.fill(0);
  }
  return work;
}

/**
 * Every item's summed neighbour weight from the interacted rows, and from the liked ones alone
 * (a subset) into `all` and `liked`: one pass over the neighbour lists, the liked rows' sums taken on the way.
 */
function addNeighbourSums(neighbours: ItemNeighbours, history: HistoryRows, { all, liked, isLiked }: WorkArrays): void {
  for (let n = 0; n < history.liked.length; n++) isLiked[history.liked[n]!] = 1;
  const { start, items: targets, weights } = neighbours;
  for (let n = 0; n < history.interacted.length; n++) {
    const row = history.interacted[n]!;
    const end = start[row + 1]!;
    if (isLiked[row] === 1) {
      for (let at = start[row]!; at < end; at++) {
        all[targets[at]!]! += weights[at]!;
        liked[targets[at]!]! += weights[at]!;
      }
    } else {
      for (let at = start[row]!; at < end; at++) all[targets[at]!]! += weights[at]!;
    }
  }
}

/**
 * Stage one. The neighbour weights of the history's rows are summed (all of them, and the liked
 * ones apart); `skipped[row]` is 1 for a row that may not be recommended (seen, outside the
 * filters). The rating feature is left 0 for the caller to fill with the head's predictions.
 */
export function retrieveCandidates(
  model: TwoStageModel,
  userVector: Float32Array | null,
  history: HistoryRows,
  skipped: Uint8Array,
): Candidates {
  const items = model.logPopularity.length;
  const { itemVectors, neighbours } = model;
  const arrays = workArrays(items);
  const { retrieval, all: neighbourScore, liked: likedScore, taken } = arrays;
  if (userVector !== null) itemVectors.scan(userVector, retrieval);
  addNeighbourSums(neighbours, history, arrays);
  const byVector = largestRows(userVector === null ? model.logPopularity : retrieval, model.vectorCandidates, skipped);
  // The neighbour candidates are taken among the rows neither skipped nor already chosen.
  taken.set(skipped);
  for (const row of byVector) taken[row] = 1;
  const byNeighbours = history.interacted.length > 0 ? largestRows(neighbourScore, model.neighbourCandidates, taken) : new Int32Array(0);
  const rows = new Int32Array(byVector.length + byNeighbours.length);
  rows.set(byVector);
  rows.set(byNeighbours, byVector.length);
  rows.sort();
  const features = new Float32Array(rows.length * FEATURES);
  for (let n = 0; n < rows.length; n++) {
    const row = rows[n]!;
    const base = n * FEATURES;
    features[base + RETRIEVAL_FEATURE] = retrieval[row]!;
    features[base + NEIGHBOURS_FEATURE] = neighbourScore[row]!;
    features[base + LIKED_FEATURE] = likedScore[row]!;
    features[base + POPULARITY_FEATURE] = model.logPopularity[row]!;
  }
  return { rows, features };
}

/** The predicted rating written for the candidate at `position`. */
export function ratingOf(candidates: Candidates, position: number): number {
  return candidates.features[position * FEATURES + RATING_FEATURE]!;
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
export function rerank(candidates: Candidates, weights: BlendWeights, k: number): Int32Array {
  const scores = blendScores(standardized(candidates), weights);
  // Ties go to the lower position, which is the lower item row: candidates' rows ascend.
  return bestRows(scores, Math.min(k, scores.length), () => true);
}
