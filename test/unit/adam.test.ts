/** LazyAdam and DenseAdam against tfjs' own Adam (tf.train.adam), step by step. */
import * as tf from '@tensorflow/tfjs';
import { DenseAdam, LazyAdam } from '../../src/models/adam';
import { selectBackend } from '../../src/models/backend';
import { SparseRowGradients } from '../../src/models/sparse-rows';
import { mulberry32 } from '../../src/trainer/random';
import { maxAbsDifference, uniform } from '../helpers/float-arrays';

beforeAll(async () => {
  await selectBackend('wasm');
});

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

