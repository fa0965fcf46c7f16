/**
 * Evaluation metrics for training runs: rating-prediction error and top-k recommendation quality.
 * Pure functions over typed arrays; no database, no tfjs.
 */
import { YieldPoint } from '../yield-point';
import { TopK } from '../ranking/top-k';
import { mulberry32, shuffleInPlace } from './random';

/** Rating-prediction error, in rating units (1-10 scale) except `mse` (squared units). */
export interface RegressionMetrics {
  /** Mean absolute error. */
  mae: number;
  /** Mean squared error. */
  mse: number;
  /** Root mean squared error = sqrt(mse). */
  rmse: number;
  /** Number of (predicted, actual) pairs. */
  count: number;
}

/**
 * MAE, MSE and RMSE of predictions against actual ratings, accumulated in float64.
 *
 * @param predicted predicted ratings, one per pair.
 * @param actual actual ratings, same length and order as `predicted`.
 * @throws RangeError when the lengths differ or there are no pairs.
 */
export function regressionMetrics(
  predicted: Float32Array | number[],
  actual: Float32Array | number[],
): RegressionMetrics {
  const count = predicted.length;
  if (count !== actual.length) {
    throw new RangeError(`regressionMetrics: ${count} predictions but ${actual.length} actual ratings`);
  }
  if (count === 0) throw new RangeError('regressionMetrics: no ratings to evaluate');
  let absSum = 0;
  let sqSum = 0;
  for (let n = 0; n < count; n++) {
    const error = (predicted[n] as number) - (actual[n] as number);
    absSum += Math.abs(error);
    sqSum += error * error;
  }
  const mse = sqSum / count;
  return { mae: absSum / count, mse, rmse: Math.sqrt(mse), count };
}

/** Held-out ratings of one user: parallel arrays, `ratings[n]` belonging to `items[n]`. */
export interface TestRatings {
  items: ArrayLike<number>;
  ratings: ArrayLike<number>;
}

export interface RankingInput {
  /** Items are indices 0..numItems-1. */
  numItems: number;
  /** Items each user rated (or watched) in TRAINING: never recommended to them. */
  trainItemsByUser: ReadonlyMap<number, ArrayLike<number>>;
  /** Held-out test ratings per user. */
  testByUser: ReadonlyMap<number, TestRatings>;
  /** Fills `scores` (length numItems) with the model's predicted rating of every item for the user. */
  scoreUser(userIndex: number, scores: Float32Array): void;
  /** Length of each recommendation list; default 10. */
  k?: number;
  /** A test rating >= this is relevant; default 8. */
  relevantRating?: number;
  /** Evaluate at most this many users (those with >=1 relevant test item), chosen by a seeded shuffle; default all. */
  maxUsers?: number;
  /** Seed of the `maxUsers` sample; default 0. */
  seed?: number;
}

/**
 * Top-k recommendation quality, averaged over evaluated users.
 *
 * For each test user with at least one relevant test item (test rating >= relevantRating):
 * - Candidates are all items NOT in the user's training items. They are ranked by score,
 *   descending, ties broken by the lower item index; NaN scores rank last. The top k form
 *   the list (shorter when fewer than k candidates exist).
 * - Relevance is binary: an item is relevant when it is in the user's test set with a rating
 *   >= relevantRating (duplicates count once). A relevant item that is also a training item
 *   can never be listed, so it counts as a miss; a clean split keeps the two disjoint.
 * - DCG@k = Σ over hits at 1-based rank r of 1/log2(r+1).
 *   IDCG@k = Σ_{r=1..min(k, |relevant|)} 1/log2(r+1), the DCG of a perfect list.
 *   NDCG@k = DCG@k / IDCG@k, in [0, 1].
 * - Recall@k = hits / |relevant| (the standard definition). When |relevant| > k, even a perfect
 *   list reaches only k / |relevant| < 1.
 * Users without relevant test items are skipped: not scored, not counted.
 */
export interface RankingMetrics {
  /** Mean NDCG@k over evaluated users; 0 when none were evaluated. */
  ndcg: number;
  /** Mean Recall@k over evaluated users; 0 when none were evaluated. */
  recall: number;
  /** Distinct items appearing in ANY evaluated user's top k, divided by numItems; in [0, 1]. */
  coverage: number;
  /** Users whose lists were scored (those with relevant test items, capped by maxUsers). */
  usersEvaluated: number;
  /** The k used. */
  k: number;
}

/**
 * Evaluates a scorer as a recommender; see {@link RankingMetrics} for the definitions.
 *
 * Cost: one `scoreUser` call and O(numItems · log k) work per evaluated user, with a bounded
 * min-heap instead of sorting all items, and one scores buffer reused for every user.
 *
 * Yields to the event loop now and then (yield-point.ts): it runs on the server during training.
 *
 * @throws (rejects with) RangeError on a non-positive numItems or k, a negative maxUsers, mismatched test
 *   arrays, or item indices outside 0..numItems-1.
 */
