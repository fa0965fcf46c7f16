import fc from 'fast-check';
import { rankingMetrics, regressionMetrics, type RankingInput, type TestRatings } from '../../src/trainer/metrics';
import { mulberry32, shuffleInPlace } from '../../src/trainer/random';

describe('regressionMetrics', () => {
  it.each([
    // errors 1, -2, 0, 3 → |e| sum 6, e² sum 14
    { predicted: [5, 6, 7, 9], actual: [4, 8, 7, 6], mae: 6 / 4, mse: 14 / 4 },
    // errors 0.5, 0.5, -0.5 → |e| sum 1.5, e² sum 0.75
    { predicted: [8.5, 2.5, 6.5], actual: [8, 2, 7], mae: 0.5, mse: 0.25 },
    { predicted: [3, 3, 3], actual: [3, 3, 3], mae: 0, mse: 0 },
  ])('$predicted vs $actual', ({ predicted, actual, mae, mse }) => {
    const expected = { mae, mse, rmse: Math.sqrt(mse), count: predicted.length };
    expect(regressionMetrics(predicted, actual)).toEqual(expected);
    const fromTyped = regressionMetrics(Float32Array.from(predicted), Float32Array.from(actual));
    for (const key of ['mae', 'mse', 'rmse'] as const) expect(fromTyped[key]).toBeCloseTo(expected[key], 6);
    expect(fromTyped.count).toBe(predicted.length);
  });

  it.each([
    { predicted: [1, 2], actual: [1] },
    { predicted: [], actual: [] },
  ])('rejects $predicted vs $actual', ({ predicted, actual }) => {
    expect(() => regressionMetrics(predicted, actual)).toThrow(RangeError);
  });
});

describe('mulberry32 and shuffleInPlace', () => {
  it('repeats a sequence for a seed, in [0, 1)', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const draws = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(draws);
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Array.from({ length: 5 }, mulberry32(124))).not.toEqual(draws.slice(0, 5));
  });

  it('shuffles into a permutation, reproducibly', () => {
    const original = Array.from({ length: 20 }, (_, n) => n);
    const once = shuffleInPlace([...original], mulberry32(5));
    expect(shuffleInPlace([...original], mulberry32(5))).toEqual(once);
    expect(once).not.toEqual(original);
    expect([...once].sort((x, y) => x - y)).toEqual(original);
    expect(Array.from(shuffleInPlace(Int32Array.from(original), mulberry32(5)))).toEqual(once);
  });
});

// 1/log2(r+1) for ranks 1, 2, 3.
const D1 = 1;
const D2 = 1 / Math.log2(3); // ≈ 0.6309298
const D3 = 1 / Math.log2(4); // = 0.5

/** A ranking input whose scorer reads fixed per-user score rows and records which users it scored. */
function toyInput(
  scoresByUser: Record<number, number[]>,
  test: Record<number, [items: number[], ratings: number[]]>,
  train: Record<number, number[]>,
  options: Partial<RankingInput> = {},
): RankingInput & { scored: number[] } {
  const scored: number[] = [];
  const numItems = Object.values(scoresByUser)[0]?.length ?? 1;
  return {
    numItems,
    trainItemsByUser: new Map(Object.entries(train).map(([u, items]) => [Number(u), items])),
    testByUser: new Map(
      Object.entries(test).map(([u, [items, ratings]]): [number, TestRatings] => [Number(u), { items, ratings }]),
    ),
    scoreUser(user, scores) {
      scored.push(user);
      const row = scoresByUser[user];
      if (row === undefined) throw new Error(`no scores for user ${user}`);
      scores.set(row);
    },
    scored,
    ...options,
  };
}

