/** What a finished training run hands to publishing: everything a model version stores. */
import type { ModelKind } from '../models/kinds';

/** Learned vectors for a set of entities (users or items), row i belonging to ids[i]. */
export interface EmbeddingSet {
  /** Database ids (app_user.id or anime.id), one per row. */
  ids: Int32Array;
  /** Row-major [ids.length, dim]. */
  vectors: Float32Array;
  dim: number;
  /** One bias per row, when the model has biases. */
  biases?: Float32Array;
}

/**
 * Held-out (true, predicted) rating pairs kept in a version's metrics (`metrics.testSample`),
 * so that a predicted-vs-true chart needs neither the test split nor the model.
 */
export interface PredictionSample {
  /** The held-out ratings, 1-10. */
  actual: number[];
  /** The model's predictions for the same (user, anime) pairs, same order. */
  predicted: number[];
}

/** One epoch of training, for loss curves. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  valLoss: number;
  seconds: number;
}

export interface ModelVersionDraft {
  kind: ModelKind;
  embeddingDim: number;
  hyperparameters: Record<string, unknown>;
  metrics: Record<string, unknown>;
  history: EpochRecord[];
  /** The serialized head (src/models/serialize.ts); opaque to publishing. */
  headWeights: Uint8Array;
  /** The retrieval kind's re-ranking stage (src/ranking/reranker.ts); opaque to publishing. */
  reranker?: Uint8Array;
  users: EmbeddingSet;
  items: EmbeddingSet;
  /** 2-D map coordinates of items: row-major [ids.length, 2]. */
  map?: { ids: Int32Array; xy: Float32Array };
}
