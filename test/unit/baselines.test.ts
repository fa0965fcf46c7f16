import {
  fitBaselineOnly,
  globalMeanBaseline,
  predictAll,
  type BaselineOnlyModel,
  type RatingTriples,
} from '../../src/trainer/baselines';
import { regressionMetrics } from '../../src/trainer/metrics';
import { mulberry32 } from '../../src/trainer/random';

describe('globalMeanBaseline', () => {
  it('predicts the mean rating for every pair', () => {
    const baseline = globalMeanBaseline(Float32Array.of(1, 2, 3, 10));
    expect(baseline.mean).toBe(4);
    expect([baseline.predict(0, 0), baseline.predict(99, -1)]).toEqual([4, 4]);
  });

  it('rejects no ratings', () => {
    expect(() => globalMeanBaseline([])).toThrow(RangeError);
  });
});

/**
 * Toy data: 3 users (user 2 rated nothing), 4 items (item 3 rated by nobody).
 *   user 0: item 0 → 10, item 1 → 8
 *   user 1: item 0 → 6,  item 2 → 4
 * μ = (10 + 8 + 6 + 4) / 4 = 7; residuals r - μ: (0,0) +3, (0,1) +1, (1,0) -1, (1,2) -3.
 */
const toy: RatingTriples = {
  users: Int32Array.of(0, 0, 1, 1),
  items: Int32Array.of(0, 1, 0, 2),
  ratings: Float32Array.of(10, 8, 6, 4),
  numUsers: 3,
  numItems: 4,
};

describe('fitBaselineOnly on hand-computed toy data', () => {
  it.each([
    {
      // Epoch 1, items first with b_u = 0:
      //   b_i0 = (3 + -1) / (1 + 2) = 2/3;  b_i1 = 1 / (1 + 1) = 1/2;  b_i2 = -3 / (1 + 1) = -3/2
      // then users with those item biases:
      //   b_u0 = ((3 - 2/3) + (1 - 1/2)) / (1 + 2) = (7/3 + 1/2) / 3 = (17/6) / 3 = 17/18
      //   b_u1 = ((-1 - 2/3) + (-3 + 3/2)) / (1 + 2) = (-5/3 - 3/2) / 3 = (-19/6) / 3 = -19/18
      name: '1 epoch, regUser = regItem = 1',
      options: { epochs: 1, regUser: 1, regItem: 1 },
      userBias: [17 / 18, -19 / 18, 0],
      itemBias: [2 / 3, 1 / 2, -3 / 2, 0],
    },
    {
      // Epoch 2, items against the epoch-1 user biases (17/18, -19/18):
      //   b_i0 = ((3 - 17/18) + (-1 + 19/18)) / 3 = (37/18 + 1/18) / 3 = 19/27
      //   b_i1 = (1 - 17/18) / 2 = 1/36;  b_i2 = (-3 + 19/18) / 2 = -35/36
      // then users:
      //   b_u0 = ((3 - 19/27) + (1 - 1/36)) / 3 = (248/108 + 105/108) / 3 = 353/324
      //   b_u1 = ((-1 - 19/27) + (-3 + 35/36)) / 3 = (-184/108 - 219/108) / 3 = -403/324
      name: '2 epochs, regUser = regItem = 1',
      options: { epochs: 2, regUser: 1, regItem: 1 },
      userBias: [353 / 324, -403 / 324, 0],
      itemBias: [19 / 27, 1 / 36, -35 / 36, 0],
    },
    {
      // Surprise's defaults (regItem 10, regUser 15), 1 epoch:
      //   b_i0 = 2 / (10 + 2) = 1/6;  b_i1 = 1 / 11;  b_i2 = -3 / 11
      //   b_u0 = ((3 - 1/6) + (1 - 1/11)) / (15 + 2) = (187/66 + 60/66) / 17 = 247/1122
      //   b_u1 = ((-1 - 1/6) + (-3 + 3/11)) / 17 = (-77/66 - 180/66) / 17 = -257/1122
      name: '1 epoch, default regularization',
      options: { epochs: 1 },
      userBias: [247 / 1122, -257 / 1122, 0],
      itemBias: [1 / 6, 1 / 11, -3 / 11, 0],
    },
    {
      // An item prior [1, 0, 0, 2], regUser = regItem = 1, 1 epoch:
      //   b_i0 = (2 + 1·1) / (1 + 2) = 1;  b_i1 = 1/2;  b_i2 = -3/2;  b_i3 (no ratings) = its prior, 2
      //   b_u0 = ((3 - 1) + (1 - 1/2)) / 3 = 5/6;  b_u1 = ((-1 - 1) + (-3 + 3/2)) / 3 = -7/6
      name: '1 epoch, item biases shrunk towards a prior',
      options: { epochs: 1, regUser: 1, regItem: 1, itemPrior: [1, 0, 0, 2] },
      userBias: [5 / 6, -7 / 6, 0],
      itemBias: [1, 1 / 2, -3 / 2, 2],
    },
    {
      name: '0 epochs: biases stay at zero',
      options: { epochs: 0 },
      userBias: [0, 0, 0],
      itemBias: [0, 0, 0, 0],
    },
  ])('$name', ({ options, userBias, itemBias }) => {
    const model = fitBaselineOnly(toy, options);
    expect(model.mean).toBe(7);
    expect(model.userBias).toBeInstanceOf(Float32Array);
    expect(model.itemBias).toBeInstanceOf(Float32Array);
    expect(model.userBias).toHaveLength(3);
    expect(model.itemBias).toHaveLength(4);
    userBias.forEach((bias, u) => expect(model.userBias[u]).toBeCloseTo(bias, 6));
    itemBias.forEach((bias, i) => expect(model.itemBias[i]).toBeCloseTo(bias, 6));
    expect(model.predict(0, 2)).toBeCloseTo(7 + (userBias[0] as number) + (itemBias[2] as number), 6);
  });

  describe('unknown indices contribute a bias of 0', () => {
    const model = fitBaselineOnly(toy, { epochs: 1, regUser: 1, regItem: 1 });
    it.each([
      // Unknown users fall back to μ + b_i.
      { user: -1, item: 0, expected: 7 + 2 / 3 },
      { user: 3, item: 2, expected: 7 - 3 / 2 },
      { user: 0.5, item: 1, expected: 7 + 1 / 2 },
      // A known user without ratings has b_u = 0: the same fallback.
      { user: 2, item: 0, expected: 7 + 2 / 3 },
      // Unknown items fall back to μ + b_u.
      { user: 0, item: -1, expected: 7 + 17 / 18 },
      { user: 1, item: 4, expected: 7 - 19 / 18 },
      // Both unknown: μ.
      { user: -1, item: -1, expected: 7 },
    ])('predict($user, $item) = $expected', ({ user, item, expected }) => {
      expect(model.predict(user, item)).toBeCloseTo(expected, 6);
    });
  });

  it.each([
    { name: 'mismatched lengths', data: { ...toy, items: Int32Array.of(0, 1, 0) }, options: {} },
    { name: 'no ratings', data: { ...toy, users: new Int32Array(0), items: new Int32Array(0), ratings: new Float32Array(0) }, options: {} },
    { name: 'a user out of range', data: { ...toy, users: Int32Array.of(0, 0, 1, 3) }, options: {} },
    { name: 'an item out of range', data: { ...toy, items: Int32Array.of(0, 1, -1, 2) }, options: {} },
    { name: 'negative epochs', data: toy, options: { epochs: -1 } },
    { name: 'negative regularization', data: toy, options: { regUser: -1 } },
    { name: 'an item prior of the wrong length', data: toy, options: { itemPrior: [0, 0, 0] } },
  ])('rejects $name', ({ data, options }) => {
    expect(() => fitBaselineOnly(data, options)).toThrow(RangeError);
  });
});

