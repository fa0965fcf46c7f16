/**
 * The served second stage of a retrieval model version: its re-ranker (rating model, item
 * neighbours, blend), what a fold-in of the retrieval vector needs, and predicted ratings from
 * the rating model, with a baseline (global mean + item bias) for users it has no row for.
 */
import { InvariantError } from '../errors';
import type { Model } from '../models/model';
import { ItemScorer } from '../models/all-items-scorer';
import { foldInIals, ialsFoldInBasisOf, type IalsFoldInBasis, type IalsItems } from '../ranking/ials-fold-in';
import type { FoldInThread } from './fold-in-thread';
import { twoStageData, twoStageModel, type Reranker } from '../ranking/reranker';
import type { DotScanner } from '../ranking/dot-scan';
import { rankUser, type RankRequest, type RankResult, type UserRanker, type UserRankerSpec } from '../ranking/user-ranker';
import type { ScoringRunner } from './scoring-thread';
import { newPayloadKey } from '../worker-client';
import { supportFactors } from '../ranking/vector-neighbours';

export interface ServingReranking {
  reranker: Reranker;
  /**
   * Ranks users in this thread, built on first use: with a live scoring thread that is rare
   * (rankWithReranking), and the thread builds its own from `rankerSpec`.
   */
  localRanker: { get(): UserRanker; release(): void };
  rankerSpec: () => UserRankerSpec;
  /** Where rankings run (null: in this thread), and this version's ranker key there. */
  scoring: ScoringRunner | null;
  rankerKey: number;
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

/** `unitItems`: the served retrieval vectors at unit length (ServingModel's), which `because` reads. */
export function servingReranking(
  retrieval: Model,
  reranker: Reranker,
  unitItems: DotScanner,
  threads: { foldIn?: FoldInThread | null; scoring?: ScoringRunner | null } = {},
): ServingReranking {
  const items = retrieval.itemIds;
  const ratingItems = reranker.ratingModel.itemIds;
  // Both were trained on one dataset, so their item rows are the same; a version where they differ is corrupt.
  if (items.length !== ratingItems.length || items.some((id, row) => ratingItems[row] !== id)) {
    throw new InvariantError(`model version's re-ranker and retrieval vectors list different anime`);
  }
  const retrievalItems = { dim: retrieval.hyper.embeddingDim, itemVectors: retrieval.itemEmbeddings };
  let basis: IalsFoldInBasis | null = null;
  let ranker: UserRanker | null = null;
  return {
    reranker,
    localRanker: {
      get: () => (ranker ??= { stage: twoStageModel(retrieval, reranker), ratings: new ItemScorer(reranker.ratingModel), unitItems }),
      release: () => ranker?.ratings.release(),
    },
    rankerSpec: () => ({ stage: twoStageData(retrieval, reranker), ratingModel: reranker.ratingModel }),
    scoring: threads.scoring ?? null,
    rankerKey: newPayloadKey(),
    retrievalItems,
    foldInBasis: () => (basis ??= ialsFoldInBasisOf(retrievalItems)),
    foldInThread: threads.foldIn ?? null,
    foldInKey: newPayloadKey(),
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

/** A user's two-stage ranking: on a scoring thread when there is a live one, else here. */
export function rankWithReranking(reranking: ServingReranking, request: RankRequest): Promise<RankResult> {
  if (reranking.scoring?.alive) return reranking.scoring.rank(reranking.rankerKey, reranking.rankerSpec, request);
  return Promise.resolve(rankUser(reranking.localRanker.get(), request));
}

/** Frees what the threads and this thread's ranker keep of this version. */
export function releaseReranking(reranking: ServingReranking): void {
  reranking.foldInThread?.forget(reranking.foldInKey);
  reranking.scoring?.forget(reranking.rankerKey);
  reranking.localRanker.release();
}
