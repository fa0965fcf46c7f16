/**
 * How a model's outputs become a predicted rating, by its kind's definition (kinds.ts):
 * training's losses, fold-in, serving and the GPU paths all assemble ratings here, so a served
 * score is the trained function.
 */
import type { Hyperparameters } from './hyperparameters';
import { kindDefinition } from './kinds';
import type { Model } from './model';
import { MAX_RATING, MIN_RATING, RATING_CLASSES } from './rating-scale';

export function dot(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, dim: number): number {
  let sum = 0;
  for (let j = 0; j < dim; j++) sum += a[aOffset + j]! * b[bOffset + j]!;
  return sum;
}

/** Regression outputs are clipped to the rating scale, as Surprise and most recommenders do. */
export function clipRating(rating: number): number {
  return rating < MIN_RATING ? MIN_RATING : rating > MAX_RATING ? MAX_RATING : rating;
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

/** Whether the model adds the user·item dot product to its rating (see ModelKindDefinition.dotProduct). */
export function addsDotProduct(hyper: Hyperparameters): boolean {
  const { dotProduct } = kindDefinition(hyper.kind);
  return dotProduct === 'always' || (dotProduct === 'with-dot-term' && hyper.dotTerm === true);
}

/**
 * The regression kinds' rating before clipping, what their point losses see: the head's output
 * (0 without a head), plus the global mean and the user and item biases when the model has
 * them, plus the dot product when the kind adds it. The user is given by its vector (at
 * `userOffset` in `user`) and bias, so a folded-in user needs no row in the model.
 */
export function unclippedRating(model: Model, user: Float32Array, userOffset: number, userBias: number, itemRow: number, headOutput: number): number {
  const { hyper } = model;
  const dim = hyper.embeddingDim;
  let rating = headOutput;
  if (hyper.biases) rating += model.globalMean + userBias + model.itemBias[itemRow]!;
  if (addsDotProduct(hyper)) rating += dot(user, userOffset, model.itemEmbeddings, itemRow * dim, dim);
  return rating;
}

/**
 * The predicted rating of item `itemRow` for a user given by its vector and bias, from row `k`
 * of the head's outputs (`outputs` is null for a kind without a head), as the kind's `rating`
 * says. Every path assembles its ratings here (CPU, GPU, all-items scoring, folded-in users).
 */
export function ratingOf(
  model: Model,
  outputs: Float32Array | null,
  k: number,
  user: Float32Array,
  userOffset: number,
  userBias: number,
  itemRow: number,
): number {
  const definition = kindDefinition(model.hyper.kind);
  if (definition.rating === 'class-expectation') return expectedRating(outputs!, k * definition.headOutputs);
  const sum = unclippedRating(model, user, userOffset, userBias, itemRow, outputs === null ? 0 : outputs[k]!);
  return definition.rating === 'score' ? sum : clipRating(sum);
}

/** `ratingOf` for a user row of the model. */
export function rowRating(model: Model, outputs: Float32Array | null, k: number, userRow: number, itemRow: number): number {
  return ratingOf(model, outputs, k, model.userEmbeddings, userRow * model.hyper.embeddingDim, model.userBias[userRow]!, itemRow);
}

/** A rating model's prediction for a user it knows nothing of: the global mean plus the item's bias. */
export function baselineRating(model: Model, itemRow: number): number {
  return clipRating(model.globalMean + (model.hyper.biases ? model.itemBias[itemRow]! : 0));
}