describe('rankingMetrics on a hand-computed toy case', () => {
  // 6 items, k = 3, relevant = test rating >= 8.
  //
  // User 0: trained on items 0 and 1, which score highest (10, 9.5) and would fill the top
  //   without exclusion. Relevant test items {2, 4} (item 5 rated 5 is not relevant).
  //   Candidates 2..5 scored 7, 8, 6, 7: item 3 (8), then the 7-tie between 2 and 5 goes to the
  //   lower index 2, then 5. Top 3 = [3, 2, 5]; one hit (item 2) at rank 2.
  //   DCG = D2; IDCG = D1 + D2 (min(3, 2) = 2 ideal hits); NDCG = D2 / (1 + D2) ≈ 0.386853.
  //   Recall = 1/2.
  // User 1: nothing in training (absent from the map). Relevant {3, 0}.
  //   Scores: item 1 = 5, items 2..5 tied at 4, item 0 = 1. Top 3 = [1, 2, 3] (the tie at the
  //   cut-off keeps lower indices). One hit (item 3) at rank 3.
  //   DCG = D3 = 0.5; IDCG = D1 + D2; NDCG = 0.5 / (1 + D2) ≈ 0.306574. Recall = 1/2.
  // User 2: test rating 7 only → no relevant item → skipped, never scored.
  //
  // Means over 2 users: NDCG = (D2 + 0.5) / (2 (1 + D2)) ≈ 0.346713; recall = 0.5.
  // Coverage: top lists cover {3, 2, 5} ∪ {1, 2, 3} = {1, 2, 3, 5} → 4/6.
  const scoresByUser = {
    0: [10, 9.5, 7, 8, 6, 7],
    1: [1, 5, 4, 4, 4, 4],
    2: [1, 2, 3, 4, 5, 6],
  };
  const test: Record<number, [number[], number[]]> = {
    0: [[2, 4, 5], [9, 8, 5]],
    1: [[3, 0], [8, 10]],
    2: [[1], [7]],
  };
  const train = { 0: [0, 1], 2: [0] };

  it('matches the hand-computed values', async () => {
    const input = toyInput(scoresByUser, test, train, { k: 3 });
    const result = await rankingMetrics(input);
    expect(result.usersEvaluated).toBe(2);
    expect(result.k).toBe(3);
    expect(result.ndcg).toBeCloseTo((D2 + D3) / (2 * (D1 + D2)), 10);
    expect(result.ndcg).toBeCloseTo(0.346713, 6);
    expect(result.recall).toBeCloseTo(0.5, 12);
    expect(result.coverage).toBeCloseTo(4 / 6, 12);
    expect(input.scored).toEqual([0, 1]);
  });

  it.each([
    // Each user alone, to pin the per-user numbers.
    { user: 0, ndcg: D2 / (D1 + D2), coverage: 3 / 6 },
    { user: 1, ndcg: D3 / (D1 + D2), coverage: 3 / 6 },
  ])('user $user alone: NDCG $ndcg', async ({ user, ndcg, coverage }) => {
    const only = { [user]: test[user] as [number[], number[]] };
    const result = await rankingMetrics(toyInput(scoresByUser, only, train, { k: 3 }));
    expect(result).toMatchObject({ usersEvaluated: 1, recall: 0.5, coverage });
    expect(result.ndcg).toBeCloseTo(ndcg, 12);
  });

  it('excludes training items: without them user 0 would list 0 and 1', async () => {
    const withoutExclusion = await rankingMetrics(toyInput(scoresByUser, { 0: test[0] as [number[], number[]] }, {}, { k: 3 }));
    // Top 3 = [0, 1, 3]: no relevant item, and coverage counts items 0, 1, 3.
    expect(withoutExclusion).toMatchObject({ ndcg: 0, recall: 0, coverage: 3 / 6, usersEvaluated: 1 });
  });

  it('lets relevantRating decide which users count', async () => {
    // At 9, only user 0's item 2 (rated 9) and user 1's item 0 (rated 10) are relevant.
    // User 0: hit at rank 2, IDCG = D1 → NDCG = D2, recall 1. User 1: item 0 scores last → 0, 0.
    // At 11 nobody has a relevant item.
    const at9 = await rankingMetrics(toyInput(scoresByUser, test, train, { k: 3, relevantRating: 9 }));
    expect(at9.usersEvaluated).toBe(2);
    expect(at9.ndcg).toBeCloseTo(D2 / 2, 12);
    expect(at9.recall).toBeCloseTo(0.5, 12);
    const at11 = await rankingMetrics(toyInput(scoresByUser, test, train, { k: 3, relevantRating: 11 }));
    expect(at11).toEqual({ ndcg: 0, recall: 0, coverage: 0, usersEvaluated: 0, k: 3 });
  });
});

