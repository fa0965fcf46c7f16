/**
 * Predicted ratings for pairs of rows (userRows[k], itemRows[k]), within the rating scale (the
 * classifier's expected rating): on tfjs' current backend (`predictRows`, what training's
 * evaluation and serving run), or with the head's ops on a chosen backend, GPU included
 * (`predictRowsOn`). Both walk the pairs in the same chunks: head inputs, one forward pass,
 * ratings assembled by `ratingOf`.
 */
import * as tf from '@tensorflow/tfjs';
import { dispatchOn, readsAsynchronously, tfjsName, type BackendName } from './backend';
import { headForward, headForwardOps } from './dense-head';
import { kindDefinition } from './kinds';
import { headInputWidth, writeHeadInput, type Model } from './model';
import { argmaxRating, rowRating } from './rating';

/** Pairs per forward pass on the CPU. */
const PREDICT_CHUNK = 8192;
/** Pairs per GPU dispatch: [chunk, inputs] float32 stays a few MB for any supported width. */
const GPU_CHUNK = 16384;

/** [start, count) ranges of `size` over `total` items. */
function* chunks(total: number, size: number): Generator<{ start: number; count: number }> {
  for (let start = 0; start < total; start += size) yield { start, count: Math.min(size, total - start) };
}

/** The head inputs of pairs start..start+count-1, row-major [count, headInputWidth]. */
function pairInputs(model: Model, userRows: Int32Array, itemRows: Int32Array, start: number, count: number): Float32Array {
  const x = new Float32Array(count * headInputWidth(model.hyper, model.featureSpec));
  for (let k = 0; k < count; k++) writeHeadInput(model, x, k, userRows[start + k]!, itemRows[start + k]!);
  return x;
}

/** Writes the ratings of pairs start..start+count-1 from their head outputs (null without a head). */
function writeRatings(
  model: Model,
  userRows: Int32Array,
  itemRows: Int32Array,
  start: number,
  count: number,
  outputs: Float32Array | null,
  out: Float32Array,
  classifierArgmax?: Float32Array,
): void {
  for (let k = 0; k < count; k++) out[start + k] = rowRating(model, outputs, k, userRows[start + k]!, itemRows[start + k]!);
  const definition = kindDefinition(model.hyper.kind);
  if (classifierArgmax && outputs !== null && definition.rating === 'class-expectation') {
    for (let k = 0; k < count; k++) classifierArgmax[start + k] = argmaxRating(outputs, k * definition.headOutputs);
  }
}

/**
 * Predicted ratings for pairs of rows, on tfjs' current backend. For the classifier, the
 * expected rating; `classifierArgmax` receives the argmax+1 predictions.
 */
export function predictRows(
  model: Model,
  userRows: Int32Array,
  itemRows: Int32Array,
  out: Float32Array = new Float32Array(userRows.length),
  classifierArgmax?: Float32Array,
): Float32Array {
  const head = model.head;
  if (head === null) {
    writeRatings(model, userRows, itemRows, 0, userRows.length, null, out);
    return out;
  }
  for (const { start, count } of chunks(userRows.length, PREDICT_CHUNK)) {
    const outputs = headForward(head, pairInputs(model, userRows, itemRows, start, count), count);
    writeRatings(model, userRows, itemRows, start, count, outputs, out, classifierArgmax);
  }
  return out;
}

export interface PredictOnOptions {
  /**
   * Use the asynchronous dispatch-then-await path even on a synchronous backend (tests run the
   * GPU path's code on the CPU this way).
   */
  forceAsync?: boolean;
}

/**
 * `predictRows` with the head's ops on `backend`, equal to it within float tolerance (tested on
 * every backend found). On a backend that reads synchronously (cpu, wasm, tensorflow,
 * tensorflow-gpu) this is `predictRows` itself; on `webgpu`, which in Node can only read results
 * asynchronously, each chunk's forward pass is dispatched on the GPU and read with `await`. The
 * backend must have been initialised by selectBackend.
 */
export async function predictRowsOn(
  backend: BackendName,
  model: Model,
  userRows: Int32Array,
  itemRows: Int32Array,
  options: PredictOnOptions = {},
): Promise<Float32Array> {
  const name = tfjsName(backend);
  const head = model.head;
  if (head === null || (!readsAsynchronously(backend) && !options.forceAsync)) {
    return dispatchOn(name, () => predictRows(model, userRows, itemRows));
  }
  const out = new Float32Array(userRows.length);
  for (const { start, count } of chunks(userRows.length, GPU_CHUNK)) {
    const x = pairInputs(model, userRows, itemRows, start, count);
    const outputs = dispatchOn(name, () => tf.tidy(() => headForwardOps(head, x, count)));
    try {
      writeRatings(model, userRows, itemRows, start, count, (await outputs.data()) as Float32Array, out);
    } finally {
      outputs.dispose();
    }
  }
  return out;
}

/** Predicted ratings of every item (row order) for one user row, on `backend`. */
export function scoreAllItemsOn(backend: BackendName, model: Model, userRow: number, options: PredictOnOptions = {}): Promise<Float32Array> {
  const items = model.itemIds.length;
  const itemRows = new Int32Array(items);
  for (let i = 0; i < items; i++) itemRows[i] = i;
  return predictRowsOn(backend, model, new Int32Array(items).fill(userRow), itemRows, options);
}
