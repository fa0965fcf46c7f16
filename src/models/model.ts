/**
 * A trained (or training) model of any kind: embedding tables, optional biases, the optional
 * dense head and item features. Training (src/trainer) and serving share these functions, so
 * a served prediction is the trained function.
 */
import { featureWidth, type FeatureSpec } from './features';
import type { Hyperparameters } from './hyperparameters';
import { RATING_CLASSES } from './hyperparameters';
import { headForward, initMlpHead, type MlpHeadWeights } from './dense-head';
import { unreachable } from './kinds';
import { MAX_RATING, MIN_RATING } from '../ingest/records';

export interface Model {
  hyper: Hyperparameters;
  /** Database ids per row. */
  userIds: Int32Array;
  itemIds: Int32Array;
  /** Row-major [users, dim] and [items, dim]. */
  userEmbeddings: Float32Array;
  itemEmbeddings: Float32Array;
  /** Present when hyper.biases. */
  userBias: Float32Array;
  itemBias: Float32Array;
  globalMean: number;
  /** deep / hybrid / classifier only. */
  head: MlpHeadWeights | null;
  /** hybrid kinds only: the fitted spec and the features per item row ([items, width]). */
  featureSpec: FeatureSpec | null;
  itemFeatures: Float32Array;
}

/** Width of the head's input: user and item embeddings, then item features. */
export function headInputWidth(hyper: Hyperparameters, featureSpec: FeatureSpec | null): number {
  return 2 * hyper.embeddingDim + (featureSpec ? featureWidth(featureSpec) : 0);
}

export function headOutputWidth(hyper: Hyperparameters): number {
  return hyper.kind === 'hybrid-classifier' ? RATING_CLASSES : 1;
}

/** A fresh model: small random embeddings (Keras' uniform ±0.05), Glorot head, zero biases. */
export function initModel(
  hyper: Hyperparameters,
  ids: { users: Int32Array; items: Int32Array },
  globalMean: number,
  featureSpec: FeatureSpec | null,
  itemFeatures: Float32Array,
  random: () => number,
): Model {
  const dim = hyper.embeddingDim;
  const uniform = (length: number) => {
    const out = new Float32Array(length);
    for (let j = 0; j < length; j++) out[j] = (random() * 2 - 1) * 0.05;
    return out;
  };
  const head =
    hyper.kind === 'mf' ? null : initMlpHead(headInputWidth(hyper, featureSpec), hyper.hiddenUnits, headOutputWidth(hyper), random);
  return {
    hyper,
    userIds: ids.users,
    itemIds: ids.items,
    userEmbeddings: uniform(ids.users.length * dim),
    itemEmbeddings: uniform(ids.items.length * dim),
    userBias: new Float32Array(ids.users.length),
    itemBias: new Float32Array(ids.items.length),
    globalMean: hyper.biases ? globalMean : 0,
    head,
    featureSpec,
    itemFeatures,
  };
}

/** Fills row `sample` of the head input x with the user and item vectors and item features. */
export function writeHeadInput(model: Model, x: Float32Array, sample: number, userRow: number, itemRow: number): void {
  const dim = model.hyper.embeddingDim;
  const width = model.featureSpec ? featureWidth(model.featureSpec) : 0;
  const base = sample * (2 * dim + width);
  x.set(model.userEmbeddings.subarray(userRow * dim, (userRow + 1) * dim), base);
  x.set(model.itemEmbeddings.subarray(itemRow * dim, (itemRow + 1) * dim), base + dim);
  if (width > 0) x.set(model.itemFeatures.subarray(itemRow * width, (itemRow + 1) * width), base + 2 * dim);
}

/** Whether the model adds the embeddings' dot product to its head's output (see Hyperparameters.dotTerm). */
export function hasDotTerm(hyper: Hyperparameters): boolean {
  return hyper.dotTerm === true && hyper.kind !== 'mf' && hyper.kind !== 'hybrid-classifier';
}

