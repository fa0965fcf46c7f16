/**
 * The baseline of the training benchmark: each model kind built the stock way, with tf.layers
 * (Embedding, Dot / Concatenate, Dropout, Dense), compiled with Adam and the kind's loss, and
 * trained with `model.trainOnBatch`: Adam then updates the whole embedding tables every step
 * (dense gradients), which is what the real trainer's sparse LazyAdam avoids.
 *
 * Backends: `cpu` is stock tfjs as installed (its UnsortedSegmentSum, the embedding gradient,
 * runs one masked sum per table row); `wasm` needs that kernel registered first, as it has
 * none (tensorflow/tfjs#8082): registerWasmUnsortedSegmentSum below, a single pass.
 * Run in a child process of its own (bench/train-child.ts) so backends and kernels don't mix.
 * Internal to bench/.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { fitFeatureSpec, featureWidth, itemFeatures } from '../src/models/features';
import type { Hyperparameters } from '../src/models/hyperparameters';
import { kindDefinition } from '../src/models/kinds';
import { headForward } from '../src/models/dense-head';
import { headInputWidth, initModel, writeHeadInput, type Model } from '../src/models/model';
import type { DatasetSplit, RatingsDataset } from '../src/trainer/dataset';
import { evaluateLoss } from '../src/trainer/train';
import { mulberry32, shuffleInPlace } from '../src/trainer/random';
import { WindowMeter, type Throughput } from './train-meter';
import { RATING_CLASSES } from '../src/models/rating-scale';

/** A single-pass UnsortedSegmentSum for the wasm backend, which lacks one (tensorflow/tfjs#8082). */
export function registerWasmUnsortedSegmentSum(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const wasm = backend as BackendWasm;
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const numSegments = (attrs as { numSegments: number }).numSegments;
      if (x.dtype !== 'float32') throw new Error(`UnsortedSegmentSum (bench kernel): float32 only, got ${x.dtype}`);
      const inner = x.shape.slice(1).reduce((a, b) => a * b, 1);
      const out = wasm.makeOutput([numSegments, ...x.shape.slice(1)], 'float32');
      // Views after makeOutput: allocating may grow the wasm heap and detach earlier views.
      const sums = wasm.typedArrayFromHeap(out) as Float32Array;
      const values = wasm.typedArrayFromHeap(x) as Float32Array;
      const ids = wasm.typedArrayFromHeap(segmentIds) as Int32Array;
      sums.fill(0);
      for (let r = 0; r < ids.length; r++) {
        const segment = ids[r]!;
        if (segment < 0 || segment >= numSegments) continue;
        const to = segment * inner;
        const from = r * inner;
        for (let j = 0; j < inner; j++) sums[to + j] = sums[to + j]! + values[from + j]!;
      }
      return out;
    },
  });
}

export interface StockModel {
  model: tf.LayersModel;
  userEmbedding: tf.layers.Layer;
  itemEmbedding: tf.layers.Layer;
  dense: tf.layers.Layer[];
  /** Width of the metadata input (hybrid kinds), else 0. */
  metadataWidth: number;
}

/**
 * The kind's model as the notebook builds it in Keras, shaped like ours (src/models/model.ts):
 * mf dot(user, item); deep concat → Dropout → Dense relu → Dense 1; hybrid concat(user, item,
 * metadata) → Dropout → Dense relu ×2 → Dense 1, or Dense 10 softmax for the classifier.
 * No biases (the notebook preset has none).
 */
