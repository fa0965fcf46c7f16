/**
 * npm run bench:accuracy-probes [-- --epochs N]
 *
 * How far classic collaborative filtering gets on the shipped sample's seeded split, outside
 * our neural models: the evidence behind issue 3's "best model RMSE <= 1.10, MAE <= 0.83" being
 * out of reach (BENCHMARKS.md, Training). Plain Float32Array loops, no database, no tfjs:
 * - biased matrix factorization by per-sample SGD (Funk SVD), on the training part and refitted
 *   on training + validation;
 * - SVD++ (Koren 2008): the user vector plus |N(u)|^-1/2 Σ y_j over the anime the user rated in
 *   training or watched without rating (the source's -1 rows; never test items);
 * - item-based kNN on BaselineOnly residuals (Surprise's KNNBaseline with a shrunk
 *   residual-cosine similarity);
 * - user-based kNN on the same residuals (the user-side twin);
 * - BaselineOnly whose item biases shrink towards the MyAnimeList community score of anime.csv
 *   (a prior from outside the ratings, strongest for rarely rated anime);
 * - least-squares blends, fitted on validation: MF + item kNN, and all of the above; then the
 *   same blend weights over each model refitted on training + validation (the usual last step of
 *   a blend, whose weights cannot be fitted on data the models were trained on).
 * The split is the trainer's (`splitDataset`, seed 42, ratings ordered by user then anime, as
 * `loadRatingsDataset` reads them), so test figures compare with the trainer's table.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { fitBaselineOnly, type RatingTriples } from '../src/trainer/baselines';
import { kaggleFormat } from '../src/ingest/formats/kaggle';
import { readTable } from '../src/ingest/read-table';
import { splitDataset } from '../src/trainer/dataset';
import { mulberry32, shuffleInPlace } from '../src/trainer/random';
import { runBenchmark } from './lifecycle';
import { projectPath } from '../src/paths';

const SAMPLE = projectPath('data', 'rating_sample_5000users.csv.gz');
const ANIME = projectPath('data', 'anime.csv.gz');

interface Data {
  users: Int32Array;
  items: Int32Array;
  ratings: Float32Array;
  numUsers: number;
  numItems: number;
  /** Per user row: item rows watched without a rating. */
  watched: number[][];
  /** Per item row: the community score of anime.csv (MyAnimeList's mean, 1–10), NaN when empty. */
  communityScore: Float32Array;
}

async function readCommunityScores(): Promise<Map<number, number>> {
  const scores = new Map<number, number>();
  const table = readTable(ANIME, (line) => kaggleFormat.animeTable(line), {
    onInvalidRow: (error) => {
      throw error;
    },
  });
  for await (const batch of table) for (const { record } of batch) if (record.communityRating !== null) scores.set(record.id, record.communityRating);
  return scores;
}

function loadSample(communityScores: Map<number, number>): Data {
  const explicit: [number, number, number][] = [];
  const watchedPairs: [number, number][] = [];
  for (const line of gunzipSync(readFileSync(SAMPLE)).toString('utf8').split(/\r?\n/).slice(1)) {
    if (line === '') continue;
    const [user, anime, rating] = line.split(',').map(Number) as [number, number, number];
    if (rating === -1) watchedPairs.push([user, anime]);
    else explicit.push([user, anime, rating]);
  }
  explicit.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const userRow = new Map([...new Set(explicit.map((r) => r[0]))].sort((a, b) => a - b).map((id, row) => [id, row]));
  const itemRow = new Map([...new Set(explicit.map((r) => r[1]))].sort((a, b) => a - b).map((id, row) => [id, row]));
  const watched: number[][] = Array.from({ length: userRow.size }, () => []);
  for (const [user, anime] of watchedPairs) {
    const u = userRow.get(user);
    const i = itemRow.get(anime);
    if (u !== undefined && i !== undefined) watched[u]!.push(i);
  }
  return {
    users: Int32Array.from(explicit, (r) => userRow.get(r[0])!),
    items: Int32Array.from(explicit, (r) => itemRow.get(r[1])!),
    ratings: Float32Array.from(explicit, (r) => r[2]),
    numUsers: userRow.size,
    numItems: itemRow.size,
    watched,
    communityScore: Float32Array.from([...itemRow.keys()], (anime) => communityScores.get(anime) ?? Number.NaN),
  };
}

type Predictor = (user: number, item: number) => number;

function errors(data: Data, indices: Int32Array, predict: Predictor): { rmse: number; mae: number; predictions: Float64Array } {
  const predictions = new Float64Array(indices.length);
  let squared = 0;
  let absolute = 0;
  indices.forEach((index, k) => {
    const p = Math.min(10, Math.max(1, predict(data.users[index]!, data.items[index]!)));
    predictions[k] = p;
    const e = p - data.ratings[index]!;
    squared += e * e;
    absolute += Math.abs(e);
  });
  return { rmse: Math.sqrt(squared / indices.length), mae: absolute / indices.length, predictions };
}

