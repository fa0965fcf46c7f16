/**
 * Non-personalized baselines every trained model must beat: the global mean, and Surprise's
 * BaselineOnly (global mean + user bias + item bias) fitted by alternating least squares.
 */

/** Anything that predicts a rating (1-10 scale) for a (user index, item index) pair. */
export interface RatingPredictor {
  predict(userIndex: number, itemIndex: number): number;
}

/** Predicts the mean training rating for every pair. */
export interface GlobalMeanBaseline extends RatingPredictor {
  /** Mean of the training ratings, in rating units. */
  mean: number;
}

/**
 * The global-mean baseline: predicts the average training rating for every (user, item).
 * @throws RangeError when there are no ratings.
 */
export function globalMeanBaseline(ratings: ArrayLike<number>): GlobalMeanBaseline {
  const mean = meanOf(ratings);
  return { mean, predict: () => mean };
}

/** Training ratings as parallel arrays: rating n is `ratings[n]` by `users[n]` of `items[n]`. */
export interface RatingTriples {
  /** User index of each rating, in 0..numUsers-1. */
  users: Int32Array;
  /** Item index of each rating, in 0..numItems-1. */
  items: Int32Array;
  /** The ratings (1-10 scale). */
  ratings: Float32Array;
  numUsers: number;
  numItems: number;
}

/** Options of {@link fitBaselineOnly}; defaults are Surprise's ALS defaults. */
export interface BaselineOnlyOptions {
  /** ALS rounds (each: all item biases, then all user biases); default 10. */
  epochs?: number;
  /** L2 penalty on user biases (λ3 in Koren 2010); default 15. */
  regUser?: number;
  /** L2 penalty on item biases (λ2 in Koren 2010); default 10. */
  regItem?: number;
  /**
   * What each item's bias shrinks towards instead of 0 (length numItems, rating units): the
   * penalty becomes regItem · Σ (b_i - prior_i)², so b_i = (Σ residuals + regItem · prior_i) /
   * (regItem + n_i), and an item without ratings gets its prior. Default: none (all 0).
   */
  itemPrior?: ArrayLike<number>;
}

/** A fitted BaselineOnly model: r̂(u,i) = mean + userBias[u] + itemBias[i]. */
export interface BaselineOnlyModel extends RatingPredictor {
  /** Global mean of the training ratings. */
  mean: number;
  /** One bias per user index, length numUsers, in rating units. */
  userBias: Float32Array;
  /** One bias per item index, length numItems, in rating units. */
  itemBias: Float32Array;
  /** mean + b_u + b_i; an unknown index (out of range, -1, non-integer) contributes a bias of 0. */
  predict(userIndex: number, itemIndex: number): number;
}

/**
 * Fits the "BaselineOnly" model of the Surprise library by alternating least squares
 * (Koren 2010, "Factor in the neighbors", section 2.1), which minimizes
 *   Σ (r - μ - b_u - b_i)² + regUser · Σ b_u² + regItem · Σ b_i²
 * with μ fixed to the global mean. Starting from zero biases, each epoch sets every item bias to
 * its exact minimizer given the user biases, then every user bias given the new item biases:
 *   b_i = Σ_{u rated i} (r - μ - b_u) / (regItem + n_i)
 *   b_u = Σ_{i rated by u} (r - μ - b_i) / (regUser + n_u)
 * Order: items first, then users, as in Surprise's `baseline_als`
 * (surprise/prediction_algorithms/optimize_baselines.pyx), so results match Surprise's for the
 * same data and options. The objective never increases from one epoch to the next.
 *
 * Sums run in float64; the biases are returned as Float32Array. Cost O(epochs × ratings).
 * A user or item with no ratings keeps a bias of 0.
 *
 * @throws RangeError on mismatched array lengths, no ratings, negative options, or indices out of range.
 */
