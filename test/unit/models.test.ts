/**
 * The model building blocks against independent references: LazyAdam / DenseAdam against
 * tfjs' own Adam, the hand-written head backpropagation against tfjs autodiff, the head's
 * serialization round trip, seeded training reproducibility and the quantile scaler.
 */
import * as tf from '@tensorflow/tfjs';
import { DenseAdam, LazyAdam } from '../../src/models/adam';
import { selectBackend } from '../../src/models/backend';
import { fitFeatureSpec, fitQuantileScaler, itemFeatures, quantileTransform } from '../../src/models/features';
import { presetHyperparameters, type Hyperparameters } from '../../src/models/hyperparameters';
import { MODEL_KINDS, type ModelKind } from '../../src/models/kinds';
import { headForward, initMlpHead, type MlpHeadWeights } from '../../src/models/dense-head';
import { ItemScorer } from '../../src/models/all-items-scorer';
import { ScoringPool, ScoringThread } from '../../src/models/scoring-thread';
import { type Model } from '../../src/models/model';
import { deserializeHead, ModelFormatError, serializeHead } from '../../src/models/serialize';
import { SparseRowGradients } from '../../src/models/sparse-rows';
import { splitDataset } from '../../src/trainer/dataset';
import { mulberry32 } from '../../src/trainer/random';
import { trainModel } from '../../src/trainer/train';
import { syntheticRatings } from '../helpers/training-data';
import { randomModel as randomTrainedLooking } from '../helpers/random-model';
import { headTrainStep } from '../../src/models/head-train-step';
import { predictRows } from '../../src/models/predict';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** Uniform values in [-scale, scale) from a seeded source. */
function uniform(length: number, random: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length }, () => (random() * 2 - 1) * scale);
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let j = 0; j < a.length; j++) max = Math.max(max, Math.abs(a[j]! - b[j]!));
  return max;
}

/** |a - b| ≤ relative · max|b| element-wise (the scale of the reference tensor). */
function expectRelativelyClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relative: number): void {
  let scale = 0;
  for (let j = 0; j < expected.length; j++) scale = Math.max(scale, Math.abs(expected[j]!));
  expect(scale).toBeGreaterThan(0);
  expect(maxAbsDifference(actual, expected)).toBeLessThanOrEqual(relative * scale);
}

/**
 * tfjs' Adam is m̂ / (sqrt(v̂) + ε) with bias-corrected moments; ours is Keras' form,
 * lr·sqrt(1-β2^t)/(1-β1^t) · m / (sqrt(v) + ε), i.e. ε is scaled by sqrt(1-β2^t) relative to
 * tfjs. The two agree only when ε is negligible next to sqrt(v), so the comparisons use
 * ε = 1e-12 on both sides (gradients here are of order 0.1-1).
 */
const TINY_EPSILON = 1e-12;
const LR = 0.01;
const B1 = 0.9;
const B2 = 0.999;

/** Applies `denseGrads` (row-major like the table) to a tf.variable with tf.train.adam, step by step. */
function tfAdamSteps(initial: Float32Array, shape: number[], denseGrads: Float32Array[]): Float32Array {
  const variable = tf.variable(tf.tensor(initial, shape));
  const optimizer = tf.train.adam(LR, B1, B2, TINY_EPSILON);
  for (const grads of denseGrads) {
    const g = tf.tensor(grads, shape);
    optimizer.applyGradients([{ name: variable.name, tensor: g }]);
    g.dispose();
  }
  const out = variable.dataSync().slice() as Float32Array;
  optimizer.dispose();
  variable.dispose();
  return out;
}

