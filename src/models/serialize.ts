/**
 * The bytes stored in model_version.head_weights: everything of a model except its user and
 * item embeddings (those live in the vector columns), in the packed-arrays layout: per layer
 * weights and bias, then the item features, all Float32.
 */
import { packArrays, unpackArrays } from './packed-arrays';

export { ModelFormatError } from './packed-arrays';
import type { FeatureSpec } from './features';
import type { Hyperparameters } from './hyperparameters';
import type { DenseLayer } from './dense-head';
import type { Model } from './model';

const FORMAT = 'animerec-head/1';

interface Header {
  format: typeof FORMAT;
  hyper: Hyperparameters;
  globalMean: number;
  featureSpec: FeatureSpec | null;
  layers: { inputs: number; units: number; activation: DenseLayer['activation'] }[];
  /** Lengths of the Float32 arrays that follow: per layer weights and bias, then item features. */
  arrays: number[];
}

/** The part of a model that is not embeddings. */
export interface ModelHead {
  hyper: Hyperparameters;
  globalMean: number;
  featureSpec: FeatureSpec | null;
  layers: DenseLayer[];
  /** Item features per item row of the trained model ([items, width]); empty without features. */
  itemFeatures: Float32Array;
}

export function serializeHead(model: Model): Uint8Array {
  const layers = model.head?.layers ?? [];
  const header: Omit<Header, 'arrays'> = {
    format: FORMAT,
    hyper: model.hyper,
    globalMean: model.globalMean,
    featureSpec: model.featureSpec,
    layers: layers.map(({ inputs, units, activation }) => ({ inputs, units, activation })),
  };
  return packArrays(header, [...layers.flatMap((layer) => [layer.weights, layer.bias]), model.itemFeatures]);
}

export function deserializeHead(bytes: Uint8Array): ModelHead {
  const { header, buffers } = unpackArrays<Header>(bytes, FORMAT, 'model head');
  const arrays = buffers.map((buffer) => new Float32Array(buffer));
  const layers = header.layers.map((layer, l) => ({ ...layer, weights: arrays[2 * l]!, bias: arrays[2 * l + 1]! }));
  return {
    // Versions from before dotTerm existed had none.
    hyper: { ...header.hyper, dotTerm: header.hyper.dotTerm ?? false },
    globalMean: header.globalMean,
    featureSpec: header.featureSpec,
    layers,
    itemFeatures: arrays[arrays.length - 1]!,
  };
}

/** Learned rows of one side of a model: database ids, row-major vectors [ids, dim], one bias per row. */
export interface EmbeddingRows {
  ids: Int32Array;
  vectors: Float32Array;
  biases: Float32Array;
}

/** A whole model from its stored head and its user and item embeddings (wherever each was stored). */
export function modelFromHead(head: ModelHead, users: EmbeddingRows, items: EmbeddingRows): Model {
  return {
    hyper: head.hyper,
    userIds: users.ids,
    itemIds: items.ids,
    userEmbeddings: users.vectors,
    itemEmbeddings: items.vectors,
    userBias: users.biases,
    itemBias: items.biases,
    globalMean: head.globalMean,
    head: head.layers.length > 0 ? { layers: head.layers } : null,
    featureSpec: head.featureSpec,
    itemFeatures: head.itemFeatures,
  };
}
