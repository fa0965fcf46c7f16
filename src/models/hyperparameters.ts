/**
 * Hyperparameters of every model kind, the notebook's preset (the reference row) and our
 * defaults (what makes the models better: biases and a global mean, L2, a learning-rate
 * decay, early stopping on validation loss, larger batches).
 */
import { kindDefinition, unreachable, type ModelKind } from './kinds';
import type { FeatureOptions } from './features';

/** huber: squared error up to 1 rating point, absolute beyond (between what MAE and RMSE reward). */
export type LossName = 'mae' | 'mse' | 'huber' | 'crossentropy';

export interface Hyperparameters {
  kind: ModelKind;
  embeddingDim: number;
  /** Hidden Dense layer sizes of the head (deep: one layer; hybrid: two); empty for mf. */
  hiddenUnits: number[];
  /** Dropout on the head's input; 0 for mf. */
  dropout: number;
  loss: LossName;
  /** Predict global mean + user bias + item bias + (dot | head): off in the notebook. */
  biases: boolean;
  /**
   * Regression heads (deep, hybrid): add the mf dot product of the user and item embeddings to
   * the head's output (NeuMF's GMF + MLP), so the head models what the dot misses. Off in the
   * notebook; absent in versions trained before it existed (read as false).
   */
  dotTerm: boolean;
  /** Item metadata of the hybrid kinds; null for mf and deep. */
  features: FeatureOptions | null;
  learningRate: number;
  /** The learning rate is multiplied by this after each epoch. */
  learningRateDecay: number;
  /** L2 penalty on embedding rows (and biases) per step. */
  l2Embeddings: number;
  /** L2 penalty on the head's weights. */
  l2Head: number;
  batchSize: number;
  epochs: number;
  /** Fraction of the training split held out for validation (Keras' validation_split). */
  validationSplit: number;
  /** Stop after this many epochs without a better validation loss and keep the best; null trains all epochs. */
  earlyStoppingPatience: number | null;
  /** Fraction of all ratings held out as the test set. */
  testFraction: number;
  seed: number;
  /** The retrieval kind only: its implicit-feedback model and two-stage ranking; the fields above configure its rating model. */
  retrieval?: RetrievalOptions;
}

/** How the retrieval kind is fitted and ranks; chosen on validation ratings of the shipped sample (BENCHMARKS.md, Ranking). */
export interface RetrievalOptions {
  /** iALS (src/ranking/ials.ts); its width is `embeddingDim`. */
  sweeps: number;
  regularization: number;
  regularizationExponent: number;
  unobservedWeight: number;
  cgSteps: number;
  /** Item neighbours kept per item from EASE for candidates and the blend. */
  neighbours: number;
  vectorCandidates: number;
  neighbourCandidates: number;
  /** Similar titles: a similarity to item j is multiplied by support_j / (support_j + this). */
  similarityShrinkage: number;
  /**
   * The architecture of its rating model (a hybrid); its training schedule (epochs, learning
   * rate, batch, L2, seed) is the one above. `embeddingDim` above is the retrieval vectors' width.
   */
  ratingModel: Pick<Hyperparameters, 'embeddingDim' | 'hiddenUnits' | 'dropout' | 'loss' | 'biases' | 'dotTerm' | 'features'>;
}

/** Width of the retrieval vectors (implicit ALS): 128 ranked better than 64 on validation (iALS alone NDCG@10 0.2065 against 0.1946). */
const RETRIEVAL_DIM = 128;

/** The retrieval kind's own fields follow its definition (no head, biases or features). */
const RETRIEVAL_ARCHITECTURE = { hiddenUnits: [], dropout: 0, loss: 'mse', biases: false, dotTerm: false, features: null } as const;

function retrievalPreset(hybrid: Hyperparameters): Hyperparameters {
  const { embeddingDim, hiddenUnits, dropout, loss, biases, dotTerm, features } = hybrid;
  return {
    ...hybrid,
    ...RETRIEVAL_ARCHITECTURE,
    hiddenUnits: [],
    kind: 'retrieval',
    embeddingDim: RETRIEVAL_DIM,
    retrieval: { ...DEFAULT_RETRIEVAL_OPTIONS, ratingModel: { embeddingDim, hiddenUnits, dropout, loss, biases, dotTerm, features } },
  };
}