describe('LazyAdam', () => {
  const ROWS = 6;
  const WIDTH = 3;

  /** One batch: (row, per-sample gradient) pairs, accumulated by SparseRowGradients and densely. */
  function batchGradients(samples: { row: number; grad: Float32Array }[]) {
    const sparse = new SparseRowGradients(ROWS, WIDTH, samples.length);
    const dense = new Float32Array(ROWS * WIDTH);
    for (const { row, grad } of samples) {
      sparse.add(row, grad, 0);
      for (let j = 0; j < WIDTH; j++) dense[row * WIDTH + j] = dense[row * WIDTH + j]! + grad[j]!;
    }
    return { sparse, dense };
  }

  it('one step from fresh state equals dense tf.train.adam on the whole table (untouched rows get zero gradient and stay)', () => {
    const random = mulberry32(1);
    const initial = uniform(ROWS * WIDTH, random, 0.5);
    // Rows 1 and 4 twice (their gradients sum), row 2 once; rows 0, 3, 5 untouched.
    const rows = [4, 1, 2, 4, 1];
    const { sparse, dense } = batchGradients(rows.map((row) => ({ row, grad: uniform(WIDTH, random) })));
    expect(sparse.count).toBe(3);

    const params = initial.slice();
    new LazyAdam(params, WIDTH, { learningRate: LR, beta1: B1, beta2: B2, epsilon: TINY_EPSILON }).apply(sparse.rows, sparse.count, sparse.grads);
    const reference = tfAdamSteps(initial, [ROWS, WIDTH], [dense]);

    expect(maxAbsDifference(params, reference)).toBeLessThan(1e-6);
    for (const untouched of [0, 3, 5]) {
      expect(Array.from(params.subarray(untouched * WIDTH, (untouched + 1) * WIDTH))).toEqual(Array.from(initial.subarray(untouched * WIDTH, (untouched + 1) * WIDTH)));
    }
    for (const touched of [1, 2, 4]) {
      // Adam's first step moves every coordinate with a non-zero gradient by ≈ lr.
      for (let j = 0; j < WIDTH; j++) expect(Math.abs(params[touched * WIDTH + j]! - initial[touched * WIDTH + j]!)).toBeCloseTo(LR, 4);
    }
  });

  it('over several steps that touch every row (in shuffled order, some twice) equals dense tf.train.adam', () => {
    const random = mulberry32(2);
    const initial = uniform(ROWS * WIDTH, random, 0.5);
    const params = initial.slice();
    const lazy = new LazyAdam(params, WIDTH, { learningRate: LR, beta1: B1, beta2: B2, epsilon: TINY_EPSILON });
    const denseSteps: Float32Array[] = [];
    const orders = [
      [0, 1, 2, 3, 4, 5],
      [5, 3, 1, 0, 2, 4, 3],
      [2, 2, 0, 5, 1, 4, 3],
      [4, 0, 3, 1, 5, 2],
      [1, 0, 0, 2, 3, 5, 4, 5],
    ];
    for (const order of orders) {
      const { sparse, dense } = batchGradients(order.map((row) => ({ row, grad: uniform(WIDTH, random) })));
      expect(sparse.count).toBe(ROWS);
      lazy.apply(sparse.rows, sparse.count, sparse.grads);
      sparse.clear();
      denseSteps.push(dense);
    }
    const reference = tfAdamSteps(initial, [ROWS, WIDTH], denseSteps);
    expect(maxAbsDifference(params, reference)).toBeLessThan(1e-6);
    expect(maxAbsDifference(params, initial)).toBeGreaterThan(2 * LR);
  });

  it('a row untouched for some steps does not move (lazy; dense Adam would keep moving it by its momentum)', () => {
    const random = mulberry32(3);
    const initial = uniform(2 * WIDTH, random, 0.5);
    const params = initial.slice();
    const lazy = new LazyAdam(params, WIDTH, { learningRate: LR });
    const grads = uniform(WIDTH, random);
    lazy.apply(Int32Array.of(0), 1, grads);
    const afterFirst = params.slice();
    // Steps that touch only row 1: row 0 must not move (dense Adam would keep moving it by its momentum).
    for (let s = 0; s < 3; s++) lazy.apply(Int32Array.of(1), 1, uniform(WIDTH, random));
    expect(Array.from(params.subarray(0, WIDTH))).toEqual(Array.from(afterFirst.subarray(0, WIDTH)));
  });
});

describe('DenseAdam', () => {
  it('matches tf.train.adam on a vector over several steps', () => {
    const random = mulberry32(4);
    const initial = uniform(10, random);
    const params = initial.slice();
    const adam = new DenseAdam(params, { learningRate: LR, beta1: B1, beta2: B2, epsilon: TINY_EPSILON });
    const steps = Array.from({ length: 8 }, () => uniform(10, random));
    for (const grads of steps) adam.apply(grads);
    const reference = tfAdamSteps(initial, [10], steps);
    expect(maxAbsDifference(params, reference)).toBeLessThan(1e-6);
    expect(maxAbsDifference(params, initial)).toBeGreaterThan(4 * LR);
  });

  it('adds the L2 penalty to the gradient (coupled weight decay): a zero gradient still pulls weights toward 0', () => {
    const params = Float32Array.of(1, -2);
    const adam = new DenseAdam(params, { learningRate: LR, l2: 0.1 });
    adam.apply([0, 0]);
    // One Adam step of gradient l2·w moves each weight by ≈ lr toward 0.
    expect(params[0]).toBeCloseTo(1 - LR, 5);
    expect(params[1]).toBeCloseTo(-2 + LR, 5);
  });
});

