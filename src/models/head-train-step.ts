/**
 * One training step of a dense head (dense-head.ts): the forward pass with the dropout mask on
 * the input, dLoss/dOutputs from the caller, and the backward pass written out by hand: tfjs'
 * autodiff of matMul uses transposed matMuls that the wasm backend runs ~8x slower than a
 * transpose followed by a plain matMul (measured: 22 ms vs 2.7 ms for [128,1024]x[1024,64]).
 * The passes are written once, as a generator that hands out the tensors it needs read, and
 * driven two ways:
 * - `headTrainStep`: synchronously on tfjs' current backend, inside one tidy;
 * - `headTrainStepOn`: on a named backend; when that backend reads only asynchronously (WebGPU
 *   in Node), its reads are awaited. Used by the trainer under webgpu and by the GPU benchmark.
 */
import * as tf from '@tensorflow/tfjs';
import { dispatchOn } from './backend';
import { headInputs, headOutputs, type MlpHeadWeights } from './dense-head';

export interface HeadGradients {
  /** Per layer, same shapes as the weights. */
  weights: Float32Array[];
  biases: Float32Array[];
  /** dLoss/dInput, row-major [batch, inputs] (dropout mask applied). */
  input: Float32Array;
}

/** Receives the outputs [batch, outputs] and returns dLoss/dOutputs of that shape (divided by the batch size for a mean loss). */
export type LossGradient = (outputs: Float32Array) => Float32Array;

/** The passes yield the tensors to read and receive their values, in order. */
type StepPasses = Generator<tf.Tensor[], HeadGradients, Float32Array[]>;

function* trainStepPasses(
  head: MlpHeadWeights,
  x: Float32Array,
  batch: number,
  lossGradient: LossGradient,
  dropoutMask: Float32Array | undefined,
  keep: <T extends tf.Tensor>(tensor: T) => T,
): StepPasses {
  const inputs = headInputs(head);
  const weights = head.layers.map((layer) => keep(tf.tensor2d(layer.weights, [layer.inputs, layer.units])));
  const activations: tf.Tensor2D[] = [];
  const preActivations: tf.Tensor2D[] = [];
  const mask = dropoutMask ? keep(tf.tensor2d(dropoutMask, [batch, inputs])) : undefined;
  let a: tf.Tensor2D = keep(tf.tensor2d(x, [batch, inputs]));
  if (mask) a = keep(tf.mul(a, mask));
  head.layers.forEach((layer, l) => {
    activations.push(a);
    const z = keep(tf.add(keep(tf.matMul(a, weights[l]!)), keep(tf.tensor1d(layer.bias))) as tf.Tensor2D);
    preActivations.push(z);
    a = layer.activation === 'relu' ? keep(tf.relu(z)) : z;
  });
  const [outputs] = yield [a];
  const outputGrad = lossGradient(outputs!);

  let g: tf.Tensor2D = keep(tf.tensor2d(outputGrad, [batch, headOutputs(head)]));
  const weightGrads: tf.Tensor[] = [];
  const biasGrads: tf.Tensor[] = [];
  for (let l = head.layers.length - 1; l >= 0; l--) {
    if (head.layers[l]!.activation === 'relu') g = keep(tf.mul(g, keep(tf.step(preActivations[l]!))) as tf.Tensor2D);
    weightGrads[l] = keep(tf.matMul(keep(tf.transpose(activations[l]!)), g));
    biasGrads[l] = keep(tf.sum(g, 0));
    g = keep(tf.matMul(g, keep(tf.transpose(weights[l]!))));
  }
  if (mask) g = keep(tf.mul(g, mask));
  const layers = head.layers.length;
  const values = yield [...weightGrads, ...biasGrads, g];
  return { weights: values.slice(0, layers), biases: values.slice(layers, 2 * layers), input: values[2 * layers]! };
}

/**
 * One training step's passes on tfjs' current backend. `dropoutMask` (optional,
 * [batch, inputs]) holds 0 or 1/(1-rate) per input.
 */
export function headTrainStep(head: MlpHeadWeights, x: Float32Array, batch: number, lossGradient: LossGradient, dropoutMask?: Float32Array): HeadGradients {
  // One tidy for both passes: lossGradient is synchronous, and every tensor is freed at the end.
  // The result leaves through a closure, not tidy's return value: tidy walks what it returns,
  // element by element for a typed array.
  let result: HeadGradients | undefined;
  tf.tidy(() => {
    const passes = trainStepPasses(head, x, batch, lossGradient, dropoutMask, (tensor) => tensor);
    let step = passes.next([]);
    while (!step.done) step = passes.next(step.value.map((tensor) => tensor.dataSync() as Float32Array));
    result = step.value;
  });
  return result!;
}

/**
 * `headTrainStep` with its ops dispatched on `backend`; with `asyncRead`, the reads are awaited
 * (the backend cannot read synchronously) and the tensors are freed here, as no tidy can span
 * an await.
 */
export async function headTrainStepOn(
  backend: string,
  asyncRead: boolean,
  head: MlpHeadWeights,
  x: Float32Array,
  batch: number,
  lossGradient: LossGradient,
  dropoutMask?: Float32Array,
): Promise<HeadGradients> {
  if (!asyncRead) return dispatchOn(backend, () => headTrainStep(head, x, batch, lossGradient, dropoutMask));
  const kept: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(tensor: T): T => {
    kept.push(tensor);
    return tensor;
  };
  try {
    const passes = trainStepPasses(head, x, batch, lossGradient, dropoutMask, keep);
    let step = dispatchOn(backend, () => passes.next([]));
    while (!step.done) {
      const values = await Promise.all(step.value.map(async (tensor) => (await tensor.data()) as Float32Array));
      step = dispatchOn(backend, () => passes.next(values));
    }
    return step.value;
  } finally {
    for (const tensor of kept) tensor.dispose();
  }
}
