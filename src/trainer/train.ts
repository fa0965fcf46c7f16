/**
 * The training loop for every kind: mini-batches over the training split, embedding rows
 * updated sparsely (LazyAdam on the rows in the batch), the dense head on tfjs with DenseAdam,
 * validation loss per epoch, learning-rate decay and early stopping (keeping the best epoch).
 * Seeded: the same data, hyperparameters and seed give the same model.
 */
import { YieldPoint } from '../yield-point';
import { DenseAdam, KERAS_ADAM, LazyAdam } from '../models/adam';
import { fitFeatureSpec, itemFeatures } from '../models/features';
import type { Hyperparameters } from '../models/hyperparameters';
import { currentBackend, readsAsynchronously, tfjsName } from '../models/backend';
import { headTrainStep, headTrainStepOn, type HeadGradients } from '../models/head-train-step';
import { headForward } from '../models/dense-head';
import { kindDefinition } from '../models/kinds';
import { headInputWidth, headOutputWidth, initModel, writeHeadInput, type Model } from '../models/model';
import { addsDotProduct, unclippedRating } from '../models/rating';
import { SparseRowGradients } from '../models/sparse-rows';
import type { EpochRecord } from '../versions/draft';
import { pick, type DatasetSplit, type RatingsDataset } from './dataset';
import { fitBaselineOnly } from './baselines';
import { mulberry32, shuffleInPlace } from './random';
import { crossEntropy, pointLoss, pointLossDerivative, type PointLossName } from '../models/losses';
import { failpoint } from '../faults/failpoint';

export interface TrainProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Mean training loss so far in this epoch. */
  loss: number;
  samplesPerSecond: number;
}

export interface TrainCallbacks {
  onBatch?(progress: TrainProgress): void;
  onEpoch?(record: EpochRecord): void;
  signal?: AbortSignal;
}

export interface TrainResult {
  model: Model;
  history: EpochRecord[];
  /** The epoch whose weights were kept (1-based). */
  bestEpoch: number;
  seconds: number;
  samplesPerSecond: number;
}


interface Optimizers {
  users: LazyAdam;
  items: LazyAdam;
  userBias: LazyAdam | null;
  itemBias: LazyAdam | null;
  head: DenseAdam[];
}

function createOptimizers(model: Model, hyper: Hyperparameters): Optimizers {
  const embeddings = { learningRate: hyper.learningRate, epsilon: KERAS_ADAM.epsilon, l2: hyper.l2Embeddings };
  // Biases are not penalized: shrinking them toward 0 only pulls predictions to the global mean.
  const biases = { learningRate: hyper.learningRate, epsilon: KERAS_ADAM.epsilon };
  const head = { learningRate: hyper.learningRate, epsilon: KERAS_ADAM.epsilon, l2: hyper.l2Head };
  const dim = hyper.embeddingDim;
  return {
    users: new LazyAdam(model.userEmbeddings, dim, embeddings),
    items: new LazyAdam(model.itemEmbeddings, dim, embeddings),
    userBias: hyper.biases ? new LazyAdam(model.userBias, 1, biases) : null,
    itemBias: hyper.biases ? new LazyAdam(model.itemBias, 1, biases) : null,
    head: (model.head?.layers ?? []).flatMap((layer) => [new DenseAdam(layer.weights, head), new DenseAdam(layer.bias, head)]),
  };
}

function setLearningRate(optimizers: Optimizers, learningRate: number): void {
  for (const optimizer of [optimizers.users, optimizers.items, optimizers.userBias, optimizers.itemBias, ...optimizers.head]) {
    optimizer?.setLearningRate(learningRate);
  }
}

/** A deep copy of the learned parameters, for keeping the best epoch. */
function snapshot(model: Model): Float32Array[] {
  return parameterArrays(model).map((array) => array.slice());
}

function parameterArrays(model: Model): Float32Array[] {
  return [
    model.userEmbeddings,
    model.itemEmbeddings,
    model.userBias,
    model.itemBias,
    ...(model.head?.layers ?? []).flatMap((layer) => [layer.weights, layer.bias]),
  ];
}

function restore(model: Model, saved: Float32Array[]): void {
  parameterArrays(model).forEach((array, k) => array.set(saved[k]!));
}

const EVAL_CHUNK = 8192;