describe('rankingMetrics edge cases', () => {
  it.each([
    // 4 relevant items, k = 2, both listed items relevant: a perfect list.
    // NDCG = (D1 + D2) / (D1 + D2) = 1 (IDCG uses min(k, 4) = 2 ranks); recall = 2/4, its maximum.
    { k: 2, scores: [9, 8, 7, 6, 1, 1], ndcg: 1, recall: 2 / 4 },
    // Same relevance, k = 2, relevant items at ranks 2 and 3 of the list [4, 0, 1]: only rank 2 counts.
    { k: 2, scores: [8, 7, 6, 5, 9, 1], ndcg: D2 / (D1 + D2), recall: 1 / 4 },
    // k = 6 lists everything: all 4 relevant at ranks 1..4 → NDCG 1, recall 1.
    { k: 6, scores: [9, 8, 7, 6, 1, 1], ndcg: 1, recall: 1 },
    // k larger than the catalog: the list is just shorter.
    { k: 50, scores: [1, 1, 1, 1, 9, 9], ndcg: (D3 + 1 / Math.log2(5) + 1 / Math.log2(6) + 1 / Math.log2(7)) / (D1 + D2 + D3 + 1 / Math.log2(5)), recall: 1 },
  ])('k = $k with 4 relevant items', async ({ k, scores, ndcg, recall }) => {
    const result = await rankingMetrics(toyInput({ 0: scores }, { 0: [[0, 1, 2, 3], [8, 9, 10, 8]] }, {}, { k }));
    expect(result.ndcg).toBeCloseTo(ndcg, 12);
    expect(result.recall).toBeCloseTo(recall, 12);
    expect(result.k).toBe(k);
  });

  it('counts duplicate relevant test items once and a relevant training item as a miss', async () => {
    // Relevant {0, 2}; item 0 is also a training item so it cannot be listed.
    // Top 2 of candidates {1, 2, 3} = [2, 1]: hit at rank 1 → DCG 1, IDCG = D1 + D2, recall 1/2.
    const result = await rankingMetrics(
      toyInput({ 0: [9, 5, 8, 1] }, { 0: [[0, 2, 2], [9, 9, 9]] }, { 0: [0] }, { k: 2 }),
    );
    expect(result.ndcg).toBeCloseTo(1 / (D1 + D2), 12);
    expect(result.recall).toBeCloseTo(0.5, 12);
  });

  it.each([
    // Scores [NaN, 1, NaN, 2] rank as [3, 1, 0, 2]: NaN last, the NaN tie to the lower index.
    { k: 2, relevant: 0, ndcg: 0 },
    { k: 3, relevant: 0, ndcg: D3 / D1 },
    { k: 3, relevant: 1, ndcg: D2 / D1 },
    { k: 3, relevant: 2, ndcg: 0 },
  ])('ranks NaN scores last (k = $k, relevant item $relevant)', async ({ k, relevant, ndcg }) => {
    const result = await rankingMetrics(toyInput({ 0: [NaN, 1, NaN, 2] }, { 0: [[relevant], [10]] }, {}, { k }));
    expect(result.ndcg).toBeCloseTo(ndcg, 12);
    expect(result.recall).toBe(ndcg > 0 ? 1 : 0);
  });

  it.each([
    { name: 'k = 0', options: { k: 0 } },
    { name: 'fractional k', options: { k: 2.5 } },
    { name: 'negative maxUsers', options: { maxUsers: -1 } },
    { name: 'numItems = 0', options: { numItems: 0 } },
  ])('rejects $name', async ({ options }) => {
    await expect(rankingMetrics(toyInput({ 0: [1, 2] }, { 0: [[0], [9]] }, {}, options))).rejects.toThrow(RangeError);
  });

  it.each<{ name: string; test: Record<number, [number[], number[]]>; train: Record<number, number[]> }>([
    { name: 'a test item out of range', test: { 0: [[2], [9]] }, train: {} },
    { name: 'a training item out of range', test: { 0: [[0], [9]] }, train: { 0: [-1] } },
    { name: 'mismatched test arrays', test: { 0: [[0, 1], [9]] }, train: {} },
  ])('rejects $name', async ({ test, train }) => {
    await expect(rankingMetrics(toyInput({ 0: [1, 2] }, test, train))).rejects.toThrow(RangeError);
  });
});

describe('rankingMetrics sampling with maxUsers', () => {
  // 50 users, of which the odd ones have a relevant test item; 30 items with seeded random scores.
  const numItems = 30;
  const scoresByUser: Record<number, number[]> = {};
  const test: Record<number, [number[], number[]]> = {};
  const random = mulberry32(99);
  for (let user = 0; user < 50; user++) {
    scoresByUser[user] = Array.from({ length: numItems }, () => random());
    test[user] = [[user % numItems], [user % 2 === 1 ? 9 : 4]];
  }

  it('is reproducible for a seed and samples only users with relevant items', async () => {
    const first = toyInput(scoresByUser, test, {}, { maxUsers: 10, seed: 42 });
    const second = toyInput(scoresByUser, test, {}, { maxUsers: 10, seed: 42 });
    const a = await rankingMetrics(first);
    expect(await rankingMetrics(second)).toEqual(a);
    expect(a.usersEvaluated).toBe(10);
    expect(second.scored).toEqual(first.scored);
    expect(new Set(first.scored).size).toBe(10);
    expect(first.scored.every((user) => user % 2 === 1)).toBe(true);

    const other = toyInput(scoresByUser, test, {}, { maxUsers: 10, seed: 43 });
    await rankingMetrics(other);
    expect(other.scored).not.toEqual(first.scored);
  });

  it('evaluates every eligible user when maxUsers is at least their number', async () => {
    const all = toyInput(scoresByUser, test, {});
    const capped = toyInput(scoresByUser, test, {}, { maxUsers: 25, seed: 1 });
    expect(await rankingMetrics(capped)).toEqual(await rankingMetrics(all));
    expect(all.scored).toHaveLength(25);
  });

  it('evaluates nobody with maxUsers = 0', async () => {
    expect((await rankingMetrics(toyInput(scoresByUser, test, {}, { maxUsers: 0 }))).usersEvaluated).toBe(0);
  });
});