export async function rankingMetrics(input: RankingInput): Promise<RankingMetrics> {
  const { numItems, trainItemsByUser, testByUser, scoreUser } = input;
  const k = input.k ?? 10;
  const relevantRating = input.relevantRating ?? 8;
  if (!Number.isInteger(numItems) || numItems <= 0) {
    throw new RangeError(`rankingMetrics: numItems must be a positive integer, got ${numItems}`);
  }
  if (!Number.isInteger(k) || k <= 0) throw new RangeError(`rankingMetrics: k must be a positive integer, got ${k}`);
  if (input.maxUsers !== undefined && !(Number.isInteger(input.maxUsers) && input.maxUsers >= 0)) {
    throw new RangeError(`rankingMetrics: maxUsers must be a non-negative integer, got ${input.maxUsers}`);
  }

  const users = usersToEvaluate(testByUser, relevantRating, numItems);
  if (input.maxUsers !== undefined && input.maxUsers < users.length) {
    shuffleInPlace(users, mulberry32(input.seed ?? 0));
    users.length = input.maxUsers;
    users.sort((a, b) => a - b); // score in index order: deterministic float sums, friendly to caches
  }

  // 1/log2(r+1) for 1-based rank r = index + 1; prefix sums give IDCG for any |relevant|.
  const discount = new Float64Array(k);
  const idealDcg = new Float64Array(k + 1);
  for (let index = 0; index < k; index++) {
    discount[index] = 1 / Math.log2(index + 2);
    idealDcg[index + 1] = (idealDcg[index] as number) + (discount[index] as number);
  }

  const scores = new Float32Array(numItems);
  // Per-item stamps = evaluated-user ordinal + 1: membership tests without clearing between users.
  const trainStamp = new Uint32Array(numItems);
  const relevantStamp = new Uint32Array(numItems);
  const listed = new Uint8Array(numItems);
  const heap = new TopK(k);
  let ndcgSum = 0;
  let recallSum = 0;
  let coveredItems = 0;

  const yieldPoint = new YieldPoint();
  for (let ordinal = 0; ordinal < users.length; ordinal++) {
    await yieldPoint.pass();
    const user = users[ordinal] as number;
    const stamp = ordinal + 1;
    const test = testByUser.get(user) as TestRatings;
    let relevantCount = 0;
    for (let n = 0; n < test.items.length; n++) {
      const item = test.items[n] as number;
      if ((test.ratings[n] as number) >= relevantRating && relevantStamp[item] !== stamp) {
        relevantStamp[item] = stamp;
        relevantCount++;
      }
    }
    const trainItems = trainItemsByUser.get(user);
    if (trainItems !== undefined) {
      for (let n = 0; n < trainItems.length; n++) {
        trainStamp[checkItem(trainItems[n] as number, numItems, 'training', user)] = stamp;
      }
    }

    scoreUser(user, scores);
    heap.clear();
    for (let item = 0; item < numItems; item++) {
      if (trainStamp[item] !== stamp) heap.offer(item, scores[item] as number);
    }
    const top = heap.drainBestFirst();

    let dcg = 0;
    let hits = 0;
    for (let index = 0; index < top.length; index++) {
      const item = top[index] as number;
      if (listed[item] === 0) {
        listed[item] = 1;
        coveredItems++;
      }
      if (relevantStamp[item] === stamp) {
        dcg += discount[index] as number;
        hits++;
      }
    }
    ndcgSum += dcg / (idealDcg[Math.min(k, relevantCount)] as number);
    recallSum += hits / relevantCount;
  }

  const evaluated = users.length;
  return {
    ndcg: evaluated === 0 ? 0 : ndcgSum / evaluated,
    recall: evaluated === 0 ? 0 : recallSum / evaluated,
    coverage: coveredItems / numItems,
    usersEvaluated: evaluated,
    k,
  };
}

/** Users with at least one relevant test item, ascending, so that sampling ignores map insertion order. */
function usersToEvaluate(
  testByUser: ReadonlyMap<number, TestRatings>,
  relevantRating: number,
  numItems: number,
): number[] {
  const users: number[] = [];
  for (const [user, test] of testByUser) {
    if (test.items.length !== test.ratings.length) {
      throw new RangeError(
        `rankingMetrics: user ${user} has ${test.items.length} test items but ${test.ratings.length} ratings`,
      );
    }
    let relevant = false;
    for (let n = 0; n < test.items.length; n++) {
      checkItem(test.items[n] as number, numItems, 'test', user);
      if ((test.ratings[n] as number) >= relevantRating) relevant = true;
    }
    if (relevant) users.push(user);
  }
  return users.sort((a, b) => a - b);
}

function checkItem(item: number, numItems: number, set: string, user: number): number {
  if (!Number.isInteger(item) || item < 0 || item >= numItems) {
    throw new RangeError(`rankingMetrics: user ${user} has ${set} item ${item} outside 0..${numItems - 1}`);
  }
  return item;
}