describe('headTrainStep', () => {
  const BATCH = 7;
  const INPUTS = 9;

  /** A 2-hidden-layer head with random (non-zero) biases, so that no pre-activation sits exactly on relu's kink. */
  function head(outputs: number, seed: number): MlpHeadWeights {
    const random = mulberry32(seed);
    const weights = initMlpHead(INPUTS, [6, 5], outputs, random);
    for (const layer of weights.layers) layer.bias.set(uniform(layer.units, random, 0.3));
    return weights;
  }

  /** The same function in plain tfjs ops, differentiated by tfjs: gradients of the loss wrt x, every weight and bias. */
  function autodiff(
    h: MlpHeadWeights,
    x: Float32Array,
    mask: Float32Array | undefined,
    loss: (outputs: tf.Tensor2D) => tf.Scalar,
  ): { input: Float32Array; weights: Float32Array[]; biases: Float32Array[] } {
    return tf.tidy(() => {
      const params = [tf.tensor2d(x, [BATCH, INPUTS]) as tf.Tensor];
      for (const layer of h.layers) params.push(tf.tensor2d(layer.weights, [layer.inputs, layer.units]), tf.tensor1d(layer.bias));
      const f = (...args: tf.Tensor[]): tf.Scalar => {
        let a = args[0] as tf.Tensor2D;
        if (mask) a = tf.mul(a, tf.tensor2d(mask, [BATCH, INPUTS]));
        h.layers.forEach((layer, l) => {
          const z = tf.add(tf.matMul(a, args[1 + 2 * l] as tf.Tensor2D), args[2 + 2 * l]!) as tf.Tensor2D;
          a = layer.activation === 'relu' ? tf.relu(z) : z;
        });
        return loss(a);
      };
      const grads = tf.grads(f)(params).map((g) => g.dataSync().slice() as Float32Array);
      return {
        input: grads[0]!,
        weights: h.layers.map((_, l) => grads[1 + 2 * l]!),
        biases: h.layers.map((_, l) => grads[2 + 2 * l]!),
      };
    });
  }

  function expectSameGradients(ours: ReturnType<typeof headTrainStep>, reference: ReturnType<typeof autodiff>, layers: number): void {
    expectRelativelyClose(ours.input, reference.input, 1e-4);
    for (let l = 0; l < layers; l++) {
      expectRelativelyClose(ours.weights[l]!, reference.weights[l]!, 1e-4);
      expectRelativelyClose(ours.biases[l]!, reference.biases[l]!, 1e-4);
    }
  }

  /** Inverted dropout at rate 0.3: 0 or 1/(1-0.3), with at least one zero. */
  function dropoutMask(seed: number): Float32Array {
    const random = mulberry32(seed);
    const mask = Float32Array.from({ length: BATCH * INPUTS }, () => (random() < 0.3 ? 0 : 1 / 0.7));
    mask[0] = 0;
    return mask;
  }

  it.each([
    ['without dropout', false],
    ['with a dropout mask', true],
  ])('MSE regression head: gradients equal tfjs autodiff %s', (_name, withMask) => {
    const h = head(1, 11);
    const random = mulberry32(12);
    const x = uniform(BATCH * INPUTS, random);
    const y = Float32Array.from({ length: BATCH }, () => random() * 4 - 2);
    const mask = withMask ? dropoutMask(13) : undefined;
    const ours = headTrainStep(
      h,
      x,
      BATCH,
      (outputs) => Float32Array.from(outputs, (value, k) => (2 * (value - y[k]!)) / BATCH),
      mask,
    );
    const reference = autodiff(h, x, mask, (outputs) => tf.mean(tf.square(tf.sub(outputs, tf.tensor2d(y, [BATCH, 1])))));
    expectSameGradients(ours, reference, 3);
    if (mask) {
      // Dropped inputs get no gradient.
      mask.forEach((m, j) => {
        if (m === 0) expect(Math.abs(ours.input[j]!)).toBe(0);
      });
    }
  });

  it.each([
    ['without dropout', false],
    ['with a dropout mask', true],
  ])('softmax cross-entropy classifier head (10 classes): gradients equal tfjs autodiff %s', (_name, withMask) => {
    const CLASSES = 10;
    const h = head(CLASSES, 21);
    const random = mulberry32(22);
    const x = uniform(BATCH * INPUTS, random);
    const targets = Array.from({ length: BATCH }, () => Math.floor(random() * CLASSES));
    const mask = withMask ? dropoutMask(23) : undefined;
    const ours = headTrainStep(
      h,
      x,
      BATCH,
      (logits) => {
        const grad = new Float32Array(BATCH * CLASSES);
        for (let k = 0; k < BATCH; k++) {
          const row = Array.from(logits.subarray(k * CLASSES, (k + 1) * CLASSES));
          const max = Math.max(...row);
          const exps = row.map((value) => Math.exp(value - max));
          const total = exps.reduce((sum, value) => sum + value, 0);
          exps.forEach((value, c) => (grad[k * CLASSES + c] = (value / total - (c === targets[k] ? 1 : 0)) / BATCH));
        }
        return grad;
      },
      mask,
    );
    const oneHot = tf.oneHot(tf.tensor1d(targets, 'int32'), CLASSES);
    const reference = autodiff(h, x, mask, (logits) => tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar);
    oneHot.dispose();
    expectSameGradients(ours, reference, 3);
  });

  it('headForward equals the forward pass of headTrainStep', () => {
    const h = head(1, 31);
    const x = uniform(BATCH * INPUTS, mulberry32(32));
    let seen: Float32Array | undefined;
    headTrainStep(h, x, BATCH, (outputs) => {
      seen = outputs.slice();
      return new Float32Array(outputs.length);
    });
    expect(Array.from(headForward(h, x, BATCH))).toEqual(Array.from(seen!));
  });
});

