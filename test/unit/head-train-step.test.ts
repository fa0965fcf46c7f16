/** The hand-written head backpropagation (headTrainStep) against tfjs autodiff, and headForward against its forward pass. */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/models/backend';
import { headForward, initMlpHead, type MlpHeadWeights } from '../../src/models/dense-head';
import { headTrainStep } from '../../src/models/head-train-step';
import { mulberry32 } from '../../src/trainer/random';
import { expectRelativelyClose, uniform } from '../helpers/float-arrays';

beforeAll(async () => {
  await selectBackend('wasm');
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