interface MfOptions {
  dim: number;
  epochs: number;
  learningRate: number;
  decay: number;
  reg: number;
  regBias: number;
  /** SVD++'s implicit term over rated-in-training and watched anime. */
  implicit: boolean;
}

/** Biased MF (or SVD++) by SGD, one user's ratings at a time so the implicit sum is shared. */
function trainMf(data: Data, train: Int32Array, options: MfOptions): Predictor {
  const { dim, reg, regBias, implicit } = options;
  const random = mulberry32(1);
  const init = () => (random() - 0.5) * 0.1;
  const p = Float32Array.from({ length: data.numUsers * dim }, init);
  const q = Float32Array.from({ length: data.numItems * dim }, init);
  const y = new Float32Array(data.numItems * dim);
  const userBias = new Float32Array(data.numUsers);
  const itemBias = new Float32Array(data.numItems);
  let mean = 0;
  for (const index of train) mean += data.ratings[index]!;
  mean /= train.length;
  const byUser: number[][] = Array.from({ length: data.numUsers }, () => []);
  for (const index of train) byUser[data.users[index]!]!.push(index);
  const implicitItems = byUser.map((indices, user) => (implicit ? [...indices.map((index) => data.items[index]!), ...data.watched[user]!] : []));
  const z = new Float32Array(dim);
  const zGradient = new Float32Array(dim);

  /** p_u plus the normalized implicit sum into `out`; returns the normalization. */
  const userVector = (user: number, out: Float32Array): number => {
    out.set(p.subarray(user * dim, (user + 1) * dim));
    const seen = implicitItems[user]!;
    if (seen.length === 0) return 0;
    const norm = 1 / Math.sqrt(seen.length);
    for (const item of seen) for (let f = 0; f < dim; f++) out[f] = out[f]! + norm * y[item * dim + f]!;
    return norm;
  };

  const order = Int32Array.from({ length: data.numUsers }, (_, k) => k);
  let rate = options.learningRate;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    shuffleInPlace(order, random);
    for (const user of order) {
      const indices = byUser[user]!;
      if (indices.length === 0) continue;
      shuffleInPlace(indices, random);
      const norm = userVector(user, z);
      zGradient.fill(0);
      for (const index of indices) {
        const item = data.items[index]!;
        let prediction = mean + userBias[user]! + itemBias[item]!;
        for (let f = 0; f < dim; f++) prediction += z[f]! * q[item * dim + f]!;
        const e = data.ratings[index]! - prediction;
        userBias[user] = userBias[user]! + rate * (e - regBias * userBias[user]!);
        itemBias[item] = itemBias[item]! + rate * (e - regBias * itemBias[item]!);
        for (let f = 0; f < dim; f++) {
          const qf = q[item * dim + f]!;
          const pf = p[user * dim + f]!;
          q[item * dim + f] = qf + rate * (e * z[f]! - reg * qf);
          const step = rate * (e * qf - reg * pf);
          p[user * dim + f] = pf + step;
          z[f] = z[f]! + step;
          zGradient[f] = zGradient[f]! + e * qf;
        }
      }
      // The implicit vectors move once per user, by the user's averaged error signal.
      const scale = (rate * norm) / indices.length;
      for (const item of implicitItems[user]!) {
        for (let f = 0; f < dim; f++) y[item * dim + f] = y[item * dim + f]! + scale * zGradient[f]! - rate * reg * 0.1 * y[item * dim + f]!;
      }
    }
    rate *= options.decay;
  }
  const vectors = new Float32Array(data.numUsers * dim);
  const vector = new Float32Array(dim);
  for (let user = 0; user < data.numUsers; user++) {
    userVector(user, vector);
    vectors.set(vector, user * dim);
  }
  return (user, item) => {
    let prediction = mean + userBias[user]! + itemBias[item]!;
    for (let f = 0; f < dim; f++) prediction += vectors[user * dim + f]! * q[item * dim + f]!;
    return prediction;
  };
}

/**
 * KNNBaseline (Surprise): BaselineOnly plus the shrunk-similarity-weighted baseline residuals of
 * the k most similar neighbours. Item-based: neighbours are the items the user rated, similar
 * to the item; user-based: the users who rated the item, similar to the user.
 */