/** Mean loss of the model on the ratings at `indices`, in the model's own loss (no dropout). */
export function evaluateLoss(model: Model, dataset: RatingsDataset, indices: Int32Array): number {
  const { hyper } = model;
  if (indices.length === 0) return NaN;
  let sum = 0;
  const width = headInputWidth(hyper, model.featureSpec);
  const dim = hyper.embeddingDim;
  const { loss: lossKind, headOutputs } = kindDefinition(hyper.kind);
  for (let start = 0; start < indices.length; start += EVAL_CHUNK) {
    const count = Math.min(EVAL_CHUNK, indices.length - start);
    const outputs = model.head ? (() => {
      const x = new Float32Array(count * width);
      for (let k = 0; k < count; k++) {
        const index = indices[start + k]!;
        writeHeadInput(model, x, k, dataset.users[index]!, dataset.items[index]!);
      }
      return headForward(model.head!, x, count);
    })() : null;
    for (let k = 0; k < count; k++) {
      const index = indices[start + k]!;
      const u = dataset.users[index]!;
      const i = dataset.items[index]!;
      const y = dataset.ratings[index]!;
      if (lossKind === 'crossentropy') {
        sum += crossEntropy(outputs!, k * headOutputs, y);
        continue;
      }
      const predicted = unclippedRating(model, model.userEmbeddings, u * dim, model.userBias[u]!, i, outputs ? outputs[k]! : 0);
      sum += pointLoss(hyper.loss as PointLossName, predicted, y);
    }
  }
  return sum / indices.length;
}

/** Yields to the event loop this often (ms), reporting progress then, so progress output and aborts get through. */
const YIELD_EVERY_MS = 200;