export function buildStockModel(hyper: Hyperparameters, users: number, items: number, metadataWidth: number): StockModel {
  if (hyper.biases) throw new Error('the stock model has no biases: use the notebook preset');
  const dim = hyper.embeddingDim;
  const embeddingsInitializer = tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05 });
  const userInput = tf.input({ shape: [1], dtype: 'int32', name: 'user' });
  const itemInput = tf.input({ shape: [1], dtype: 'int32', name: 'item' });
  const userEmbedding = tf.layers.embedding({ inputDim: users, outputDim: dim, embeddingsInitializer, name: 'user_embedding' });
  const itemEmbedding = tf.layers.embedding({ inputDim: items, outputDim: dim, embeddingsInitializer, name: 'item_embedding' });
  const u = tf.layers.flatten().apply(userEmbedding.apply(userInput)) as tf.SymbolicTensor;
  const i = tf.layers.flatten().apply(itemEmbedding.apply(itemInput)) as tf.SymbolicTensor;
  const inputs = [userInput, itemInput];
  const dense: tf.layers.Layer[] = [];
  let output: tf.SymbolicTensor;
  const { headOutputs, rating } = kindDefinition(hyper.kind);
  if (headOutputs === 0) {
    output = tf.layers.dot({ axes: 1 }).apply([u, i]) as tf.SymbolicTensor;
  } else {
    const parts = [u, i];
    if (metadataWidth > 0) {
      const metadataInput = tf.input({ shape: [metadataWidth], name: 'metadata' });
      inputs.push(metadataInput);
      parts.push(metadataInput);
    }
    let x = tf.layers.concatenate().apply(parts) as tf.SymbolicTensor;
    if (hyper.dropout > 0) x = tf.layers.dropout({ rate: hyper.dropout }).apply(x) as tf.SymbolicTensor;
    for (const units of hyper.hiddenUnits) {
      const layer = tf.layers.dense({ units, activation: 'relu' });
      dense.push(layer);
      x = layer.apply(x) as tf.SymbolicTensor;
    }
    const last = tf.layers.dense({ units: headOutputs, activation: rating === 'class-expectation' ? 'softmax' : 'linear' });
    dense.push(last);
    output = last.apply(x) as tf.SymbolicTensor;
  }
  const model = tf.model({ inputs, outputs: output });
  model.compile({
    optimizer: tf.train.adam(hyper.learningRate),
    loss: hyper.loss === 'crossentropy' ? 'sparseCategoricalCrossentropy' : hyper.loss === 'mae' ? 'meanAbsoluteError' : 'meanSquaredError',
  });
  return { model, userEmbedding, itemEmbedding, dense, metadataWidth };
}

/** Copies our model's weights into the stock one (same init, so both start equal). */
export function copyWeights(from: Model, to: StockModel): void {
  const dim = from.hyper.embeddingDim;
  to.userEmbedding.setWeights([tf.tensor2d(from.userEmbeddings, [from.userIds.length, dim])]);
  to.itemEmbedding.setWeights([tf.tensor2d(from.itemEmbeddings, [from.itemIds.length, dim])]);
  const layers = from.head?.layers ?? [];
  if (layers.length !== to.dense.length) throw new Error(`our head has ${layers.length} Dense layers, the stock model ${to.dense.length}`);
  layers.forEach((layer, l) => {
    // Both row-major [inputs, units].
    to.dense[l]!.setWeights([tf.tensor2d(layer.weights, [layer.inputs, layer.units]), tf.tensor1d(layer.bias)]);
  });
}

/** The stock model's inputs and targets for the ratings at `indices`. */
function batchTensors(stock: StockModel, hyper: Hyperparameters, dataset: RatingsDataset, features: Float32Array, indices: ArrayLike<number>) {
  const count = indices.length;
  const users = new Int32Array(count);
  const items = new Int32Array(count);
  const targets = new Float32Array(count);
  const width = stock.metadataWidth;
  const metadata = new Float32Array(count * width);
  for (let k = 0; k < count; k++) {
    const index = indices[k]!;
    users[k] = dataset.users[index]!;
    items[k] = dataset.items[index]!;
    // sparseCategoricalCrossentropy takes class indices: the ratings 1..10 are the classes 0..9.
    targets[k] = hyper.loss === 'crossentropy' ? dataset.ratings[index]! - 1 : dataset.ratings[index]!;
    if (width > 0) metadata.set(features.subarray(items[k]! * width, (items[k]! + 1) * width), k * width);
  }
  const inputs = [tf.tensor2d(users, [count, 1], 'int32'), tf.tensor2d(items, [count, 1], 'int32')];
  if (width > 0) inputs.push(tf.tensor2d(metadata, [count, width]));
  return { inputs, targets: tf.tensor2d(targets, [count, 1]) };
}