export function fitBaselineOnly(data: RatingTriples, options: BaselineOnlyOptions = {}): BaselineOnlyModel {
  const { users, items, ratings, numUsers, numItems } = data;
  const { epochs = 10, regUser = 15, regItem = 10, itemPrior } = options;
  const count = ratings.length;
  if (users.length !== count || items.length !== count) {
    throw new RangeError(
      `fitBaselineOnly: ${users.length} users, ${items.length} items and ${count} ratings must have equal lengths`,
    );
  }
  if (!Number.isInteger(epochs) || epochs < 0) throw new RangeError(`fitBaselineOnly: bad epochs ${epochs}`);
  if (!(regUser >= 0) || !(regItem >= 0)) {
    throw new RangeError(`fitBaselineOnly: regularization must be >= 0, got regUser ${regUser}, regItem ${regItem}`);
  }
  if (itemPrior !== undefined && itemPrior.length !== numItems) {
    throw new RangeError(`fitBaselineOnly: itemPrior has ${itemPrior.length} values for ${numItems} items`);
  }
  const mean = meanOf(ratings);

  const userCount = new Int32Array(numUsers);
  const itemCount = new Int32Array(numItems);
  for (let n = 0; n < count; n++) {
    const u = users[n] as number;
    const i = items[n] as number;
    if (u < 0 || u >= numUsers) throw new RangeError(`fitBaselineOnly: rating ${n} has user ${u} outside 0..${numUsers - 1}`);
    if (i < 0 || i >= numItems) throw new RangeError(`fitBaselineOnly: rating ${n} has item ${i} outside 0..${numItems - 1}`);
    userCount[u] = (userCount[u] as number) + 1;
    itemCount[i] = (itemCount[i] as number) + 1;
  }

  const userBias = new Float64Array(numUsers);
  const itemBias = new Float64Array(numItems);
  const userSum = new Float64Array(numUsers);
  const itemSum = new Float64Array(numItems);
  for (let epoch = 0; epoch < epochs; epoch++) {
    itemSum.fill(0);
    for (let n = 0; n < count; n++) {
      const i = items[n] as number;
      itemSum[i] = (itemSum[i] as number) + ((ratings[n] as number) - mean - (userBias[users[n] as number] as number));
    }
    solveBiases(itemBias, itemSum, itemCount, regItem, itemPrior);

    userSum.fill(0);
    for (let n = 0; n < count; n++) {
      const u = users[n] as number;
      userSum[u] = (userSum[u] as number) + ((ratings[n] as number) - mean - (itemBias[items[n] as number] as number));
    }
    solveBiases(userBias, userSum, userCount, regUser);
  }

  const userBias32 = Float32Array.from(userBias);
  const itemBias32 = Float32Array.from(itemBias);
  return {
    mean,
    userBias: userBias32,
    itemBias: itemBias32,
    predict: (userIndex, itemIndex) => mean + biasOf(userBias32, userIndex) + biasOf(itemBias32, itemIndex),
  };
}

/**
 * Predictions of `model` for each (users[n], items[n]) pair.
 * @returns Float32Array of the same length as `users`.
 */
export function predictAll(model: RatingPredictor, users: ArrayLike<number>, items: ArrayLike<number>): Float32Array {
  if (users.length !== items.length) {
    throw new RangeError(`predictAll: ${users.length} users but ${items.length} items`);
  }
  const out = new Float32Array(users.length);
  for (let n = 0; n < users.length; n++) out[n] = model.predict(users[n] as number, items[n] as number);
  return out;
}

/**
 * bias[e] = (sum[e] + reg · prior[e]) / (reg + count[e]), prior 0 when none is given; entities
 * without ratings get their prior (0 without one; also avoids 0/0 when reg is 0).
 */
function solveBiases(bias: Float64Array, sum: Float64Array, count: Int32Array, reg: number, prior?: ArrayLike<number>): void {
  for (let e = 0; e < bias.length; e++) {
    const n = count[e] as number;
    const toward = prior === undefined ? 0 : (prior[e] as number);
    bias[e] = n === 0 ? toward : ((sum[e] as number) + reg * toward) / (reg + n);
  }
}

function biasOf(bias: Float32Array, index: number): number {
  return Number.isInteger(index) && index >= 0 && index < bias.length ? (bias[index] as number) : 0;
}

function meanOf(ratings: ArrayLike<number>): number {
  if (ratings.length === 0) throw new RangeError('baseline: no ratings to fit');
  let sum = 0;
  for (let n = 0; n < ratings.length; n++) sum += ratings[n] as number;
  return sum / ratings.length;
}
