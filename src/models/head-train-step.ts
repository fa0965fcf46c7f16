/**
 * One training step of a model head on a given backend: the same passes as headTrainStep
 * (dense-head.ts) — forward, dLoss/dOutputs on the CPU, hand-written backward, the dropout mask
 * on the input — with the ops dispatched on `backend`. WebGPU in Node reads only
 * asynchronously, so its step awaits the two reads (outputs, then gradients) that headTrainStep
 * does with dataSync; synchronous backends run headTrainStep itself. Used by the trainer when
 * the scoring backend is webgpu, and by the GPU benchmark.
 */
import * as tf from '@tensorflow/tfjs';
import { dispatchOn } from './backend';
import { headTrainStep, type HeadGradients, type MlpHeadWeights } from './dense-head';

export async function headTrainStepOn(
  backend: string,
  asyncRead: boolean,
  head: MlpHeadWeights,
  x: Float32Array,
  batch: number,
  lossGradient: (outputs: Float32Array) => Float32Array,
  dropoutMask?: Float32Array,
): Promise<HeadGradients> {
  if (!asyncRead) return dispatchOn(backend, () => headTrainStep(head, x, batch, lossGradient, dropoutMask));
  const inputs = head.layers[0]!.inputs;
  const outputs = head.layers[head.layers.length - 1]!.units;
  const kept: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(tensor: T): T => {
    kept.push(tensor);
    return tensor;
  };
  try {
    const weights = dispatchOn(backend, () => head.layers.map((layer) => keep(tf.tensor2d(layer.weights, [layer.inputs, layer.units]))));
    const activations: tf.Tensor2D[] = [];
    const preActivations: tf.Tensor2D[] = [];
    const mask = dropoutMask ? dispatchOn(backend, () => keep(tf.tensor2d(dropoutMask, [batch, inputs]))) : undefined;
    const output = dispatchOn(backend, () => {
      let a = keep(tf.tensor2d(x, [batch, inputs]));
      if (mask) a = keep(tf.mul(a, mask));
      head.layers.forEach((layer, l) => {
        activations.push(a);
        const z = keep(tf.add(tf.matMul(a, weights[l]!), keep(tf.tensor1d(layer.bias))) as tf.Tensor2D);
        preActivations.push(z);
        a = layer.activation === 'relu' ? keep(tf.relu(z)) : z;
      });
      return a;
    });
    const outputGrad = lossGradient((await output.data()) as Float32Array);
    const reads = dispatchOn(backend, () => {
      let g = keep(tf.tensor2d(outputGrad, [batch, outputs]));
      const weightGrads: tf.Tensor[] = [];
      const biasGrads: tf.Tensor[] = [];
      for (let l = head.layers.length - 1; l >= 0; l--) {
        if (head.layers[l]!.activation === 'relu') g = keep(tf.mul(g, keep(tf.step(preActivations[l]!))) as tf.Tensor2D);
        weightGrads[l] = keep(tf.matMul(keep(tf.transpose(activations[l]!)), g));
        biasGrads[l] = keep(tf.sum(g, 0));
        g = keep(tf.matMul(g, keep(tf.transpose(weights[l]!))));
      }
      if (mask) g = keep(tf.mul(g, mask));
      return { weightGrads, biasGrads, input: g };
    });
    const read = async (tensor: tf.Tensor) => (await tensor.data()) as Float32Array;
    return {
      weights: await Promise.all(reads.weightGrads.map(read)),
      biases: await Promise.all(reads.biasGrads.map(read)),
      input: await read(reads.input),
    };
  } finally {
    for (const tensor of kept) tensor.dispose();
  }
}