export interface Equivalence {
  /** Trainable parameters: ours (embeddings + head) and the stock model's. */
  oursParams: number;
  stockParams: number;
  /**
   * Largest |ours - stock| of the raw model output on a test batch, same weights (embeddings
   * scaled ×PROBE_SCALE): the dot or the head's output (before predictRows' clipping to the
   * rating scale), the class probabilities for the classifier.
   */
  maxOutputDiff: number;
  /** Largest |output| in that batch, for scale. */
  maxOutput: number;
  /** Loss on that batch (no dropout): ours (evaluateLoss) and stock (model.evaluate). */
  oursLoss: number;
  stockLoss: number;
}

export interface StockRun {
  throughput: Throughput;
  batches: number;
  firstLoss: number;
  lastLoss: number;
  equivalence: Equivalence;
  /** Live tensors after the first step and at the end: a leak would make the loop look slow. */
  tensors: { afterWarmup: number; atEnd: number };
}

const CHECK_SAMPLES = 512;
/** Embeddings ±0.05 × 20 = ±1: dot products and head outputs of a few rating units. */
const PROBE_SCALE = 20;
/** Float32 sums in a different order differ by ~1e-6 at these magnitudes. */
export const EQUIVALENCE_TOLERANCE = 1e-4;

/**
 * Builds the stock model from our initial weights, checks it computes what ours does, then
 * trains it on shuffled training batches: warm-up (at least one step and `warmupSeconds`),
 * then counted steps until `budgetSeconds` of them and at least `minWindows` windows.
 */
export async function runStockModel(
  dataset: RatingsDataset,
  split: DatasetSplit,
  hyper: Hyperparameters,
  options: { budgetSeconds: number; warmupSeconds: number; minWindows: number },
): Promise<StockRun> {
  const featureSpec = hyper.features ? fitFeatureSpec(dataset.itemMetadata, hyper.features) : null;
  const features = featureSpec ? itemFeatures(featureSpec, dataset.itemMetadata) : new Float32Array(0);
  const random = mulberry32(hyper.seed);
  const ours = initModel(hyper, { users: dataset.userIds, items: dataset.itemIds }, 0, featureSpec, features, random);
  const stock = buildStockModel(hyper, dataset.userIds.length, dataset.itemIds.length, featureSpec ? featureWidth(featureSpec) : 0);
  // Checked with embeddings scaled up so that outputs span the rating scale (at init they are ~0).
  const probe: Model = {
    ...ours,
    userEmbeddings: ours.userEmbeddings.map((value) => value * PROBE_SCALE),
    itemEmbeddings: ours.itemEmbeddings.map((value) => value * PROBE_SCALE),
  };
  copyWeights(probe, stock);
  const equivalence = checkEquivalence(probe, stock, hyper, dataset, split, features);
  copyWeights(ours, stock);

  const order = shuffleInPlace(Int32Array.from(split.train), random);
  const B = hyper.batchSize;
  const batchesPerEpoch = Math.floor(order.length / B);
  let batches = 0;
  let firstLoss = NaN;
  let lastLoss = NaN;
  const step = async () => {
    const from = (batches % batchesPerEpoch) * B;
    const { inputs, targets } = batchTensors(stock, hyper, dataset, features, order.subarray(from, from + B));
    const loss = (await stock.model.trainOnBatch(inputs, targets)) as number;
    tf.dispose([...inputs, targets]);
    // Checked inside the timed loop: a step that produced garbage must not pass as fast.
    if (!Number.isFinite(loss)) throw new Error(`stock ${hyper.kind}: loss ${loss} at step ${batches + 1}`);
    batches++;
    if (batches === 1) firstLoss = loss;
    lastLoss = loss;
  };

  const warmupStarted = performance.now();
  do {
    await step();
  } while (performance.now() - warmupStarted < options.warmupSeconds * 1000);
  const afterWarmup = tf.memory().numTensors;
  const meter = new WindowMeter(0);
  const counted = batches;
  while (meter.countedSeconds < options.budgetSeconds || meter.windows < options.minWindows) {
    await step();
    meter.mark((batches - counted) * B);
  }
  return { throughput: meter.result(), batches, firstLoss, lastLoss, equivalence, tensors: { afterWarmup, atEnd: tf.memory().numTensors } };
}