/** A small hyperparameter set for fast training on the synthetic data. */
function smallHyper(kind: ModelKind, overrides: Partial<Hyperparameters> = {}): Hyperparameters {
  return {
    ...presetHyperparameters(kind, 'default'),
    embeddingDim: 8,
    hiddenUnits: kind === 'mf' ? [] : kind === 'deep' ? [16] : [16, 8],
    batchSize: 64,
    epochs: 3,
    ...overrides,
  };
}

const synthetic = syntheticRatings({ users: 60, items: 40, rank: 2, density: 0.5, seed: 5 });

function bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** A small model of `kind` with trained-looking (random, non-zero) parameters everywhere. */
function randomModel(kind: ModelKind, overrides: Partial<Hyperparameters> = {}): Model {
  return randomTrainedLooking(kind, { users: 60, items: 40, hyper: smallHyper(kind, overrides), seed: 41 });
}

describe('serializeHead / deserializeHead', () => {
  /** The Model that serving rebuilds: the deserialized head plus the (separately stored) embeddings and biases. */
  function rebuild(original: Model, bytes: Uint8Array): Model {
    const head = deserializeHead(bytes);
    return {
      hyper: head.hyper,
      userIds: original.userIds,
      itemIds: original.itemIds,
      userEmbeddings: original.userEmbeddings,
      itemEmbeddings: original.itemEmbeddings,
      userBias: original.userBias,
      itemBias: original.itemBias,
      globalMean: head.globalMean,
      head: head.layers.length > 0 ? { layers: head.layers } : null,
      featureSpec: head.featureSpec,
      itemFeatures: head.itemFeatures,
    };
  }

  it.each(MODEL_KINDS)('%s: round trip keeps every weight bit, the hyperparameters and feature spec, and the predictions exactly', (kind) => {
    const model = randomModel(kind);
    const bytes = serializeHead(model);
    // From an unaligned offset inside a larger buffer, as a database driver's Buffer may be.
    const unaligned = new Uint8Array(bytes.length + 3);
    unaligned.set(bytes, 3);
    const head = deserializeHead(unaligned.subarray(3));

    expect(head.hyper).toEqual(model.hyper);
    expect(head.globalMean).toBe(model.globalMean);
    expect(head.featureSpec).toEqual(model.featureSpec);
    expect(head.layers).toHaveLength(model.head?.layers.length ?? 0);
    head.layers.forEach((layer, l) => {
      const original = model.head!.layers[l]!;
      expect({ inputs: layer.inputs, units: layer.units, activation: layer.activation }).toEqual({
        inputs: original.inputs,
        units: original.units,
        activation: original.activation,
      });
      expect(bits(layer.weights)).toEqual(bits(original.weights));
      expect(bits(layer.bias)).toEqual(bits(original.bias));
    });
    expect(bits(head.itemFeatures)).toEqual(bits(model.itemFeatures));

    const users = Int32Array.from({ length: 200 }, (_, k) => (k * 7) % model.userIds.length);
    const items = Int32Array.from({ length: 200 }, (_, k) => (k * 13) % model.itemIds.length);
    const before = predictRows(model, users, items);
    expect(before.every(Number.isFinite)).toBe(true);
    expect(bits(predictRows(rebuild(model, bytes), users, items))).toEqual(bits(before));
  });

  it('rejects a truncated or foreign head with ModelFormatError', () => {
    const bytes = serializeHead(randomModel('hybrid'));
    expect(() => deserializeHead(bytes.subarray(0, bytes.length - 4))).toThrow(ModelFormatError);
    expect(() => deserializeHead(bytes.subarray(0, 2))).toThrow(ModelFormatError);
    const foreign = new Uint8Array(bytes);
    foreign.set(Buffer.from('"format":"other-head/1"'.padEnd(26, ' ')), 5);
    expect(() => deserializeHead(foreign)).toThrow(ModelFormatError);
  });
});

