/**
 * The served second stage of a retrieval model version: its re-ranker (rating model, item
 * neighbours, blend), what a fold-in of the retrieval vector needs, and predicted ratings from
 * the rating model, with a baseline (global mean + item bias) for users it has no row for.
 */
import { InvariantError } from '../errors';
import type { Model } from '../models/model';
import { predictRows } from '../models/predict';
import { clipRating } from '../models/rating';
import { foldInIals, ialsFoldInBasisOf, type IalsFoldInBasis, type IalsItems } from '../ranking/ials-fold-in';
import type { FoldInThread } from './fold-in-thread';
import { twoStageModel, type Reranker } from '../ranking/reranker';
import type { TwoStageModel } from '../ranking/two-stage';
import { supportFactors } from '../ranking/vector-neighbours';

export interface ServingReranking {
  reranker: Reranker;
  stage: TwoStageModel;
  /** The retrieval item vectors, which a fold-in solves against. */
  retrievalItems: IalsItems;
  /**
   * Their Gramian's eigenbasis (ials-fold-in.ts), built on first use in this thread: with a live
   * fold-in thread that is rare (a user with no stored vector), and the thread builds its own.
   */
  foldInBasis: () => IalsFoldInBasis;
  /** Where batched fold-ins run (null: in this thread), and this basis's key there. */
  foldInThread: FoldInThread | null;
  foldInKey: number;
  /** Per item row: what similarities to it are multiplied by (support shrinkage). */
  similarityFactors: Float32Array;
  ratingUserRow: Map<number, number>;
}

let nextFoldInKey = 0;

export function servingReranking(retrieval: Model, reranker: Reranker, foldInThread: FoldInThread | null = null): ServingReranking {
  const items = retrieval.itemIds;
  const ratingItems = reranker.ratingModel.itemIds;
  // Both were trained on one dataset, so their item rows are the same; a version where they differ is corrupt.
  if (items.length !== ratingItems.length || items.some((id, row) => ratingItems[row] !== id)) {
    throw new InvariantError(`model version's re-ranker and retrieval vectors list different anime`);
  }
  const retrievalItems = { dim: retrieval.hyper.embeddingDim, itemVectors: retrieval.itemEmbeddings };
  let basis: IalsFoldInBasis | null = null;
  return {
    reranker,
    stage: twoStageModel(retrieval, reranker),
    retrievalItems,
    foldInBasis: () => (basis ??= ialsFoldInBasisOf(retrievalItems)),
    foldInThread,
    foldInKey: nextFoldInKey++,
    similarityFactors: supportFactors(reranker.support, reranker.similarityShrinkage),
    ratingUserRow: new Map(Array.from(reranker.ratingModel.userIds, (id, row) => [id, row])),
  };
}

/** The retrieval vector of a user with these item rows (rated or watched): iALS's closed form. */
export function foldInRetrieval(reranking: ServingReranking, itemRows: ArrayLike<number>): Float32Array {
  return foldInIals(reranking.foldInBasis(), itemRows, reranking.reranker.foldIn);
}

/** The retrieval vectors of a batch of users, each given by their item rows: on the fold-in thread when there is a live one. */
export async function foldInRetrievalBatch(reranking: ServingReranking, users: Int32Array[]): Promise<Float32Array[]> {
  const dim = reranking.retrievalItems.dim;
  const thread = reranking.foldInThread;
  if (!thread?.alive) return users.map((rows) => foldInRetrieval(reranking, rows));
  const vectors = await thread.foldIn(reranking.foldInKey, reranking.retrievalItems, users, reranking.reranker.foldIn);
  return users.map((_, n) => vectors.subarray(n * dim, (n + 1) * dim));
}

/** Frees what the fold-in thread keeps of this version. */
export function releaseReranking(reranking: ServingReranking): void {
  reranking.foldInThread?.forget(reranking.foldInKey);
}

/**
 * The rating model's predicted ratings of `itemRows` for the user, or its baseline for a user it
 * has no row for. Only the candidates are scored: a few hundred rows, not the catalogue.
 */
export function ratingsOfRows(reranking: ServingReranking, userId: number, itemRows: Int32Array): Float32Array {
  const model = reranking.reranker.ratingModel;
  const userRow = reranking.ratingUserRow.get(userId);
  if (userRow === undefined) return Float32Array.from(itemRows, (itemRow) => baselineRating(model, itemRow));
  return predictRows(model, new Int32Array(itemRows.length).fill(userRow), itemRows);
}

/** A rating model's prediction for a user it knows nothing of: the global mean plus the item's bias. */
export function baselineRating(model: Model, itemRow: number): number {
  return clipRating(model.globalMean + (model.hyper.biases ? model.itemBias[itemRow]! : 0));
}
