/**
 * The dense head of the deep and hybrid models: input → [Dense relu]* → Dense out, with dropout
 * on the input. Runs on tfjs; weights live in Float32Arrays (updated by DenseAdam) and are
 * uploaded per step. Its training step is head-train-step.ts.
 */
import * as tf from '@tensorflow/tfjs';

export interface DenseLayer {
  inputs: number;
  units: number;
  /** Row-major [inputs, units]. */
  weights: Float32Array;
  bias: Float32Array;
  activation: 'relu' | 'linear';
}

export interface MlpHeadWeights {
  layers: DenseLayer[];
}

/** Glorot-uniform weights and zero biases (Keras' Dense defaults), from a seeded source. */
export function initMlpHead(inputs: number, hidden: readonly number[], outputs: number, random: () => number): MlpHeadWeights {
  const sizes = [inputs, ...hidden, outputs];
  const layers: DenseLayer[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fanIn = sizes[l]!;
    const fanOut = sizes[l + 1]!;
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const weights = new Float32Array(fanIn * fanOut);
    for (let j = 0; j < weights.length; j++) weights[j] = (random() * 2 - 1) * limit;
    layers.push({ inputs: fanIn, units: fanOut, weights, bias: new Float32Array(fanOut), activation: l + 2 < sizes.length ? 'relu' : 'linear' });
  }
  return { layers };
}

export function headInputs(head: MlpHeadWeights): number {
  return head.layers[0]!.inputs;
}

export function headOutputs(head: MlpHeadWeights): number {
  return head.layers[head.layers.length - 1]!.units;
}

/**
 * The forward pass without dropout as tfjs ops on the engine's current backend: x is row-major
 * [batch, inputs]; the result is [batch, outputs]. Call inside a tidy.
 */
export function headForwardOps(head: MlpHeadWeights, x: Float32Array, batch: number): tf.Tensor2D {
  let a: tf.Tensor2D = tf.tensor2d(x, [batch, headInputs(head)]);
  for (const layer of head.layers) {
    const z = tf.add(tf.matMul(a, tf.tensor2d(layer.weights, [layer.inputs, layer.units])), tf.tensor1d(layer.bias)) as tf.Tensor2D;
    a = layer.activation === 'relu' ? tf.relu(z) : z;
  }
  return a;
}

/** Forward pass without dropout: x is row-major [batch, inputs]; returns [batch, outputs]. */
export function headForward(head: MlpHeadWeights, x: Float32Array, batch: number): Float32Array {
  let outputs: Float32Array = new Float32Array(0);
  // Results leave the tidy through a closure: tidy walks whatever it returns, element by
  // element for a typed array (half of all training time when we returned them).
  tf.tidy(() => {
    outputs = headForwardOps(head, x, batch).dataSync() as Float32Array;
  });
  return outputs;
}
