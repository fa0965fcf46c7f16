import { CoOccurrence, itemGram } from '../../src/ranking/co-occurrence';
import { fitEase, topNeighbours } from '../../src/ranking/ease';
import { buildInteractions, type Interactions } from '../../src/ranking/interactions';
import { fitItemKnn, itemKnnNeighbours } from '../../src/ranking/item-knn';
import { neighboursOf } from '../../src/ranking/item-neighbours';
import { fitPopularity } from '../../src/ranking/popularity';
import { invertSpd } from '../../src/ranking/spd-inverse';
import { mulberry32 } from '../../src/trainer/random';

/** Interactions from one item list per user. */
function fromLists(numItems: number, lists: number[][]): Interactions {
  const users = lists.flatMap((items, user) => items.map(() => user));
  return buildInteractions(lists.length, numItems, Int32Array.from(users), Int32Array.from(lists.flat()));
}

function randomInteractions(seed: number, numUsers: number, numItems: number, density: number): Interactions {
  const random = mulberry32(seed);
  const lists = Array.from({ length: numUsers }, () => Array.from({ length: numItems }, (_, item) => item).filter(() => random() < density));
  return fromLists(numItems, lists);
}

function scoresOf(scorer: { scoreUser(user: number, scores: Float32Array): void }, user: number, numItems: number): number[] {
  const scores = new Float32Array(numItems);
  scorer.scoreUser(user, scores);
  return Array.from(scores);
}

/** Straightforward Float64 Gauss-Jordan on [M | I] with partial pivoting: the reference inverse. */
function referenceInverse(matrix: ArrayLike<number>, n: number): Float64Array {
  const augmented = Array.from({ length: n }, (_, i) => Array.from({ length: 2 * n }, (_, j) => (j < n ? matrix[i * n + j]! : j - n === i ? 1 : 0)));
  for (let column = 0; column < n; column++) {
    let pivotRow = column;
    for (let r = column + 1; r < n; r++) if (Math.abs(augmented[r]![column]!) > Math.abs(augmented[pivotRow]![column]!)) pivotRow = r;
    [augmented[column], augmented[pivotRow]] = [augmented[pivotRow]!, augmented[column]!];
    const pivot = augmented[column]![column]!;
    augmented[column] = augmented[column]!.map((value) => value / pivot);
    for (let r = 0; r < n; r++) {
      if (r === column) continue;
      const factor = augmented[r]![column]!;
      augmented[r] = augmented[r]!.map((value, j) => value - factor * augmented[column]![j]!);
    }
  }
  return Float64Array.from(augmented.flatMap((row) => row.slice(n)));
}

/** A random SPD matrix AᵀA + n·I, row-major. */
function randomSpd(seed: number, n: number): Float32Array {
  const random = mulberry32(seed);
  const a = Array.from({ length: n * n }, () => random() * 2 - 1);
  const spd = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = i === j ? n : 0;
      for (let k = 0; k < n; k++) sum += a[k * n + i]! * a[k * n + j]!;
      spd[i * n + j] = sum;
    }
  }
  return spd;
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let n = 0; n < a.length; n++) worst = Math.max(worst, Math.abs(a[n]! - b[n]!));
  return worst;
}

// Users × items (4 × 4):   u0 {0, 1}   u1 {0, 1, 2}   u2 {1, 2}   u3 {0, 3}
// Supports 3, 3, 2, 1. Co-occurrence: (0,1) = 2, (0,2) = 1, (0,3) = 1, (1,2) = 2, (1,3) = (2,3) = 0.
const FOUR_BY_FOUR = fromLists(4, [[0, 1], [0, 1, 2], [1, 2], [0, 3]]);
const COSINE_01 = 2 / 3;
const COSINE_02 = 1 / Math.sqrt(6);
const COSINE_03 = 1 / Math.sqrt(3);
const COSINE_12 = 2 / Math.sqrt(6);

describe('popularity', () => {
  it('scores every item by its number of users, the same for every user', () => {
    const popularity = fitPopularity(FOUR_BY_FOUR);
    expect(Array.from(popularity.scores)).toEqual([3, 3, 2, 1]);
    expect(scoresOf(popularity, 0, 4)).toEqual([3, 3, 2, 1]);
    expect(scoresOf(popularity, 3, 4)).toEqual([3, 3, 2, 1]);
  });
});

describe('co-occurrence', () => {
  it('itemGram equals XᵀX computed densely', () => {
    const interactions = randomInteractions(7, 30, 12, 0.3);
    const dense = new Float32Array(12 * 12);
    for (let u = 0; u < 30; u++) {
      const items = interactions.userItems.subarray(interactions.userStart[u]!, interactions.userStart[u + 1]!);
      for (const i of items) for (const j of items) dense[i * 12 + j]!++;
    }
    expect(Array.from(itemGram(interactions))).toEqual(Array.from(dense));
  });

  it('clears the previous row before computing the next', () => {
    const coOccurrence = new CoOccurrence(FOUR_BY_FOUR);
    coOccurrence.row(0);
    const row = coOccurrence.row(3);
    expect(Array.from(row.counts)).toEqual([1, 0, 0, 1]);
    expect(Array.from(row.touched.subarray(0, row.touchedCount)).sort()).toEqual([0, 3]);
  });
});

