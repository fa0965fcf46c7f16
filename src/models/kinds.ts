/**
 * The model kinds, one definition each: what the rating head outputs, how a rating is
 * assembled from the outputs, the loss, and who trains the kind. Training, fold-in, serving
 * and the GPU paths read these fields and never test a kind's name, so a kind is added here
 * (and its presets in hyperparameters.ts, and its trainer when it has one of its own). The API's
 * ModelKind enum, `modelKinds` and the playground's training form follow this list.
 */
import { InvariantError } from '../errors';
import { RATING_CLASSES } from './rating-scale';

export const MODEL_KINDS = ['mf', 'deep', 'hybrid', 'hybrid-classifier', 'retrieval'] as const;

/** A model kind's name; switch over it exhaustively (see `unreachable`). */
export type ModelKind = (typeof MODEL_KINDS)[number];

export interface ModelKindDefinition {
  /** What the kind is, for people: the API enum value's description. */
  description: string;
  /** Width of the dense rating head's output layer; 0: the kind has no head. */
  headOutputs: number;
  /**
   * How a predicted rating is assembled from the head's outputs:
   * - `regression`: the head's output (0 without a head), plus the global mean and the user and
   *   item biases when the model has them, plus the user·item dot product (see `dotProduct`),
   *   clipped to the rating scale;
   * - `class-expectation`: the expected rating under the softmax of the head's RATING_CLASSES
   *   outputs (the most probable rating is reported beside it);
   * - `score`: the regression sum unclipped, a preference score for ranking rather than a
   *   rating (for kinds fitted to implicit feedback).
   */
  rating: 'regression' | 'class-expectation' | 'score';
  /** Whether the dot product enters the rating: always, when `hyper.dotTerm` is set, or never. */
  dotProduct: 'always' | 'with-dot-term' | 'never';
  /** The training loss: a point loss on the rating (`hyper.loss`: mae, mse, huber), or cross-entropy over the rating classes. */
  loss: 'point' | 'crossentropy';
  /** Whether the model may have a global mean and user and item biases (`hyper.biases`). */
  biases: boolean;
  /** Whether the head reads item metadata (`hyper.features`). */
  itemFeatures: boolean;
  /** Who trains it: the SGD trainer (trainer/train.ts), or a trainer of its own (run-training.ts: OWN_TRAINERS). */
  trainer: 'sgd' | 'own';
}

export const MODEL_KIND_DEFINITIONS: Record<ModelKind, ModelKindDefinition> = {
  /** dot(user, item) (+ biases and a global mean in our defaults) */
  mf: {
    description: 'Matrix factorisation: the dot product of user and item embeddings, plus biases.',
    headOutputs: 0,
    rating: 'regression',
    dotProduct: 'always',
    loss: 'point',
    biases: true,
    itemFeatures: false,
    trainer: 'sgd',
  },
  /** concat(user, item) → dropout → Dense relu → Dense 1 */
  deep: {
    description: 'A dense head over the user and item embeddings.',
    headOutputs: 1,
    rating: 'regression',
    dotProduct: 'with-dot-term',
    loss: 'point',
    biases: true,
    itemFeatures: false,
    trainer: 'sgd',
  },
  /** concat(user, item, item metadata) → Dense 64 relu → Dense 64 relu → Dense 1, dropout 0.3 */
  hybrid: {
    description: 'A dense head over the embeddings and the anime metadata (genres, type, episodes, members).',
    headOutputs: 1,
    rating: 'regression',
    dotProduct: 'with-dot-term',
    loss: 'point',
    biases: true,
    itemFeatures: true,
    trainer: 'sgd',
  },
  /** the hybrid body with a 10-way softmax over the ratings 1..10 */
  'hybrid-classifier': {
    description: 'The hybrid body with the rating predicted as one of the classes 1-10.',
    headOutputs: RATING_CLASSES,
    rating: 'class-expectation',
    dotProduct: 'never',
    loss: 'crossentropy',
    biases: false,
    itemFeatures: true,
    trainer: 'sgd',
  },
  /**
   * implicit-feedback ALS vectors (every rated or watched pair a positive) for retrieval and
   * similar titles; recommendations re-rank its candidates with a hybrid rating model kept in
   * the version's re-ranker (src/ranking/reranker.ts), which also gives predicted ratings.
   */
  retrieval: {
    description: 'Implicit-feedback vectors (implicit ALS) for recommendations and similar titles, re-ranked in two stages with a hybrid rating model.',
    headOutputs: 0,
    rating: 'score',
    dotProduct: 'always',
    loss: 'point',
    biases: false,
    itemFeatures: false,
    trainer: 'own',
  },
};

/** The definition of `kind`. */
export function kindDefinition(kind: ModelKind): ModelKindDefinition {
  return MODEL_KIND_DEFINITIONS[kind];
}

export function isModelKind(value: string): value is ModelKind {
  return (MODEL_KINDS as readonly string[]).includes(value);
}

/** For the compile-time exhaustiveness check in a switch's default branch. */
export function unreachable(value: never): never {
  throw new InvariantError(`unhandled case: ${JSON.stringify(value)}`);
}
