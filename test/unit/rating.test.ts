/** How a rating is assembled: the dot term adds the embeddings' dot product to a regression head's output. */
import { selectBackend } from '../../src/models/backend';
import type { Model } from '../../src/models/model';
import { predictRows } from '../../src/models/predict';
import { deserializeHead, serializeHead } from '../../src/models/serialize';
import { smallRandomModel } from '../helpers/random-model';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('dot term', () => {
  it('adds the embeddings\' dot product to a regression head\'s rating, and survives serialization', () => {
    const withDot = smallRandomModel('hybrid', { dotTerm: true });
    const without: Model = { ...withDot, hyper: { ...withDot.hyper, dotTerm: false } };
    const dim = withDot.hyper.embeddingDim;
    const users = Int32Array.from({ length: 50 }, (_, k) => k % withDot.userIds.length);
    const items = Int32Array.from({ length: 50 }, (_, k) => (k * 3) % withDot.itemIds.length);
    const a = predictRows(withDot, users, items);
    const b = predictRows(without, users, items);
    let compared = 0;
    for (let k = 0; k < users.length; k++) {
      if (a[k]! <= 1 || a[k]! >= 10 || b[k]! <= 1 || b[k]! >= 10) continue; // clipped: not comparable
      let product = 0;
      for (let j = 0; j < dim; j++) product += withDot.userEmbeddings[users[k]! * dim + j]! * withDot.itemEmbeddings[items[k]! * dim + j]!;
      expect(a[k]! - b[k]!).toBeCloseTo(product, 4);
      compared++;
    }
    expect(compared).toBeGreaterThan(20);
    expect(deserializeHead(serializeHead(withDot)).hyper.dotTerm).toBe(true);
  });
});
