/** The training losses, per prediction, shared by training and fold-in. */
import type { LossName } from './hyperparameters';
import { RATING_CLASSES } from './rating-scale';

/** The losses of a single predicted rating (the regression kinds'). */
export type PointLossName = Exclude<LossName, 'crossentropy'>;

/** Huber's switch from squared to absolute error, in rating points. */
export const HUBER_DELTA = 1;

/** Loss of one prediction (the derivative is pointLossDerivative; no tuple: this runs per sample). */
export function pointLoss(loss: PointLossName, predicted: number, actual: number): number {
  const error = predicted - actual;
  if (loss === 'mae') return Math.abs(error);
  if (loss === 'huber') return Math.abs(error) <= HUBER_DELTA ? 0.5 * error * error : HUBER_DELTA * (Math.abs(error) - 0.5 * HUBER_DELTA);
  return error * error;
}

export function pointLossDerivative(loss: PointLossName, predicted: number, actual: number): number {
  const error = predicted - actual;
  if (loss === 'mae') return Math.sign(error);
  if (loss === 'huber') return Math.max(-HUBER_DELTA, Math.min(HUBER_DELTA, error));
  return 2 * error;
}

/** Softmax cross-entropy of one row of logits; writes dLoss/dLogits (unscaled) into grad. */
export function crossEntropy(logits: ArrayLike<number>, offset: number, rating: number, grad?: Float32Array): number {
  let max = -Infinity;
  for (let c = 0; c < RATING_CLASSES; c++) max = Math.max(max, logits[offset + c]!);
  let total = 0;
  for (let c = 0; c < RATING_CLASSES; c++) total += Math.exp(logits[offset + c]! - max);
  const target = Math.round(rating) - 1;
  if (grad) {
    for (let c = 0; c < RATING_CLASSES; c++) {
      grad[offset + c] = Math.exp(logits[offset + c]! - max) / total - (c === target ? 1 : 0);
    }
  }
  return -(logits[offset + target]! - max - Math.log(total));
}