/** The classifier's predicted rating: the expected value Σ p·r (argmax+1 is reported apart). */
export function expectedRating(logits: Float32Array, offset: number): number {
  let max = -Infinity;
  for (let c = 0; c < RATING_CLASSES; c++) max = Math.max(max, logits[offset + c]!);
  let total = 0;
  let weighted = 0;
  for (let c = 0; c < RATING_CLASSES; c++) {
    const p = Math.exp(logits[offset + c]! - max);
    total += p;
    weighted += p * (c + 1);
  }
  return weighted / total;
}

/** The notebook's classifier prediction: the most probable rating. */
export function argmaxRating(logits: Float32Array, offset: number): number {
  let best = 0;
  for (let c = 1; c < RATING_CLASSES; c++) if (logits[offset + c]! > logits[offset + best]!) best = c;
  return best + 1;
}

export function dot(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, dim: number): number {
  let sum = 0;
  for (let j = 0; j < dim; j++) sum += a[aOffset + j]! * b[bOffset + j]!;
  return sum;
}

const PREDICT_CHUNK = 8192;

/** Regression outputs are clipped to the rating scale, as Surprise and most recommenders do. */
export function clipRating(rating: number): number {
  return rating < MIN_RATING ? MIN_RATING : rating > MAX_RATING ? MAX_RATING : rating;
}

/**
 * A predicted rating of item `itemRow` for a user given by its vector (at `userOffset` in
 * `user`) and bias, from the head's raw output (0 for mf): global mean and biases when the model
 * has them, the embeddings' dot product for mf and a head with the dot term, clipped to 1..10.
 * Every regression path assembles its ratings here (CPU, GPU, all-items scoring, folded-in users).
 */
export function ratingOf(model: Model, user: Float32Array, userOffset: number, userBias: number, itemRow: number, headOutput: number): number {
  const { hyper } = model;
  const dim = hyper.embeddingDim;
  let rating = headOutput;
  if (hyper.biases) rating += model.globalMean + userBias + model.itemBias[itemRow]!;
  if (hyper.kind === 'mf' || hasDotTerm(hyper)) rating += dot(user, userOffset, model.itemEmbeddings, itemRow * dim, dim);
  return clipRating(rating);
}

/** `ratingOf` for a user row of the model. */
export function rowRating(model: Model, userRow: number, itemRow: number, headOutput: number): number {
  return ratingOf(model, model.userEmbeddings, userRow * model.hyper.embeddingDim, model.userBias[userRow]!, itemRow, headOutput);
}

/**
 * Predicted ratings for pairs of rows (userRows[k], itemRows[k]), within 1..10. For the
 * classifier, the expected rating; `classifierArgmax` receives the argmax+1 predictions.
 */
export function predictRows(
  model: Model,
  userRows: Int32Array,
  itemRows: Int32Array,
  out: Float32Array = new Float32Array(userRows.length),
  classifierArgmax?: Float32Array,
): Float32Array {
  const { hyper } = model;
  switch (hyper.kind) {
    case 'mf':
      for (let k = 0; k < userRows.length; k++) out[k] = rowRating(model, userRows[k]!, itemRows[k]!, 0);
      return out;
    case 'deep':
    case 'hybrid':
    case 'hybrid-classifier': {
      const head = model.head!;
      const width = headInputWidth(hyper, model.featureSpec);
      for (let start = 0; start < userRows.length; start += PREDICT_CHUNK) {
        const count = Math.min(PREDICT_CHUNK, userRows.length - start);
        const x = new Float32Array(count * width);
        for (let k = 0; k < count; k++) writeHeadInput(model, x, k, userRows[start + k]!, itemRows[start + k]!);
        const outputs = headForward(head, x, count);
        for (let k = 0; k < count; k++) {
          if (hyper.kind === 'hybrid-classifier') {
            out[start + k] = expectedRating(outputs, k * RATING_CLASSES);
            if (classifierArgmax) classifierArgmax[start + k] = argmaxRating(outputs, k * RATING_CLASSES);
          } else {
            out[start + k] = rowRating(model, userRows[start + k]!, itemRows[start + k]!, outputs[k]!);
          }
        }
      }
      return out;
    }
    default:
      return unreachable(hyper.kind);
  }
}
