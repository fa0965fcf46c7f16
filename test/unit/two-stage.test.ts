/** The retrieval model (iALS), the two-stage ranking and its blend, on tiny hand-made data. */
import { blendNdcg, fitBlendWeights, idealDcg, type BlendExample } from '../../src/ranking/blend';
import { fitIals, foldInUser, gramian, ialsScorer, type IalsOptions } from '../../src/ranking/ials';
import { buildInteractions } from '../../src/ranking/interactions';
import type { ItemNeighbours } from '../../src/ranking/item-neighbours';
import { DotScanner } from '../../src/ranking/dot-scan';
import { BLEND_FEATURES, blendScores, type HistoryRows, rerank, retrieveCandidates, setPredictedRatings, standardized, type BlendWeights, type TwoStageModel } from '../../src/ranking/two-stage';
import { mulberry32 } from '../../src/trainer/random';

const OPTIONS: IalsOptions = { dim: 4, sweeps: 30, regularization: 0.01, regularizationExponent: 1, unobservedWeight: 0.2, cgSteps: 12, initScale: 0.1, seed: 3 };

/** Two taste groups: users 0-5 like items 0-4, users 6-11 like items 5-9 (each user four of them). */
function twoGroups() {
  const users: number[] = [];
  const items: number[] = [];
  for (let user = 0; user < 12; user++) {
    const base = user < 6 ? 0 : 5;
    for (let n = 0; n < 4; n++) {
      users.push(user);
      items.push(base + ((user + n) % 5));
    }
  }
  return buildInteractions(12, 10, Int32Array.from(users), Int32Array.from(items));
}

describe('implicit ALS', () => {
  it('ranks the unseen items of a user\'s own taste group above the other group\'s', async () => {
    const interactions = twoGroups();
    const scorer = ialsScorer(await fitIals(interactions, OPTIONS));
    const scores = new Float32Array(10);
    for (let user = 0; user < 12; user++) {
      scorer.scoreUser(user, scores);
      const own = user < 6 ? [0, 1, 2, 3, 4] : [5, 6, 7, 8, 9];
      const other = user < 6 ? [5, 6, 7, 8, 9] : [0, 1, 2, 3, 4];
      expect(Math.min(...own.map((item) => scores[item]!))).toBeGreaterThan(Math.max(...other.map((item) => scores[item]!)));
    }
  });

  it('converged conjugate-gradient user vectors equal the closed-form fold-in against the final item vectors', async () => {
    const interactions = twoGroups();
    const model = await fitIals(interactions, { ...OPTIONS, sweeps: 60 });
    const gram = gramian(model.itemVectors, OPTIONS.dim);
    for (let user = 0; user < 12; user++) {
      const items = interactions.userItems.subarray(interactions.userStart[user]!, interactions.userStart[user + 1]!);
      const folded = foldInUser(model, gram, items, OPTIONS);
      for (let a = 0; a < OPTIONS.dim; a++) expect(folded[a]!).toBeCloseTo(model.userVectors[user * OPTIONS.dim + a]!, 2);
    }
  });

  it('gramian is Σ v vᵀ', () => {
    const vectors = Float32Array.from([1, 2, 3, 4]);
    expect(Array.from(gramian(vectors, 2))).toEqual([1 + 9, 2 + 12, 2 + 12, 4 + 16]);
  });
});

/** A random tiny two-stage model of `items` items, with its retrieval item vectors. */
function tinyModel(items: number, dim: number, random: () => number): TwoStageModel & { vectors: Float32Array } {
  const perItem = 3;
  const start = Int32Array.from({ length: items + 1 }, (_, i) => i * perItem);
  const neighbourItems = Int32Array.from({ length: items * perItem }, (_, n) => (Math.floor(n / perItem) + 1 + (n % perItem) * 7) % items);
  const neighbours: ItemNeighbours = { numItems: items, start, items: neighbourItems, weights: Float32Array.from({ length: items * perItem }, () => random() - 0.3) };
  const vectors = Float32Array.from({ length: items * dim }, () => random() - 0.5);
  return {
    vectors,
    itemVectors: new DotScanner(vectors, dim),
    neighbours,
    logPopularity: Float32Array.from({ length: items }, () => Math.log1p(Math.floor(random() * 100))),
    weights: { retrieval: 1, neighbours: 0.7, liked: 0.5, rating: 0.3, popularity: -0.2 },
    vectorCandidates: items,
    neighbourCandidates: items,
  };
}