describe('dot term', () => {
  it('adds the embeddings\' dot product to a regression head\'s rating, and survives serialization', () => {
    const withDot = randomModel('hybrid', { dotTerm: true });
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

/** Every kind, and the regression heads with the dot term. */
const scorerCases: [string, Model][] = [
  ...MODEL_KINDS.map((kind): [string, Model] => [kind, randomModel(kind)]),
  ['deep with the dot term', randomModel('deep', { dotTerm: true })],
  ['hybrid with the dot term', randomModel('hybrid', { dotTerm: true })],
  // Shapes the WebAssembly head-tail kernel takes (hidden width a multiple of 16).
  ['hybrid, kernel-shaped head (16 x 32)', randomModel('hybrid', { hiddenUnits: [16, 32] })],
  ['hybrid-classifier, kernel-shaped head (16 x 32)', randomModel('hybrid-classifier', { hiddenUnits: [16, 32] })],
];

function userVector(model: Model, user: number): Float32Array {
  const dim = model.hyper.embeddingDim;
  return model.userEmbeddings.subarray(user * dim, (user + 1) * dim);
}

describe('ItemScorer', () => {
  it.each(scorerCases)('%s: scores every item for a user as predictRows does, also after releasing its tensors', (_, model) => {
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

describe('ScoringThread', () => {
  let thread: ScoringThread | null = null;
  beforeAll(async () => {
    thread = await ScoringThread.start('wasm');
  });
  afterAll(async () => {
    await thread?.close();
  });

  it.each(scorerCases)('%s: scores in the thread exactly as in this thread, concurrently and after a release', async (_, model) => {
    expect(thread?.alive).toBe(true);
    const here = new ItemScorer(model);
    const there = new ItemScorer(model, thread);
    const users = [0, 1, 2, 3, model.userIds.length - 1];
    const expected = users.map((user) => here.score(userVector(model, user), model.userBias[user]!));
    const answered = await Promise.all(users.map((user) => there.scoreAsync(userVector(model, user), model.userBias[user]!)));
    answered.forEach((scores, k) => expect(bits(scores)).toEqual(bits(expected[k]!)));
    there.release();
    expect(bits(await there.scoreAsync(userVector(model, 2), model.userBias[2]!))).toEqual(bits(expected[2]!));
    here.release();
    there.release();
  });

  it('falls back to this thread when its thread is gone', async () => {
    const model = randomModel('hybrid');
    const doomed = await ScoringThread.start('wasm');
    const scorer = new ItemScorer(model, doomed);
    const expected = new ItemScorer(model).score(userVector(model, 4), model.userBias[4]!);
    await doomed!.close();
    expect(doomed!.alive).toBe(false);
    expect(bits(await scorer.scoreAsync(userVector(model, 4), model.userBias[4]!))).toEqual(bits(expected));
  });

  it('is not started for a GPU backend', async () => {
    expect(await ScoringThread.start('tensorflow-gpu')).toBeNull();
  });
});

describe('ScoringPool', () => {
  it('spreads concurrent requests over its threads, scores as this thread does, and outlives a lost thread', async () => {
    const pool = await ScoringPool.start('wasm', 2);
    try {
      expect(pool?.size).toBe(2);
      const model = randomModel('hybrid');
      const here = new ItemScorer(model);
      const there = new ItemScorer(model, pool);
      const users = [0, 1, 2, 3, 4, 5];
      const expected = users.map((user) => here.score(userVector(model, user), model.userBias[user]!));
      const threads = (pool as unknown as { threads: ScoringThread[] }).threads;
      const answered = Promise.all(users.map((user) => there.scoreAsync(userVector(model, user), model.userBias[user]!)));
      // Least in flight first: six requests sent at once are split three and three.
      expect(threads.map((thread) => thread.inFlight)).toEqual([3, 3]);
      (await answered).forEach((scores, k) => expect(bits(scores)).toEqual(bits(expected[k]!)));
      await threads[0]!.close();
      expect(pool!.alive).toBe(true);
      expect(bits(await there.scoreAsync(userVector(model, 2), model.userBias[2]!))).toEqual(bits(expected[2]!));
      here.release();
      there.release();
    } finally {
      await pool?.close();
    }
    expect(pool!.alive).toBe(false);
  });

  it('is null for a GPU backend or no threads', async () => {
    expect(await ScoringPool.start('webgpu', 2)).toBeNull();
    expect(await ScoringPool.start('wasm', 0)).toBeNull();
  });
});

describe('seeded training', () => {
  const split = splitDataset(synthetic.ratings.length, { testFraction: 0.2, validationSplit: 0.1, seed: 3 });

  function parameters(model: Model): Float32Array[] {
    return [model.userEmbeddings, model.itemEmbeddings, model.userBias, model.itemBias, ...(model.head?.layers ?? []).flatMap((layer) => [layer.weights, layer.bias])];
  }

  function sameParameters(a: Model, b: Model): boolean {
    const pa = parameters(a);
    const pb = parameters(b);
    return pa.length === pb.length && pa.every((array, k) => Buffer.compare(Buffer.from(array.buffer, array.byteOffset, array.byteLength), Buffer.from(pb[k]!.buffer, pb[k]!.byteOffset, pb[k]!.byteLength)) === 0);
  }

  it.each(['mf', 'hybrid'] as const)('%s: the same seed gives bit-identical embeddings and head weights; another seed does not', async (kind) => {
    const hyper = smallHyper(kind, { seed: 17 });
    const first = await trainModel(synthetic, split, hyper);
    const second = await trainModel(synthetic, split, hyper);
    const other = await trainModel(synthetic, split, { ...hyper, seed: 18 });
    expect(sameParameters(first.model, second.model)).toBe(true);
    expect(second.history.map(({ loss, valLoss }) => [loss, valLoss])).toEqual(first.history.map(({ loss, valLoss }) => [loss, valLoss]));
    expect(sameParameters(first.model, other.model)).toBe(false);
    expect(maxAbsDifference(first.model.userEmbeddings, other.model.userEmbeddings)).toBeGreaterThan(1e-3);
    // And it learned something on the planted structure: training loss goes down.
    expect(first.history.at(-1)!.loss).toBeLessThan(first.history[0]!.loss);
  });
});

describe('quantile scaler', () => {
  it('maps the fitted values to [0, 1]: the minimum to 0, the maximum to 1, out-of-range values clamped', () => {
    const scaler = fitQuantileScaler([5, 1, 9, 3, 7]);
    expect(scaler.quantiles).toEqual([1, 3, 5, 7, 9]);
    expect([1, 3, 5, 7, 9].map((v) => quantileTransform(scaler, v))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(quantileTransform(scaler, 4)).toBeCloseTo(0.375, 12);
    expect(quantileTransform(scaler, -100)).toBe(0);
    expect(quantileTransform(scaler, 1e9)).toBe(1);
  });

  it('is monotone over a fine grid, with many ties and more values than quantiles', () => {
    const random = mulberry32(9);
    // 3000 values (> 1000 quantiles): heavy ties at a few round numbers, plus a long tail.
    const values = Array.from({ length: 3000 }, (_, k) => (k % 3 === 0 ? [1, 12, 12, 24, 26][k % 5]! : Math.floor(1 + 200 * random() ** 3)));
    const scaler = fitQuantileScaler(values);
    expect(scaler.quantiles).toHaveLength(1000);
    const sorted = [...values].sort((a, b) => a - b);
    const grid = Array.from({ length: 2001 }, (_, k) => -5 + (k * 210) / 2000).concat(sorted);
    grid.sort((a, b) => a - b);
    const mapped = grid.map((value) => quantileTransform(scaler, value));
    const outOfRange = mapped.filter((y) => !(y >= 0 && y <= 1));
    const decreasing = mapped.flatMap((y, k) => (k > 0 && y < mapped[k - 1]! ? [[grid[k - 1], grid[k]]] : []));
    expect({ outOfRange, decreasing }).toEqual({ outOfRange: [], decreasing: [] });
    expect([mapped[0], mapped.at(-1)]).toEqual([0, 1]);
    // Roughly uniform: a value's transform is close to its empirical CDF (ties: the middle of the run).
    const rank = (v: number) => (sorted.indexOf(v) + sorted.lastIndexOf(v)) / 2 / (sorted.length - 1);
    for (const v of [3, 12, 24, 50, 150]) if (sorted.includes(v)) expect(Math.abs(quantileTransform(scaler, v) - rank(v))).toBeLessThan(0.01);
  });

  it('gives a tied value the middle of its run of quantiles (as scikit-learn averages both directions)', () => {
    const scaler = fitQuantileScaler([1, 2, 2, 2, 3]);
    expect(scaler.quantiles).toEqual([1, 2, 2, 2, 3]);
    expect(quantileTransform(scaler, 2)).toBe(0.5);
    expect(quantileTransform(scaler, 1.5)).toBeCloseTo(0.125, 12);
    expect(quantileTransform(scaler, 2.5)).toBeCloseTo(0.875, 12);
    // Ties at the ends map to the bounds.
    expect(quantileTransform(fitQuantileScaler([0, 0, 0, 5, 10]), 0)).toBe(0);
    expect(quantileTransform(fitQuantileScaler([0, 5, 10, 10, 10]), 10)).toBe(1);
  });

  it('handles degenerate inputs: one value, all equal, none', () => {
    expect(quantileTransform(fitQuantileScaler([4]), 4)).toBe(0);
    const constant = fitQuantileScaler([3, 3, 3]);
    expect([2, 3, 4].map((v) => quantileTransform(constant, v))).toEqual([0, 0, 1]);
    expect(quantileTransform(fitQuantileScaler([]), 1)).toBe(0);
  });

  it('item features: quantile columns in [0, 1], unknown episodes filled with the median, genres and types one-hot', () => {
    const items = [
      { episodes: 12, members: 100, genres: ['Drama'], type: 'TV' },
      { episodes: null, members: 5000, genres: ['Action', 'Drama'], type: 'Movie' },
      { episodes: 1, members: 300, genres: [], type: null },
      { episodes: 24, members: 100, genres: ['Comedy'], type: 'TV' },
    ];
    const spec = fitFeatureSpec(items, { quantile: true, genres: true, types: true });
    expect(spec.genres).toEqual(['Action', 'Comedy', 'Drama']);
    expect(spec.types).toEqual(['Movie', 'TV']);
    expect(spec.episodesFill).toBe(12);
    const features = itemFeatures(spec, items);
    const width = 2 + 3 + 2;
    expect(features).toHaveLength(4 * width);
    const row = (r: number) => Array.from(features.subarray(r * width, (r + 1) * width));
    // Episodes 12 (filled) ties with item 0's 12: both the middle of their run.
    expect(row(1)[0]).toBe(row(0)[0]);
    expect(row(1)[1]).toBe(1);
    expect(row(1).slice(2)).toEqual([1, 0, 1, 1, 0]);
    expect(row(2).slice(0, 2)).toEqual([0, Math.fround(quantileTransform(spec.members, 300))]);
    expect(row(2).slice(2)).toEqual([0, 0, 0, 0, 0]);
    expect(row(3).slice(2)).toEqual([0, 1, 0, 0, 1]);
    for (const value of features) expect(value >= 0 && value <= 1).toBe(true);
  });
});