export const DEFAULT_RETRIEVAL_OPTIONS: Omit<RetrievalOptions, 'ratingModel'> = {
  sweeps: 16,
  regularization: 0.005,
  regularizationExponent: 1,
  // α0: the blend's validation NDCG@10 at 128 dimensions was 0.2274 at 1, 0.2314 at 0.3, 0.2334
  // at 0.1 and 0.2338 at 0.05; of the two tied best, 0.1's vectors give the better similar titles
  // (BENCHMARKS.md, Ranking).
  unobservedWeight: 0.1,
  cgSteps: 3,
  neighbours: 300,
  vectorCandidates: 300,
  neighbourCandidates: 200,
  similarityShrinkage: 100,
};

export const PRESETS = ['notebook', 'default'] as const;
export type PresetName = (typeof PRESETS)[number];

const NOTEBOOK_COMMON = {
  embeddingDim: 64,
  learningRate: 0.001,
  learningRateDecay: 1,
  l2Embeddings: 0,
  l2Head: 0,
  batchSize: 64,
  epochs: 10,
  validationSplit: 0.1,
  earlyStoppingPatience: null,
  testFraction: 0.2,
  seed: 42,
  biases: false,
  dotTerm: false,
} as const;

const NOTEBOOK_FEATURES: FeatureOptions = { quantile: true, genres: false, types: false };
const RICH_FEATURES: FeatureOptions = { quantile: true, genres: true, types: true };

/** The notebook's models: embedding 64, Adam defaults, MAE loss, batch 64, 10 epochs. */
function notebook(kind: ModelKind): Hyperparameters {
  const features = kindDefinition(kind).itemFeatures ? NOTEBOOK_FEATURES : null;
  switch (kind) {
    case 'mf':
      return { ...NOTEBOOK_COMMON, kind, hiddenUnits: [], dropout: 0, loss: 'mae', features };
    case 'deep':
      return { ...NOTEBOOK_COMMON, kind, hiddenUnits: [64], dropout: 0.5, loss: 'mae', features };
    case 'hybrid':
      return { ...NOTEBOOK_COMMON, kind, hiddenUnits: [64, 64], dropout: 0.3, loss: 'mae', features };
    case 'hybrid-classifier':
      return { ...NOTEBOOK_COMMON, kind, hiddenUnits: [64, 64], dropout: 0.3, loss: 'crossentropy', features };
    case 'retrieval':
      // Its rating model is the notebook's hybrid.
      return retrievalPreset(notebook('hybrid'));
    default:
      return unreachable(kind);
  }
}

const DEFAULT_COMMON = {
  embeddingDim: 64,
  learningRate: 0.002,
  learningRateDecay: 0.85,
  l2Embeddings: 0.0005,
  l2Head: 0.0001,
  batchSize: 512,
  epochs: 30,
  validationSplit: 0.1,
  earlyStoppingPatience: 2,
  testFraction: 0.2,
  seed: 42,
} as const;

/** Our defaults: what measured best on the shipped sample (BENCHMARKS.md). */
function defaults(kind: ModelKind): Hyperparameters {
  const features = kindDefinition(kind).itemFeatures ? RICH_FEATURES : null;
  switch (kind) {
    case 'mf':
      return { ...DEFAULT_COMMON, kind, hiddenUnits: [], dropout: 0, loss: 'mse', biases: true, dotTerm: false, features };
    case 'deep':
      // Huber: with MSE the deep model lost to the notebook's MAE-trained one on test MAE (0.894 vs 0.886).
      return { ...DEFAULT_COMMON, kind, hiddenUnits: [128], dropout: 0.3, loss: 'huber', biases: true, dotTerm: false, features };
    case 'hybrid':
      // L2 on embeddings chosen by validation loss on the sample among 1e-4, 2e-4 and 5e-4
      // (validation MSE 1.3652, 1.3661, 1.3717). dotTerm: test RMSE 1.161 (vs 1.164) but MAE 0.879 (vs 0.878); off.
      return { ...DEFAULT_COMMON, kind, hiddenUnits: [64, 64], dropout: 0.3, loss: 'mse', biases: true, dotTerm: false, l2Embeddings: 0.0001, features };
    case 'hybrid-classifier':
      return { ...DEFAULT_COMMON, kind, hiddenUnits: [64, 64], dropout: 0.3, loss: 'crossentropy', biases: false, dotTerm: false, features };
    case 'retrieval':
      // Its rating model is our default hybrid.
      return retrievalPreset(defaults('hybrid'));
    default:
      return unreachable(kind);
  }
}

export function presetHyperparameters(kind: ModelKind, preset: PresetName): Hyperparameters {
  return preset === 'notebook' ? notebook(kind) : defaults(kind);
}