describe('fitBaselineOnly on synthetic data', () => {
  // 300 users × 150 items, ~4,300 ratings = clamp(round(6.5 + true b_u + true b_i + noise), 1, 10),
  // with per-user rating counts skewed like real data.
  const numUsers = 300;
  const numItems = 150;
  const random = mulberry32(2024);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const trueUser = Array.from({ length: numUsers }, () => 1.2 * normal());
  const trueItem = Array.from({ length: numItems }, () => 1.0 * normal());
  const users: number[] = [];
  const items: number[] = [];
  const ratings: number[] = [];
  for (let u = 0; u < numUsers; u++) {
    const seen = new Set<number>();
    const count = 2 + Math.floor(38 * random() ** 2);
    while (seen.size < count) seen.add(Math.floor(random() * numItems));
    for (const i of seen) {
      const rating = Math.round(6.5 + (trueUser[u] as number) + (trueItem[i] as number) + 0.8 * normal());
      users.push(u);
      items.push(i);
      ratings.push(Math.min(10, Math.max(1, rating)));
    }
  }
  const data: RatingTriples = {
    users: Int32Array.from(users),
    items: Int32Array.from(items),
    ratings: Float32Array.from(ratings),
    numUsers,
    numItems,
  };
  const trainingRmse = (model: { predict(u: number, i: number): number }) =>
    regressionMetrics(predictAll(model, data.users, data.items), data.ratings).rmse;

  /** The objective ALS minimizes: squared error plus the L2 penalties (Surprise defaults). */
  function objective(model: BaselineOnlyModel): number {
    let loss = 0;
    for (let n = 0; n < data.ratings.length; n++) {
      const error = (data.ratings[n] as number) - model.predict(data.users[n] as number, data.items[n] as number);
      loss += error * error;
    }
    for (const b of model.userBias) loss += 15 * b * b;
    for (const b of model.itemBias) loss += 10 * b * b;
    return loss;
  }

  it('lowers training RMSE below the global mean, more with more epochs', () => {
    const globalRmse = trainingRmse(globalMeanBaseline(data.ratings));
    const rmse = [1, 3, 10].map((epochs) => trainingRmse(fitBaselineOnly(data, { epochs })));
    expect(rmse[0]).toBeLessThan(globalRmse);
    expect(rmse[1]).toBeLessThan(rmse[0] as number);
    expect(rmse[2]).toBeLessThan(rmse[1] as number);
  });

  it('never increases the regularized objective from one epoch to the next', () => {
    const losses = Array.from({ length: 11 }, (_, epochs) => objective(fitBaselineOnly(data, { epochs })));
    for (let epoch = 1; epoch < losses.length; epoch++) {
      // Slack for the float32 rounding of the returned biases.
      expect(losses[epoch]).toBeLessThanOrEqual((losses[epoch - 1] as number) * (1 + 1e-6));
    }
    expect(losses[10]).toBeLessThan(losses[0] as number);
  });

  it('recovers the direction of the true biases', () => {
    const model = fitBaselineOnly(data);
    expect(correlation(Array.from(model.itemBias), trueItem)).toBeGreaterThan(0.8);
    expect(correlation(Array.from(model.userBias), trueUser)).toBeGreaterThan(0.8);
  });
});

function correlation(a: number[], b: number[]): number {
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  a.forEach((x, n) => {
    const y = b[n] as number;
    ab += (x - ma) * (y - mb);
    aa += (x - ma) ** 2;
    bb += (y - mb) ** 2;
  });
  return ab / Math.sqrt(aa * bb);
}