export async function trainModel(
  dataset: RatingsDataset,
  split: DatasetSplit,
  hyper: Hyperparameters,
  callbacks: TrainCallbacks = {},
): Promise<TrainResult> {
  const random = mulberry32(hyper.seed);
  let mean = 0;
  for (const index of split.train) mean += dataset.ratings[index]!;
  mean /= Math.max(split.train.length, 1);
  const featureSpec = hyper.features ? fitFeatureSpec(dataset.itemMetadata, hyper.features) : null;
  const features = featureSpec ? itemFeatures(featureSpec, dataset.itemMetadata) : new Float32Array(0);
  const model = initModel(hyper, { users: dataset.userIds, items: dataset.itemIds }, mean, featureSpec, features, random);
  if (hyper.biases) {
    // Warm start from the BaselineOnly fit: Adam moves each bias by ~learningRate per update,
    // too slowly for users with few ratings to reach their level in a few epochs.
    const train = pick(dataset, split.train);
    const baseline = fitBaselineOnly({ ...train, numUsers: dataset.userIds.length, numItems: dataset.itemIds.length });
    model.globalMean = baseline.mean;
    model.userBias.set(baseline.userBias);
    model.itemBias.set(baseline.itemBias);
  }
  const optimizers = createOptimizers(model, hyper);

  const dim = hyper.embeddingDim;
  const B = hyper.batchSize;
  const width = headInputWidth(hyper, featureSpec);
  const userGrads = new SparseRowGradients(dataset.userIds.length, dim, B);
  const itemGrads = new SparseRowGradients(dataset.itemIds.length, dim, B);
  const userBiasGrads = new SparseRowGradients(dataset.userIds.length, 1, B);
  const itemBiasGrads = new SparseRowGradients(dataset.itemIds.length, 1, B);
  const x = new Float32Array(B * width);
  const mask = hyper.dropout > 0 ? new Float32Array(B * width) : undefined;
  const { loss: lossKind } = kindDefinition(hyper.kind);
  const pointLossName = hyper.loss as PointLossName;
  // Without a head, one gradient per sample (dLoss/dRating) still flows to the biases.
  const outputWidth = Math.max(1, headOutputWidth(hyper));
  const outputGrad = new Float32Array(B * outputWidth);
  const withDot = addsDotProduct(hyper);
  // Under webgpu (results read only asynchronously) the head's steps run on the GPU and are
  // awaited; on every other backend headTrainStep runs on tfjs' global backend.
  const scoring = currentBackend()?.scoring;
  const headStep = (...args: Parameters<typeof headTrainStep>): HeadGradients | Promise<HeadGradients> =>
    scoring !== undefined && readsAsynchronously(scoring) ? headTrainStepOn(tfjsName(scoring), true, ...args) : headTrainStep(...args);
  const order = Int32Array.from(split.train);
  const batches = Math.ceil(order.length / B);

  const history: EpochRecord[] = [];
  let best = { valLoss: Infinity, epoch: 0, saved: null as Float32Array[] | null };
  let learningRate = hyper.learningRate;
  const started = performance.now();
  let samples = 0;

  for (let epoch = 1; epoch <= hyper.epochs; epoch++) {
    const epochStarted = performance.now();
    shuffleInPlace(order, random);
    let lossSum = 0;
    const yieldPoint = new YieldPoint(YIELD_EVERY_MS);
    for (let b = 0; b < batches; b++) {
      const from = b * B;
      const count = Math.min(B, order.length - from);
      let batchLoss = 0;

      if (model.head) {
        for (let k = 0; k < count; k++) {
          const index = order[from + k]!;
          writeHeadInput(model, x, k, dataset.users[index]!, dataset.items[index]!);
        }
        if (mask) {
          const keep = 1 / (1 - hyper.dropout);
          for (let j = 0; j < count * width; j++) mask[j] = random() < hyper.dropout ? 0 : keep;
        }
        const grads = await headStep(
          model.head,
          x.subarray(0, count * width),
          count,
          (outputs) => {
            for (let k = 0; k < count; k++) {
              const index = order[from + k]!;
              const y = dataset.ratings[index]!;
              if (lossKind === 'crossentropy') {
                batchLoss += crossEntropy(outputs, k * outputWidth, y, outputGrad);
                continue;
              }
              const u = dataset.users[index]!;
              const predicted = unclippedRating(model, model.userEmbeddings, u * dim, model.userBias[u]!, dataset.items[index]!, outputs[k]!);
              batchLoss += pointLoss(pointLossName, predicted, y);
              outputGrad[k] = pointLossDerivative(pointLossName, predicted, y);
            }
            const scaled = outputGrad.subarray(0, count * outputWidth);
            for (let j = 0; j < scaled.length; j++) scaled[j] = scaled[j]! / count;
            return scaled;
          },
          mask?.subarray(0, count * width),
        );
        for (let k = 0; k < count; k++) {
          const index = order[from + k]!;
          userGrads.add(dataset.users[index]!, grads.input, k * width);
          itemGrads.add(dataset.items[index]!, grads.input, k * width + dim);
          if (withDot) {
            // d(u·v)/du = v and d(u·v)/dv = u, times dLoss/dOutput (already divided by the batch size).
            userGrads.add(dataset.users[index]!, model.itemEmbeddings, dataset.items[index]! * dim, outputGrad[k]!);
            itemGrads.add(dataset.items[index]!, model.userEmbeddings, dataset.users[index]! * dim, outputGrad[k]!);
          }
          if (hyper.biases) {
            userBiasGrads.add(dataset.users[index]!, outputGrad, k);
            itemBiasGrads.add(dataset.items[index]!, outputGrad, k);
          }
        }
        model.head.layers.forEach((_, l) => {
          optimizers.head[2 * l]!.apply(grads.weights[l]!);
          optimizers.head[2 * l + 1]!.apply(grads.biases[l]!);
        });
      } else {
        for (let k = 0; k < count; k++) {
          const index = order[from + k]!;
          const u = dataset.users[index]!;
          const i = dataset.items[index]!;
          const predicted = unclippedRating(model, model.userEmbeddings, u * dim, model.userBias[u]!, i, 0);
          batchLoss += pointLoss(pointLossName, predicted, dataset.ratings[index]!);
          const g = pointLossDerivative(pointLossName, predicted, dataset.ratings[index]!) / count;
          userGrads.add(u, model.itemEmbeddings, i * dim, g);
          itemGrads.add(i, model.userEmbeddings, u * dim, g);
          if (hyper.biases) {
            outputGrad[0] = g;
            userBiasGrads.add(u, outputGrad, 0);
            itemBiasGrads.add(i, outputGrad, 0);
          }
        }
      }

      optimizers.users.apply(userGrads.rows, userGrads.count, userGrads.grads);
      optimizers.items.apply(itemGrads.rows, itemGrads.count, itemGrads.grads);
      optimizers.userBias?.apply(userBiasGrads.rows, userBiasGrads.count, userBiasGrads.grads);
      optimizers.itemBias?.apply(itemBiasGrads.rows, itemBiasGrads.count, itemBiasGrads.grads);
      userGrads.clear();
      itemGrads.clear();
      userBiasGrads.clear();
      itemBiasGrads.clear();

      lossSum += batchLoss;
      samples += count;
      if (yieldPoint.due() || b === batches - 1) {
        callbacks.onBatch?.({
          epoch,
          epochs: hyper.epochs,
          batch: b + 1,
          batches,
          loss: lossSum / (from + count),
          samplesPerSecond: samples / ((performance.now() - started) / 1000),
        });
        await yieldPoint.yield();
        callbacks.signal?.throwIfAborted();
      }
    }

    const valLoss = evaluateLoss(model, dataset, split.validation);
    const record: EpochRecord = { epoch, loss: lossSum / order.length, valLoss, seconds: (performance.now() - epochStarted) / 1000 };
    history.push(record);
    callbacks.onEpoch?.(record);
    // Crash tests (test/reliability): a run killed in the middle of training.
    if (epoch === 1) failpoint('train:after-first-epoch');
    if (!(valLoss >= best.valLoss)) {
      best = { valLoss, epoch, saved: hyper.earlyStoppingPatience === null ? null : snapshot(model) };
    } else if (hyper.earlyStoppingPatience !== null && epoch - best.epoch >= hyper.earlyStoppingPatience) {
      break;
    }
    learningRate *= hyper.learningRateDecay;
    setLearningRate(optimizers, learningRate);
  }
  if (best.saved) restore(model, best.saved);
  const seconds = (performance.now() - started) / 1000;
  return {
    model,
    history,
    bestEpoch: hyper.earlyStoppingPatience === null ? history.length : best.epoch,
    seconds,
    samplesPerSecond: samples / seconds,
  };
}