function trainKnn(data: Data, train: Int32Array, side: 'item' | 'user', k: number, shrink: number): Predictor {
  const picked = triplesOf(data, train);
  const baseline = fitBaselineOnly(picked);
  // Entities are what similarities are between; groups are what they are co-rated in.
  const [entities, groups, entityOf, groupOf] =
    side === 'item' ? [data.numItems, data.numUsers, picked.items, picked.users] : [data.numUsers, data.numItems, picked.users, picked.items];
  const byGroup: { entity: number; residual: number }[][] = Array.from({ length: groups }, () => []);
  picked.ratings.forEach((rating, n) => byGroup[groupOf[n]!]!.push({ entity: entityOf[n]!, residual: rating - baseline.predict(picked.users[n]!, picked.items[n]!) }));
  // Dense entity × entity sums (items: 7,157² ≈ 51M cells, ~700 MB): co-rated residual products and norms.
  const cells = entities * entities;
  const products = new Float32Array(cells);
  const normsA = new Float32Array(cells);
  const normsB = new Float32Array(cells);
  const counts = new Uint16Array(cells);
  for (const rated of byGroup) {
    for (const a of rated) {
      const row = a.entity * entities;
      for (const b of rated) {
        const cell = row + b.entity;
        products[cell] = products[cell]! + a.residual * b.residual;
        normsA[cell] = normsA[cell]! + a.residual * a.residual;
        normsB[cell] = normsB[cell]! + b.residual * b.residual;
        counts[cell] = Math.min(65535, counts[cell]! + 1);
      }
    }
  }
  const similarity = products;
  for (let cell = 0; cell < cells; cell++) {
    const norm = Math.sqrt(normsA[cell]! * normsB[cell]!);
    const count = counts[cell]!;
    similarity[cell] = norm > 0 && count > 1 ? (products[cell]! / norm) * ((count - 1) / (count - 1 + shrink)) : 0;
  }
  // For a prediction of (user, item): the entity asked about and the group whose members are candidates.
  return (user, item) => {
    const [entity, group] = side === 'item' ? [item, user] : [user, item];
    const neighbours = byGroup[group]!.map(({ entity: other, residual }) => ({ weight: similarity[entity * entities + other]!, residual })).filter((n) => n.weight > 0);
    neighbours.sort((a, b) => b.weight - a.weight);
    let sum = 0;
    let weights = 0;
    for (const { weight, residual } of neighbours.slice(0, k)) {
      sum += weight * residual;
      weights += weight;
    }
    return baseline.predict(user, item) + (weights > 0 ? sum / weights : 0);
  };
}

/** BaselineOnly whose item biases shrink towards the community score minus the mean (0 where anime.csv has none). */
function trainCommunityBaseline(data: Data, train: Int32Array, regItem: number): Predictor {
  const picked = triplesOf(data, train);
  const mean = picked.ratings.reduce((sum, rating) => sum + rating, 0) / picked.ratings.length;
  const itemPrior = Float64Array.from(data.communityScore, (score) => (Number.isNaN(score) ? 0 : score - mean));
  return fitBaselineOnly(picked, { regItem, itemPrior }).predict;
}

/** The ratings at `indices` as fitBaselineOnly takes them. */
function triplesOf(data: Data, indices: Int32Array): RatingTriples {
  return {
    users: Int32Array.from(indices, (index) => data.users[index]!),
    items: Int32Array.from(indices, (index) => data.items[index]!),
    ratings: Float32Array.from(indices, (index) => data.ratings[index]!),
    numUsers: data.numUsers,
    numItems: data.numItems,
  };
}