function checkEquivalence(
  ours: Model,
  stock: StockModel,
  hyper: Hyperparameters,
  dataset: RatingsDataset,
  split: DatasetSplit,
  features: Float32Array,
): Equivalence {
  const indices = split.test.subarray(0, Math.min(CHECK_SAMPLES, split.test.length));
  const oursOutputs = rawOutputs(ours, dataset, indices);
  const { inputs, targets } = batchTensors(stock, hyper, dataset, features, indices);
  const output = stock.model.predict(inputs) as tf.Tensor;
  const stockOutputs = output.dataSync();
  if (stockOutputs.length !== oursOutputs.length) throw new Error(`stock ${hyper.kind}: ${stockOutputs.length} outputs, ours ${oursOutputs.length}`);
  let maxOutputDiff = 0;
  let maxOutput = 0;
  for (let j = 0; j < oursOutputs.length; j++) {
    maxOutputDiff = Math.max(maxOutputDiff, Math.abs(stockOutputs[j]! - oursOutputs[j]!));
    maxOutput = Math.max(maxOutput, Math.abs(oursOutputs[j]!));
  }
  const evaluated = stock.model.evaluate(inputs, targets, { batchSize: indices.length }) as tf.Scalar;
  const stockLoss = evaluated.dataSync()[0]!;
  tf.dispose([...inputs, targets, output, evaluated]);
  const headParams = (ours.head?.layers ?? []).reduce((sum, layer) => sum + layer.weights.length + layer.bias.length, 0);
  return {
    oursParams: ours.userEmbeddings.length + ours.itemEmbeddings.length + headParams,
    stockParams: stock.model.countParams(),
    maxOutputDiff,
    maxOutput,
    oursLoss: evaluateLoss(ours, dataset, indices),
    stockLoss,
  };
}

/**
 * Our model's raw outputs for the ratings at `indices`, computed as the trainer does
 * (src/trainer/train.ts): [count] dot products (mf) or head outputs, [count, 10] softmax
 * probabilities for the classifier. No biases: the stock models have none.
 */
function rawOutputs(model: Model, dataset: RatingsDataset, indices: Int32Array): Float32Array {
  const dim = model.hyper.embeddingDim;
  const count = indices.length;
  if (!model.head) {
    const out = new Float32Array(count);
    for (let k = 0; k < count; k++) {
      const u = dataset.users[indices[k]!]! * dim;
      const i = dataset.items[indices[k]!]! * dim;
      let sum = 0;
      for (let j = 0; j < dim; j++) sum += model.userEmbeddings[u + j]! * model.itemEmbeddings[i + j]!;
      out[k] = sum;
    }
    return out;
  }
  const x = new Float32Array(count * headInputWidth(model.hyper, model.featureSpec));
  for (let k = 0; k < count; k++) writeHeadInput(model, x, k, dataset.users[indices[k]!]!, dataset.items[indices[k]!]!);
  const out = headForward(model.head, x, count);
  if (kindDefinition(model.hyper.kind).rating !== 'class-expectation') return out;
  for (let k = 0; k < count; k++) {
    const row = out.subarray(k * RATING_CLASSES, (k + 1) * RATING_CLASSES);
    const max = Math.max(...row);
    let total = 0;
    for (let c = 0; c < RATING_CLASSES; c++) total += Math.exp(row[c]! - max);
    for (let c = 0; c < RATING_CLASSES; c++) row[c] = Math.exp(row[c]! - max) / total;
  }
  return out;
}
