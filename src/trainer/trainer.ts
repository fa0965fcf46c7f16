/** The contract of a model kind's trainer, as run-training.ts calls it. */
import type { Hyperparameters } from '../models/hyperparameters';
import type { EaseModel } from '../ranking/ease';
import type { Reranker } from '../ranking/reranker';
import type { DatasetSplit, RatingsDataset } from './dataset';
import type { RankingData } from './ranking-data';
import type { TrainCallbacks, TrainResult } from './train';

/** What a trainer may read of a run's prepared data. */
export interface TrainerInput {
  dataset: RatingsDataset;
  split: DatasetSplit;
  ranking: RankingData;
  /** The EASE fit the run's baselines chose on validation. */
  ease: EaseModel;
  /** Validation users sampled where a trainer evaluates rankings. */
  rankingUsers: number;
}

export interface TrainedModel extends TrainResult {
  /** The retrieval kind's second stage. */
  reranker?: Reranker;
  /** The retrieval kind: seconds of its implicit-feedback fit, and the blend's NDCG@10 on validation. */
  retrievalSeconds?: number;
  blendValidationNdcg?: number;
}

export type ModelTrainer = (input: TrainerInput, hyper: Hyperparameters, callbacks: TrainCallbacks) => Promise<TrainedModel>;
