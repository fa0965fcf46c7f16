/**
 * A trained (or training) model of any kind: embedding tables, optional biases, the optional
 * dense head and item features. Training (src/trainer) and serving share these functions, so
 * a served prediction is the trained function.
 */
import { featureWidth, type FeatureSpec } from './features';
import type { Hyperparameters } from './hyperparameters';
import { initMlpHead, type MlpHeadWeights } from './dense-head';
import { kindDefinition } from './kinds';

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

/** Width of the head's output layer (0: the kind has no head). */
export function headOutputWidth(hyper: Hyperparameters): number {
  return kindDefinition(hyper.kind).headOutputs;
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
  const outputs = headOutputWidth(hyper);
  const head = outputs === 0 ? null : initMlpHead(headInputWidth(hyper, featureSpec), hyper.hiddenUnits, outputs, random);
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
