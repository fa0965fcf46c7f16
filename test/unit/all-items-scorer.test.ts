/** ItemScorer (every item's rating for one user) against predictRows, for every kind. */
import { ItemScorer } from '../../src/models/all-items-scorer';
import { selectBackend } from '../../src/models/backend';
import { predictRows } from '../../src/models/predict';
import { maxAbsDifference } from '../helpers/float-arrays';
import { scorerCases } from '../helpers/random-model';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('ItemScorer', () => {
  it.each(scorerCases())('%s: scores every item for a user as predictRows does, also after releasing its tensors', (_, model) => {
    const scorer = new ItemScorer(model);
    const dim = model.hyper.embeddingDim;
    const items = Int32Array.from({ length: model.itemIds.length }, (_, item) => item);
    for (const user of [0, 17, model.userIds.length - 1]) {
      const expected = predictRows(model, new Int32Array(items.length).fill(user), items);
      // Not a degenerate comparison: the predictions differ between items.
      expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(0.01);
      const scores = scorer.score(model.userEmbeddings.subarray(user * dim, (user + 1) * dim), model.userBias[user]!);
      expect(maxAbsDifference(scores, expected)).toBeLessThan(1e-4);
      scorer.release();
      expect(maxAbsDifference(scorer.score(model.userEmbeddings.subarray(user * dim, (user + 1) * dim), model.userBias[user]!), expected)).toBeLessThan(1e-4);
    }
    scorer.release();
  });
});

describe('ItemScorer.scoreRows', () => {
  it.each(scorerCases())('%s: scores chosen item rows (unordered, repeated, more than the items) as predictRows does', (_, model) => {
    const scorer = new ItemScorer(model);
    const items = model.itemIds.length;
    const rows = Int32Array.from({ length: items + 7 }, (_, n) => (n * 13 + 5) % items);
    for (const user of [0, model.userIds.length - 1]) {
      const expected = predictRows(model, new Int32Array(rows.length).fill(user), rows);
      expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(0.01);
      expect(maxAbsDifference(scorer.scoreRows(user, rows), expected)).toBeLessThan(1e-4);
      expect(maxAbsDifference(scorer.scoreRows(user, rows.subarray(0, 3)), expected.subarray(0, 3))).toBeLessThan(1e-4);
    }
    expect(scorer.scoreRows(0, new Int32Array(0))).toHaveLength(0);
    scorer.release();
  });
});
