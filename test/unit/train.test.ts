/** trainModel: seeded runs are bit-identical, another seed differs, and the training loss falls. */
import { selectBackend } from '../../src/models/backend';
import type { Model } from '../../src/models/model';
import { splitDataset } from '../../src/trainer/dataset';
import { trainModel } from '../../src/trainer/train';
import { maxAbsDifference } from '../helpers/float-arrays';
import { smallHyperparameters } from '../helpers/random-model';
import { syntheticRatings } from '../helpers/training-data';

beforeAll(async () => {
  await selectBackend('wasm');
});

const synthetic = syntheticRatings({ users: 60, items: 40, rank: 2, density: 0.5, seed: 5 });

describe('seeded training', () => {
  const split = splitDataset(synthetic.ratings.length, { testFraction: 0.2, validationSplit: 0.1, seed: 3 });

  function parameters(model: Model): Float32Array[] {
    return [model.userEmbeddings, model.itemEmbeddings, model.userBias, model.itemBias, ...(model.head?.layers ?? []).flatMap((layer) => [layer.weights, layer.bias])];
  }

  function sameParameters(a: Model, b: Model): boolean {
    const pa = parameters(a);
    const pb = parameters(b);
    return pa.length === pb.length && pa.every((array, k) => Buffer.compare(Buffer.from(array.buffer, array.byteOffset, array.byteLength), Buffer.from(pb[k]!.buffer, pb[k]!.byteOffset, pb[k]!.byteLength)) === 0);
  }

  it.each(['mf', 'hybrid'] as const)('%s: the same seed gives bit-identical embeddings and head weights; another seed does not', async (kind) => {
    const hyper = smallHyperparameters(kind, { seed: 17 });
    const first = await trainModel(synthetic, split, hyper);
    const second = await trainModel(synthetic, split, hyper);
    const other = await trainModel(synthetic, split, { ...hyper, seed: 18 });
    expect(sameParameters(first.model, second.model)).toBe(true);
    expect(second.history.map(({ loss, valLoss }) => [loss, valLoss])).toEqual(first.history.map(({ loss, valLoss }) => [loss, valLoss]));
    expect(sameParameters(first.model, other.model)).toBe(false);
    expect(maxAbsDifference(first.model.userEmbeddings, other.model.userEmbeddings)).toBeGreaterThan(1e-3);
    // And it learned something on the planted structure: training loss goes down.
    expect(first.history.at(-1)!.loss).toBeLessThan(first.history[0]!.loss);
  });
});
