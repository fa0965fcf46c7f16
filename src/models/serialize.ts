/**
 * The bytes stored in model_version.head_weights: everything of a model except its user and
 * item embeddings (those live in the vector columns). Layout: a 4-byte little-endian length, a
 * JSON header, then the Float32 arrays it lists, in order, each 4-byte aligned.
 */
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

export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
}

export function serializeHead(model: Model): Uint8Array {
  const layers = model.head?.layers ?? [];
  const arrays = [...layers.flatMap((layer) => [layer.weights, layer.bias]), model.itemFeatures];
  const header: Header = {
    format: FORMAT,
    hyper: model.hyper,
    globalMean: model.globalMean,
    featureSpec: model.featureSpec,
    layers: layers.map(({ inputs, units, activation }) => ({ inputs, units, activation })),
    arrays: arrays.map((array) => array.length),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headerBytes = 4 + Math.ceil(json.length / 4) * 4;
  const out = new Uint8Array(headerBytes + arrays.reduce((sum, array) => sum + array.length * 4, 0));
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  let offset = headerBytes;
  for (const array of arrays) {
    out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset);
    offset += array.byteLength;
  }
  return out;
}

export function deserializeHead(bytes: Uint8Array): ModelHead {
  if (bytes.length < 4) throw new ModelFormatError('model head is truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(0, true);
  let header: Header;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(4, 4 + jsonLength)).toString('utf8')) as Header;
  } catch {
    throw new ModelFormatError('model head has an unreadable header');
  }
  if (header.format !== FORMAT) throw new ModelFormatError(`unknown model head format ${JSON.stringify(header.format)}`);
  let offset = 4 + Math.ceil(jsonLength / 4) * 4;
  const arrays = header.arrays.map((length) => {
    if (offset + length * 4 > bytes.length) throw new ModelFormatError('model head is truncated');
    // Copy into an aligned buffer: the bytes may come from anywhere (e.g. a Buffer pool).
    const array = new Float32Array(length);
    new Uint8Array(array.buffer).set(bytes.subarray(offset, offset + length * 4));
    offset += length * 4;
    return array;
  });
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
