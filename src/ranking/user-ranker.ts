/**
 * One user's two-stage recommendations from a retrieval version, from the request's plain data
 * to the ranked rows, their predicted ratings and what explains each: the CPU-bound part of a
 * served `recommendations` request. Plain data in and out, so the same code runs in the main
 * thread and in a scoring thread (recsys/scoring-thread.ts), where the server sends it so that
 * the main thread's GraphQL and database work runs beside it on another core.
 */
import { ItemScorer } from '../models/all-items-scorer';
import type { Model } from '../models/model';
import { baselineRating } from '../models/rating';
import type { DotScanner } from './dot-scan';
import { scannedTwoStage, type TwoStageData } from './reranker';
import { ratingOf, rerank, retrieveCandidates, setPredictedRatings, type Candidates, type HistoryRows, type TwoStageModel } from './two-stage';
import { unitScanner } from './vector-neighbours';

/** What a UserRanker is built from (structured-clonable: sent once per version to a thread). */
export interface UserRankerSpec {
  stage: TwoStageData;
  /** The re-ranker's rating model (a hybrid). */
  ratingModel: Model;
}

export interface UserRanker {
  stage: TwoStageModel;
  ratings: ItemScorer;
  /** The retrieval item vectors at unit length: the `because` search's cosines. */
  unitItems: DotScanner;
}

export interface RankRequest {
  /** The user's retrieval vector. */
  userVector: Float32Array;
  /** The user's row in the rating model; -1 for none (the model's baseline rates). */
  ratingUserRow: number;
  /** Item rows the user rated or watched, and the rated ones liked (a subset): two-stage.ts's HistoryRows. */
  interacted: Int32Array;
  liked: Int32Array;
  /** Per item row, 1 where it must not be recommended (seen, outside the filters). */
  skipped: Uint8Array;
  k: number;
  /** Item rows that may explain a recommendation (the user's liked titles, or all rated ones). */
  explainers: Int32Array;
}

export interface RankResult {
  /** Item rows, best first, and their predicted ratings. */
  rows: Int32Array;
  ratings: Float32Array;
  /** Per row, the index in `explainers` of the most similar one (never the row itself), or -1. */
  because: Int32Array;
  similarity: Float32Array;
}

/** A ranker from plain data (in a scoring thread: its own scanners and rating scorer). */
export function userRanker(spec: UserRankerSpec): UserRanker {
  return {
    stage: scannedTwoStage(spec.stage),
    ratings: new ItemScorer(spec.ratingModel),
    unitItems: unitScanner(spec.stage.itemVectors, spec.stage.dim),
  };
}

/**
 * The user's top `k`: stage one's candidates, the rating model's predictions of them (its
 * baseline for a user it has no row for), the blend, and for each row the explainer most similar to it.
 */
export function rankUser(ranker: UserRanker, request: RankRequest): RankResult {
  const { stage, ratings, unitItems } = ranker;
  const candidates = ratedCandidates(stage, ratings, request.userVector, { interacted: request.interacted, liked: request.liked }, request.skipped, request.ratingUserRow);
  const positions = rerank(candidates, stage.weights, request.k);
  const rows = Int32Array.from(positions, (position) => candidates.rows[position]!);
  return { rows, ratings: Float32Array.from(positions, (position) => ratingOf(candidates, position)), ...explainRows(unitItems, rows, request.explainers) };
}

/**
 * Stage one's candidates with the rating model's predictions filled in (its baseline for
 * `ratingUserRow` -1, a user it has no row for): what serving ranks and training's evaluation
 * measures, so a reported figure is the served ranking.
 */
export function ratedCandidates(stage: TwoStageModel, ratings: ItemScorer, userVector: Float32Array, history: HistoryRows, skipped: Uint8Array, ratingUserRow: number): Candidates {
  const candidates = retrieveCandidates(stage, userVector, history, skipped);
  const model = ratings.model;
  setPredictedRatings(candidates, ratingUserRow >= 0 ? ratings.scoreRows(ratingUserRow, candidates.rows) : Float32Array.from(candidates.rows, (row) => baselineRating(model, row)));
  return candidates;
}

/**
 * For each row, the explainer (an item row) most similar to it by cosine, never the row itself:
 * its index in `explainers` (-1 when none) and the similarity. Ties go to the earlier explainer.
 */
export function explainRows(unitItems: DotScanner, rows: ArrayLike<number>, explainers: Int32Array): Pick<RankResult, 'because' | 'similarity'> {
  const because = new Int32Array(rows.length).fill(-1);
  const similarity = new Float32Array(rows.length);
  for (let n = 0; n < rows.length; n++) {
    const row = rows[n]!;
    const similarities = unitItems.rowDots(row, explainers);
    for (let e = 0; e < explainers.length; e++) {
      if (explainers[e] !== row && (because[n] === -1 || similarities[e]! > similarity[n]!)) {
        because[n] = e;
        similarity[n] = similarities[e]!;
      }
    }
  }
  return { because, similarity };
}

/** A result as one Float32Array (what a scoring thread answers with): rows, ratings, because, similarity, k each. Rows and indices stay exact below 2^24. */
export function packRankResult(result: RankResult): Float32Array {
  const k = result.rows.length;
  const packed = new Float32Array(4 * k);
  packed.set(result.rows, 0);
  packed.set(result.ratings, k);
  packed.set(result.because, 2 * k);
  packed.set(result.similarity, 3 * k);
  return packed;
}

export function unpackRankResult(packed: Float32Array): RankResult {
  const k = packed.length / 4;
  return {
    rows: Int32Array.from(packed.subarray(0, k)),
    ratings: packed.slice(k, 2 * k),
    because: Int32Array.from(packed.subarray(2 * k, 3 * k)),
    similarity: packed.slice(3 * k, 4 * k),
  };
}