describe('two-stage ranking', () => {
  const random = mulberry32(11);
  const items = 40;
  const dim = 5;
  const model = tinyModel(items, dim, random);
  const user = Float32Array.from({ length: dim }, () => random() - 0.5);
  const interacted = [2, 7, 19, 23];
  const liked = [7, 23];
  const history: HistoryRows = { interacted, liked };
  const ratings = Float32Array.from({ length: items }, () => 1 + 9 * random());
  const eligible = (row: number) => !interacted.includes(row) && row % 11 !== 0;
  const skipped = Uint8Array.from({ length: items }, (_, row) => (eligible(row) ? 0 : 1));

  /** Every eligible item's blended score computed directly from the definitions. */
  function bruteForce(): number[] {
    const rows = Array.from({ length: items }, (_, row) => row).filter(eligible);
    const features = rows.map((row) => {
      let retrieval = 0;
      for (let a = 0; a < dim; a++) retrieval += user[a]! * model.vectors[row * dim + a]!;
      const neighbourWeight = (sources: number[]) => {
        let sum = 0;
        for (const from of sources) {
          for (let n = model.neighbours.start[from]!; n < model.neighbours.start[from + 1]!; n++) if (model.neighbours.items[n] === row) sum += model.neighbours.weights[n]!;
        }
        return sum;
      };
      return [retrieval, neighbourWeight(interacted), neighbourWeight(liked), ratings[row]!, model.logPopularity[row]!];
    });
    const z = features[0]!.map((_, f) => {
      const values = features.map((row) => row[f]!);
      const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
      const deviation = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
      return values.map((v) => (deviation > 1e-12 ? (v - mean) / deviation : 0));
    });
    const weights = BLEND_FEATURES.map((feature) => model.weights[feature]);
    const scores = rows.map((_, n) => weights.reduce((sum, w, f) => sum + w * z[f]![n]!, 0));
    return rows.map((row, n) => [row, scores[n]!] as const).sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([row]) => row);
  }

  it('with every item a candidate, ranks exactly as the blend computed by brute force over all eligible items', () => {
    const candidates = retrieveCandidates(model, user, history, skipped);
    setPredictedRatings(candidates, Array.from(candidates.rows, (row) => ratings[row]!));
    const top = Array.from(rerank(candidates, model.weights, 10), (position) => candidates.rows[position]!);
    expect(top).toEqual(bruteForce().slice(0, 10));
  });

  it('with few candidates, takes the best by retrieval score and by neighbour score, never an ineligible item', () => {
    const narrow = { ...model, vectorCandidates: 4, neighbourCandidates: 3 };
    const candidates = retrieveCandidates(narrow, user, history, skipped);
    expect(candidates.rows.length).toBeLessThanOrEqual(7);
    expect(Array.from(candidates.rows).every(eligible)).toBe(true);
    const byRetrieval = Array.from({ length: items }, (_, row) => row)
      .filter(eligible)
      .sort((a, b) => {
        const score = (row: number) => user.reduce((sum, u, d) => sum + u * model.vectors[row * dim + d]!, 0);
        return score(b) - score(a);
      })
      .slice(0, 4);
    for (const row of byRetrieval) expect(Array.from(candidates.rows)).toContain(row);
  });

  it('a user without a vector gets candidates by popularity', () => {
    const candidates = retrieveCandidates({ ...model, vectorCandidates: 3 }, null, { interacted: [], liked: [] }, skipped);
    const popular = Array.from({ length: items }, (_, row) => row).filter(eligible).sort((a, b) => model.logPopularity[b]! - model.logPopularity[a]! || a - b).slice(0, 3);
    expect(Array.from(candidates.rows).sort((a, b) => a - b)).toEqual(popular.sort((a, b) => a - b));
  });

  it('standardizes each feature over the candidates: zero mean, unit deviation, a constant feature 0', () => {
    const candidates = { rows: Int32Array.from([0, 1, 2]), features: Float32Array.from([1, 5, 4, 3, 2, 2, 5, 4, 3, 2, 3, 5, 4, 3, 2]) };
    const z = standardized(candidates);
    const column = (f: number) => [0, 1, 2].map((n) => z[n * BLEND_FEATURES.length + f]!);
    expect(column(0).reduce((a, b) => a + b, 0)).toBeCloseTo(0, 6);
    expect(column(1)).toEqual([0, 0, 0]);
    expect(blendScores(z, { retrieval: 1, neighbours: 5, liked: 0, rating: 0, popularity: 0 })[2]!).toBeCloseTo(Math.sqrt(1.5), 5);
  });
});

describe('blend fitting', () => {
  it('finds weights on the feature that tells relevant candidates apart, and never ends below its start', () => {
    const random = mulberry32(5);
    const examples: BlendExample[] = Array.from({ length: 30 }, () => {
      const count = 20;
      const relevant = Uint8Array.from({ length: count }, () => (random() < 0.2 ? 1 : 0));
      // Retrieval is noise; the rating feature is high exactly on relevant candidates.
      const width = BLEND_FEATURES.length;
      const features = new Float32Array(count * width);
      for (let n = 0; n < count; n++) {
        features[n * width + BLEND_FEATURES.indexOf('retrieval')] = random();
        features[n * width + BLEND_FEATURES.indexOf('rating')] = relevant[n]! + 0.1 * random();
      }
      const relevantCount = relevant.reduce((a, b) => a + b, 0);
      return { standardized: standardized({ rows: new Int32Array(count), features }), relevant, idealDcg: idealDcg(relevantCount, 10) };
    });
    const start: BlendWeights = { retrieval: 1, neighbours: 0, liked: 0, rating: 0, popularity: 0 };
    const fitted = fitBlendWeights(examples, 10, start);
    expect(fitted.ndcg).toBeGreaterThan(blendNdcg(examples, start, 10) + 0.1);
    expect(fitted.weights.rating).toBeGreaterThan(1);
    expect(fitted.ndcg).toBeCloseTo(blendNdcg(examples, fitted.weights, 10), 10);
  });
});