describe('item-kNN', () => {
  it('keeps the cosine neighbours of each item, best first, never the item itself', () => {
    const neighbours = itemKnnNeighbours(FOUR_BY_FOUR);
    const expected: Array<Array<[number, number]>> = [
      [[1, COSINE_01], [3, COSINE_03], [2, COSINE_02]],
      [[2, COSINE_12], [0, COSINE_01]],
      [[1, COSINE_12], [0, COSINE_02]],
      [[0, COSINE_03]],
    ];
    expected.forEach((row, item) => {
      const { items, weights } = neighboursOf(neighbours, item);
      expect(Array.from(items)).toEqual(row.map(([other]) => other));
      row.forEach(([, cosine], n) => expect(weights[n]).toBeCloseTo(cosine, 6));
    });
  });

  it('scores an item by the summed cosines from the user’s items', () => {
    const scores = scoresOf(fitItemKnn(FOUR_BY_FOUR), 2, 4); // u2 has items 1 and 2
    const expected = [COSINE_01 + COSINE_02, COSINE_12, COSINE_12, 0];
    expected.forEach((score, item) => expect(scores[item]).toBeCloseTo(score, 6));
  });

  it('keeps only the top N neighbours per item', () => {
    const neighbours = itemKnnNeighbours(FOUR_BY_FOUR, { neighbours: 1 });
    expect(Array.from(neighbours.items)).toEqual([1, 2, 1, 0]);
    // u3 has items 0 and 3: item 0 votes only for 1 now, item 3 for 0.
    const scores = scoresOf(fitItemKnn(FOUR_BY_FOUR, { neighbours: 1 }), 3, 4);
    [COSINE_03, COSINE_01, 0, 0].forEach((score, item) => expect(scores[item]).toBeCloseTo(score, 6));
  });
});

describe('EASE', () => {
  it('matches the closed form on two items: B_ij = G_ij / (G_ii + λ)', async () => {
    // u0 {0, 1}, u1 {0}, u2 {0}: G = [[3, 1], [1, 1]]; λ = 1 gives B_01 = 1/4, B_10 = 1/2.
    const ease = await fitEase(fromLists(2, [[0, 1], [0], [0]]), { lambda: 1 });
    [0, 0.25, 0.5, 0].forEach((weight, n) => expect(ease.weights[n]).toBeCloseTo(weight, 6));
    [0.5, 0.25].forEach((score, item) => expect(scoresOf(ease, 0, 2)[item]).toBeCloseTo(score, 6));
    [0, 0.25].forEach((score, item) => expect(scoresOf(ease, 1, 2)[item]).toBeCloseTo(score, 6));
  });

  it.each([1, 8, 13, 64])('matches B = I − P·diagMat(1/diag(P)) from a Float64 inverse (leaf size %i)', async (leafSize) => {
    const interactions = randomInteractions(11, 80, 40, 0.2);
    const lambda = 5;
    const gram = itemGram(interactions);
    const shifted = Array.from(gram, (value, index) => (index % 41 === 0 ? value + lambda : value));
    const p = referenceInverse(shifted, 40);
    const expected = Array.from(p, (value, index) => (index % 41 === 0 ? 0 : -value / p[(index % 40) * 41]!));
    const ease = await fitEase(interactions, { lambda, gram, leafSize });
    expect(maxAbsDifference(ease.weights, expected)).toBeLessThan(1e-5);
    for (let i = 0; i < 40; i++) expect(ease.weights[i * 41]).toBe(0);
  });

  it.each([
    { keep: 'largest' as const, label: 'largest values', rank: (weight: number) => weight },
    { keep: 'magnitude' as const, label: 'largest magnitudes', rank: Math.abs },
  ])('sparsifies B to the $label of each row, ordered by weight', async ({ keep, rank }) => {
    const ease = await fitEase(randomInteractions(3, 60, 30, 0.25), { lambda: 2 });
    const neighbours = topNeighbours(ease, 5, { keep });
    for (let item = 0; item < 30; item++) {
      const { items, weights } = neighboursOf(neighbours, item);
      const row = Array.from(ease.weights.subarray(item * 30, (item + 1) * 30));
      const expected = row
        .map((weight, other) => ({ weight, other }))
        .filter(({ other }) => other !== item)
        .sort((a, b) => rank(b.weight) - rank(a.weight))
        .slice(0, 5)
        .sort((a, b) => b.weight - a.weight);
      expect(Array.from(items)).toEqual(expected.map(({ other }) => other));
      expect(Array.from(weights)).toEqual(expected.map(({ weight }) => weight));
    }
  });

  it('keeps negative weights when they are among the largest in magnitude', async () => {
    const ease = await fitEase(randomInteractions(3, 60, 30, 0.25), { lambda: 2 });
    expect(Math.min(...Array.from(topNeighbours(ease, 5).weights))).toBeLessThan(0);
    expect(Math.min(...Array.from(topNeighbours(ease, 5, { keep: 'largest' }).weights))).toBeGreaterThan(0);
  });

  it('rejects a non-positive λ', async () => {
    await expect(fitEase(FOUR_BY_FOUR, { lambda: 0 })).rejects.toThrow(RangeError);
  });
});

describe('invertSpd', () => {
  it.each([
    { leafSize: 8, label: 'tfjs products over JS leaves' },
    { leafSize: 7, label: 'uneven splits' },
    { leafSize: 8, panelColumns: 7, label: 'products by column panels' },
    { leafSize: 60, label: 'one JS leaf' },
  ])('matches a Float64 Gauss-Jordan inverse of a random 60 × 60 SPD matrix ($label)', async ({ leafSize, panelColumns }) => {
    const matrix = randomSpd(5, 60);
    const expected = referenceInverse(matrix, 60);
    const scale = Math.max(...Array.from(expected, Math.abs));
    const inverse = await invertSpd(matrix, 60, { leafSize, panelColumns });
    expect(maxAbsDifference(inverse, expected) / scale).toBeLessThan(1e-5);
  });

  it('rejects a matrix that is not positive definite', async () => {
    await expect(invertSpd(Float32Array.from([0, 1, 1, 0]), 2)).rejects.toThrow(/not positive definite/);
  });
});
