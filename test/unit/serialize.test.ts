/** The head's serialization: a round trip keeps every bit and prediction; damaged bytes are refused. */
import { selectBackend } from '../../src/models/backend';
import { MODEL_KINDS } from '../../src/models/kinds';
import type { Model } from '../../src/models/model';
import { predictRows } from '../../src/models/predict';
import { deserializeHead, ModelFormatError, serializeHead } from '../../src/models/serialize';
import { bits } from '../helpers/float-arrays';
import { smallRandomModel } from '../helpers/random-model';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('serializeHead / deserializeHead', () => {
  /** The Model that serving rebuilds: the deserialized head plus the (separately stored) embeddings and biases. */
  function rebuild(original: Model, bytes: Uint8Array): Model {
    const head = deserializeHead(bytes);
    return {
      hyper: head.hyper,
      userIds: original.userIds,
      itemIds: original.itemIds,
      userEmbeddings: original.userEmbeddings,
      itemEmbeddings: original.itemEmbeddings,
      userBias: original.userBias,
      itemBias: original.itemBias,
      globalMean: head.globalMean,
      head: head.layers.length > 0 ? { layers: head.layers } : null,
      featureSpec: head.featureSpec,
      itemFeatures: head.itemFeatures,
    };
  }

  it.each(MODEL_KINDS)('%s: round trip keeps every weight bit, the hyperparameters and feature spec, and the predictions exactly', (kind) => {
    const model = smallRandomModel(kind);
    const bytes = serializeHead(model);
    // From an unaligned offset inside a larger buffer, as a database driver's Buffer may be.
    const unaligned = new Uint8Array(bytes.length + 3);
    unaligned.set(bytes, 3);
    const head = deserializeHead(unaligned.subarray(3));

    expect(head.hyper).toEqual(model.hyper);
    expect(head.globalMean).toBe(model.globalMean);
    expect(head.featureSpec).toEqual(model.featureSpec);
    expect(head.layers).toHaveLength(model.head?.layers.length ?? 0);
    head.layers.forEach((layer, l) => {
      const original = model.head!.layers[l]!;
      expect({ inputs: layer.inputs, units: layer.units, activation: layer.activation }).toEqual({
        inputs: original.inputs,
        units: original.units,
        activation: original.activation,
      });
      expect(bits(layer.weights)).toEqual(bits(original.weights));
      expect(bits(layer.bias)).toEqual(bits(original.bias));
    });
    expect(bits(head.itemFeatures)).toEqual(bits(model.itemFeatures));

    const users = Int32Array.from({ length: 200 }, (_, k) => (k * 7) % model.userIds.length);
    const items = Int32Array.from({ length: 200 }, (_, k) => (k * 13) % model.itemIds.length);
    const before = predictRows(model, users, items);
    expect(before.every(Number.isFinite)).toBe(true);
    expect(bits(predictRows(rebuild(model, bytes), users, items))).toEqual(bits(before));
  });

  it('rejects a truncated or foreign head with ModelFormatError', () => {
    const bytes = serializeHead(smallRandomModel('hybrid'));
    expect(() => deserializeHead(bytes.subarray(0, bytes.length - 4))).toThrow(ModelFormatError);
    expect(() => deserializeHead(bytes.subarray(0, 2))).toThrow(ModelFormatError);
    const foreign = new Uint8Array(bytes);
    foreign.set(Buffer.from('"format":"other-head/1"'.padEnd(26, ' ')), 5);
    expect(() => deserializeHead(foreign)).toThrow(ModelFormatError);
  });
});
