/** The stored form of a retrieval version's re-ranker (model_version.reranker). */
import { deserializeReranker, serializeReranker, type Reranker } from '../../src/ranking/reranker';
import type { BlendWeights } from '../../src/ranking/two-stage';
import { randomModel } from '../helpers/random-model';

function reranker(weights: BlendWeights): Reranker {
  const items = 6;
  return {
    ratingModel: randomModel('hybrid', { users: 4, items, hyper: { embeddingDim: 4, hiddenUnits: [8] } }),
    neighbours: { numItems: items, start: Int32Array.from([0, 1, 2, 2, 3, 3, 4]), items: Int32Array.from([1, 0, 5, 2]), weights: Float32Array.from([0.5, 0.25, -0.1, 1]) },
    support: Int32Array.from([3, 1, 4, 1, 5, 9]),
    weights,
    vectorCandidates: 300,
    neighbourCandidates: 200,
    foldIn: { regularization: 0.005, regularizationExponent: 1, unobservedWeight: 0.1 },
    similarityShrinkage: 100,
  };
}

describe('re-ranker format', () => {
  it('reads back what it wrote', () => {
    const written = reranker({ retrieval: 1, neighbours: 0.75, liked: 0.5, rating: 0.25, popularity: -0.5 });
    const read = deserializeReranker(serializeReranker(written));
    expect(read.weights).toEqual(written.weights);
    expect(Array.from(read.neighbours.weights)).toEqual(Array.from(written.neighbours.weights));
    expect(Array.from(read.support)).toEqual(Array.from(written.support));
    expect(Array.from(read.ratingModel.itemEmbeddings)).toEqual(Array.from(written.ratingModel.itemEmbeddings));
    expect(read.similarityShrinkage).toBe(100);
  });

  it('gives a feature that a stored version predates the weight 0, so it ranks as it was fitted', () => {
    const stored = { retrieval: 0.5, neighbours: 1, rating: 0.75, popularity: -0.5 } as unknown as BlendWeights;
    const read = deserializeReranker(serializeReranker(reranker(stored)));
    expect(read.weights).toEqual({ retrieval: 0.5, neighbours: 1, liked: 0, rating: 0.75, popularity: -0.5 });
  });
});