describe('rankingMetrics against a full-sort reference', () => {
  /** The definitions, written the slow obvious way. */
  function reference(input: RankingInput) {
    const k = input.k ?? 10;
    const relevantRating = input.relevantRating ?? 8;
    const listed = new Set<number>();
    let ndcg = 0;
    let recall = 0;
    let users = 0;
    for (const [user, test] of [...input.testByUser].sort(([a], [b]) => a - b)) {
      const relevant = new Set(Array.from(test.items).filter((_, n) => (test.ratings[n] as number) >= relevantRating));
      if (relevant.size === 0) continue;
      const scores = new Float32Array(input.numItems);
      input.scoreUser(user, scores);
      const train = new Set(Array.from(input.trainItemsByUser.get(user) ?? []));
      const top = Array.from({ length: input.numItems }, (_, item) => item)
        .filter((item) => !train.has(item))
        .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)
        .slice(0, k);
      let dcg = 0;
      let idcg = 0;
      top.forEach((item, index) => {
        listed.add(item);
        if (relevant.has(item)) dcg += 1 / Math.log2(index + 2);
      });
      for (let index = 0; index < Math.min(k, relevant.size); index++) idcg += 1 / Math.log2(index + 2);
      ndcg += dcg / idcg;
      recall += top.filter((item) => relevant.has(item)).length / relevant.size;
      users++;
    }
    return {
      ndcg: users === 0 ? 0 : ndcg / users,
      recall: users === 0 ? 0 : recall / users,
      coverage: listed.size / input.numItems,
      usersEvaluated: users,
      k,
    };
  }

  it('agrees on random inputs with many ties', async () => {
    const userArb = fc.record({
      // Integer scores from a small range force ties everywhere, including at the cut-off.
      scores: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 12, maxLength: 12 }),
      train: fc.uniqueArray(fc.integer({ min: 0, max: 11 }), { maxLength: 6 }),
      test: fc.array(fc.tuple(fc.integer({ min: 0, max: 11 }), fc.integer({ min: 1, max: 10 })), { maxLength: 6 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(userArb, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 14 }), async (users, k) => {
        const input: RankingInput = {
          numItems: 12,
          k,
          trainItemsByUser: new Map(users.map((user, index) => [index, user.train])),
          testByUser: new Map(
            users.map((user, index) => [
              index,
              { items: user.test.map(([item]) => item), ratings: user.test.map(([, rating]) => rating) },
            ]),
          ),
          scoreUser: (user, scores) => scores.set((users[user] as { scores: number[] }).scores),
        };
        const expected = reference(input);
        const actual = await rankingMetrics(input);
        expect(actual.usersEvaluated).toBe(expected.usersEvaluated);
        expect(actual.ndcg).toBeCloseTo(expected.ndcg, 10);
        expect(actual.recall).toBeCloseTo(expected.recall, 10);
        expect(actual.coverage).toBeCloseTo(expected.coverage, 12);
      }),
      { numRuns: 300, seed: 20240601 },
    );
  });

  it('orders a shuffled catalog like a full sort', async () => {
    // 500 items, distinct scores, k = 25: the heap must pick exactly the 25 best.
    const scores = shuffleInPlace(Array.from({ length: 500 }, (_, n) => n / 7), mulberry32(3));
    const relevantItems = Array.from({ length: 40 }, (_, n) => n * 12);
    const input: RankingInput = {
      numItems: 500,
      k: 25,
      trainItemsByUser: new Map([[0, [scores.indexOf(499 / 7)]]]),
      testByUser: new Map([[0, { items: relevantItems, ratings: relevantItems.map(() => 9) }]]),
      scoreUser: (_, buffer) => buffer.set(scores),
    };
    expect(await rankingMetrics(input)).toEqual(reference(input));
  });
});
