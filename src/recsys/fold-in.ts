/**
 * Folding a user in: after a rating, the user's embedding (and bias) is re-fitted at once
 * against the fixed item embeddings and head of the served model, so the next recommendation
 * reflects it, also for a brand-new user with one rating (cold start).
 * - mf: closed-form ridge regression on [item vector, 1] (the bias as the last weight);
 * - heads: a few Adam steps on the user's input to the fixed head.
 */
import { DenseAdam } from '../models/adam';
import { solveSpd } from '../models/spd-solve';
import { headTrainStep } from '../models/head-train-step';
import { kindDefinition } from '../models/kinds';
import { headInputWidth, writeHeadInput, type Model } from '../models/model';
import { crossEntropy, pointLossDerivative } from '../models/losses';
import { addsDotProduct, unclippedRating } from '../models/rating';

export interface RatedItem {
  /** Item row in the model. */
  itemRow: number;
  rating: number;
}

export interface FoldedUser {
  vector: Float32Array;
  bias: number;
}

/** Ridge penalty of the mf fold-in, on the vector and the bias. */
export const FOLD_IN_RIDGE = 2;
export const FOLD_IN_STEPS = 30;
export const FOLD_IN_LEARNING_RATE = 0.04;

function foldInDot(model: Model, rated: readonly RatedItem[]): FoldedUser {
  const dim = model.hyper.embeddingDim;
  const withBias = model.hyper.biases;
  const n = dim + (withBias ? 1 : 0);
  const ata = new Float64Array(n * n);
  const atb = new Float64Array(n);
  const feature = new Float64Array(n);
  for (const { itemRow, rating } of rated) {
    for (let j = 0; j < dim; j++) feature[j] = model.itemEmbeddings[itemRow * dim + j]!;
    if (withBias) feature[dim] = 1;
    const target = rating - (withBias ? model.globalMean + model.itemBias[itemRow]! : 0);
    for (let i = 0; i < n; i++) {
      atb[i] = atb[i]! + feature[i]! * target;
      for (let j = 0; j < n; j++) ata[i * n + j] = ata[i * n + j]! + feature[i]! * feature[j]!;
    }
  }
  for (let i = 0; i < n; i++) ata[i * n + i] = ata[i * n + i]! + FOLD_IN_RIDGE;
  const solution = solveSpd(ata, atb, n);
  return { vector: Float32Array.from(solution.subarray(0, dim)), bias: withBias ? solution[dim]! : 0 };
}

/** Mean user vectors, per user table (a served model's table changes only when a user is added). */
const meanUsers = new WeakMap<Float32Array, Float32Array>();

/** The mean user vector: where a head's fold-in starts. */
function meanUser(model: Model): Float32Array {
  const cached = meanUsers.get(model.userEmbeddings);
  if (cached) return cached;
  const dim = model.hyper.embeddingDim;
  const mean = new Float32Array(dim);
  const users = model.userIds.length;
  for (let u = 0; u < users; u++) for (let j = 0; j < dim; j++) mean[j] = mean[j]! + model.userEmbeddings[u * dim + j]! / users;
  meanUsers.set(model.userEmbeddings, mean);
  return mean;
}

function foldInHead(model: Model, rated: readonly RatedItem[]): FoldedUser {
  const dim = model.hyper.embeddingDim;
  const width = headInputWidth(model.hyper, model.featureSpec);
  const count = rated.length;
  const params = new Float32Array(dim + 1);
  params.set(meanUser(model));
  const optimizer = new DenseAdam(params, { learningRate: FOLD_IN_LEARNING_RATE });
  // A scratch model whose only user row is the one being fitted.
  const scratch: Model = { ...model, userEmbeddings: params.subarray(0, dim), userBias: params.subarray(dim) };
  const x = new Float32Array(count * width);
  const { loss, headOutputs: outputWidth } = kindDefinition(model.hyper.kind);
  const outputGrad = new Float32Array(count * outputWidth);
  const grads = new Float32Array(dim + 1);
  const withDot = addsDotProduct(model.hyper);
  for (let step = 0; step < FOLD_IN_STEPS; step++) {
    rated.forEach(({ itemRow }, k) => writeHeadInput(scratch, x, k, 0, itemRow));
    const result = headTrainStep(model.head!, x, count, (outputs) => {
      rated.forEach(({ itemRow, rating }, k) => {
        if (loss === 'crossentropy') {
          crossEntropy(outputs, k * outputWidth, rating, outputGrad);
          for (let c = 0; c < outputWidth; c++) outputGrad[k * outputWidth + c] = outputGrad[k * outputWidth + c]! / count;
        } else {
          // Squared error whatever the training loss: it fits a few ratings fastest.
          const predicted = unclippedRating(model, params, 0, params[dim]!, itemRow, outputs[k]!);
          outputGrad[k] = pointLossDerivative('mse', predicted, rating) / count;
        }
      });
      return outputGrad;
    });
    grads.fill(0);
    for (let k = 0; k < count; k++) {
      for (let j = 0; j < dim; j++) grads[j] = grads[j]! + result.input[k * width + j]!;
      if (withDot) for (let j = 0; j < dim; j++) grads[j] = grads[j]! + outputGrad[k]! * model.itemEmbeddings[rated[k]!.itemRow * dim + j]!;
      if (model.hyper.biases && outputWidth === 1) grads[dim] = grads[dim]! + outputGrad[k]!;
    }
    optimizer.apply(grads);
  }
  return { vector: params.slice(0, dim), bias: model.hyper.biases ? params[dim]! : 0 };
}

export function foldInUser(model: Model, rated: readonly RatedItem[]): FoldedUser {
  if (rated.length === 0) return { vector: meanUser(model).slice(), bias: 0 };
  return kindDefinition(model.hyper.kind).headOutputs > 0 ? foldInHead(model, rated) : foldInDot(model, rated);
}