/** Least squares y ≈ w0 + Σ w_m x_m (normal equations, Gauss–Jordan with pivoting). */
function fitBlend(columns: Float64Array[], targets: Float32Array): Float64Array {
  const size = columns.length + 1;
  const a = Array.from({ length: size }, () => new Float64Array(size + 1));
  const row = new Float64Array(size);
  for (let n = 0; n < targets.length; n++) {
    row[0] = 1;
    columns.forEach((column, m) => (row[m + 1] = column[n]!));
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) a[i]![j] = a[i]![j]! + row[i]! * row[j]!;
      a[i]![size] = a[i]![size]! + row[i]! * targets[n]!;
    }
  }
  for (let i = 0; i < size; i++) {
    let pivot = i;
    for (let r = i + 1; r < size; r++) if (Math.abs(a[r]![i]!) > Math.abs(a[pivot]![i]!)) pivot = r;
    [a[i], a[pivot]] = [a[pivot]!, a[i]!];
    for (let r = 0; r < size; r++) {
      if (r === i) continue;
      const factor = a[r]![i]! / a[i]![i]!;
      for (let c = i; c <= size; c++) a[r]![c] = a[r]![c]! - factor * a[i]![c]!;
    }
  }
  return Float64Array.from({ length: size }, (_, i) => a[i]![size]! / a[i]![i]!);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { epochs: { type: 'string', default: '38' } } });
  const epochs = Number(values.epochs);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a whole number >= 1, got "${values.epochs}"`);
  const data = loadSample(await readCommunityScores());
  const split = splitDataset(data.ratings.length, { testFraction: 0.2, validationSplit: 0.1, seed: 42 });
  const trainAll = Int32Array.from([...split.train, ...split.validation]);
  const mfOptions: MfOptions = { dim: 64, epochs, learningRate: 0.01, decay: 0.96, reg: 0.05, regBias: 0.01, implicit: false };
  const rows: { name: string; rmse: number; mae: number; seconds: number }[] = [];
  const timed = <T>(fn: () => T): [T, number] => {
    const started = performance.now();
    const result = fn();
    return [result, (performance.now() - started) / 1000];
  };
  const record = (name: string, predict: Predictor, seconds: number) => {
    const test = errors(data, split.test, predict);
    rows.push({ name, rmse: test.rmse, mae: test.mae, seconds });
    process.stderr.write(`${name}: test RMSE ${test.rmse.toFixed(4)}, MAE ${test.mae.toFixed(4)} (${seconds.toFixed(1)} s)\n`);
    return predict;
  };

  // The models of the blend, each trainable on any part of the split.
  const models: { name: string; label: string; train: (part: Int32Array) => Predictor }[] = [
    { name: 'MF', label: `biased MF (SGD, dim 64, ${epochs} epochs)`, train: (part) => trainMf(data, part, mfOptions) },
    { name: 'SVD++', label: 'SVD++ (implicit: rated in training + watched)', train: (part) => trainMf(data, part, { ...mfOptions, implicit: true }) },
    { name: 'item kNN', label: 'item kNN on BaselineOnly residuals (k 40, shrink 300)', train: (part) => trainKnn(data, part, 'item', 40, 300) },
    { name: 'user kNN', label: 'user kNN on BaselineOnly residuals (k 40, shrink 100)', train: (part) => trainKnn(data, part, 'user', 40, 100) },
    { name: 'community baseline', label: 'BaselineOnly, item biases shrunk towards the community score (reg 25)', train: (part) => trainCommunityBaseline(data, part, 25) },
  ];
  const onTrain = models.map((model) => {
    const [predict, seconds] = timed(() => model.train(split.train));
    record(`${model.label}, training part`, predict, seconds);
    return { predict, seconds };
  });
  const [refitMf, refitSeconds] = timed(() => models[0]!.train(trainAll));
  record('biased MF refitted on training + validation', refitMf, refitSeconds);

  const clip = (value: number) => Math.min(10, Math.max(1, value));
  const validationTargets = Float32Array.from(split.validation, (index) => data.ratings[index]!);
  const blendOf = (predictors: Predictor[], weights: Float64Array): Predictor => (user, item) =>
    predictors.reduce((sum, predict, m) => sum + weights[m + 1]! * clip(predict(user, item)), weights[0]!);
  const fitOn = (picked: number[]) => fitBlend(picked.map((m) => errors(data, split.validation, onTrain[m]!.predict).predictions), validationTargets);
  const secondsOf = (picked: number[]) => picked.reduce((sum, m) => sum + onTrain[m]!.seconds, 0);

  const pair = [0, 2];
  const [pairWeights, pairSeconds] = timed(() => fitOn(pair));
  record('blend of MF and item kNN (least squares on validation)', blendOf(pair.map((m) => onTrain[m]!.predict), pairWeights), pairSeconds + secondsOf(pair));
  const all = models.map((_, m) => m);
  const [allWeights, allSeconds] = timed(() => fitOn(all));
  process.stderr.write(`blend weights (intercept, ${models.map((m) => m.name).join(', ')}): ${[...allWeights].map((w) => w.toFixed(3)).join(', ')}\n`);
  record(`blend of all ${models.length} (least squares on validation)`, blendOf(all.map((m) => onTrain[m]!.predict), allWeights), allSeconds + secondsOf(all));
  const [refitted, refittedSeconds] = timed(() => [refitMf, ...models.slice(1).map((model) => model.train(trainAll))]);
  record(`the same blend, each of the ${models.length} refitted on training + validation`, blendOf(refitted, allWeights), refitSeconds + refittedSeconds + allSeconds);

  console.log(`Shipped sample, seeded split (seed 42): ${split.train.length} train / ${split.validation.length} validation / ${split.test.length} test ratings.\n`);
  console.log('| Probe | Test RMSE | Test MAE | Seconds |');
  console.log('|---|---:|---:|---:|');
  for (const row of rows) console.log(`| ${row.name} | ${row.rmse.toFixed(4)} | ${row.mae.toFixed(4)} | ${row.seconds.toFixed(1)} |`);
  console.log('\nGoal for the best model: RMSE <= 1.10 and MAE <= 0.83.');
}

runBenchmark(main);
