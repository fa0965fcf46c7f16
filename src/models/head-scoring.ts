/**
 * Batched head scoring on a chosen tfjs backend, GPU included: predicted ratings for many
 * (user, item) row pairs, equal to `predictRows` within float tolerance (tested on every backend
 * found). On a backend that reads synchronously (cpu, wasm, tensorflow, tensorflow-gpu) this is
 * `predictRows` itself with its ops dispatched there. On `webgpu`, which in Node can only read
 * results asynchronously, the head's layers are dispatched on the GPU and read with `await`.
 */
import * as tf from '@tensorflow/tfjs';
import { dispatchOn, readsAsynchronously, tfjsName, type BackendName } from './backend';
import { RATING_CLASSES } from './hyperparameters';
import { headForwardOps } from './dense-head';
import { expectedRating, headInputWidth, rowRating, predictRows, writeHeadInput, type Model } from './model';

/** Pairs per GPU dispatch: [chunk, inputs] float32 stays a few MB for any supported width. */
const GPU_CHUNK = 16384;


export interface HeadScoringOptions {
  /**
   * Use the asynchronous dispatch-then-await path even on a synchronous backend (tests run the
   * GPU path's code on the CPU this way).
   */
  forceAsync?: boolean;
}

/**
 * Predicted ratings (1..10; the classifier's expected rating) for pairs (userRows[k], itemRows[k])
 * with the head's ops on `backend`. The backend must have been initialised by selectBackend.
 */
export async function predictRowsOn(
  backend: BackendName,
  model: Model,
  userRows: Int32Array,
  itemRows: Int32Array,
  options: HeadScoringOptions = {},
): Promise<Float32Array> {
  const name = tfjsName(backend);
  const head = model.head;
  if (head === null || (!readsAsynchronously(backend) && !options.forceAsync)) {
    return dispatchOn(name, () => predictRows(model, userRows, itemRows));
  }
  const { hyper } = model;
  const width = headInputWidth(hyper, model.featureSpec);
  const out = new Float32Array(userRows.length);
  for (let start = 0; start < userRows.length; start += GPU_CHUNK) {
    const count = Math.min(GPU_CHUNK, userRows.length - start);
    const x = new Float32Array(count * width);
    for (let k = 0; k < count; k++) writeHeadInput(model, x, k, userRows[start + k]!, itemRows[start + k]!);
    const outputs = dispatchOn(name, () => tf.tidy(() => headForwardOps(head, x, count)));
    let values: Float32Array;
    try {
      values = (await outputs.data()) as Float32Array;
    } finally {
      outputs.dispose();
    }
    for (let k = 0; k < count; k++) {
      out[start + k] =
        hyper.kind === 'hybrid-classifier'
          ? expectedRating(values, k * RATING_CLASSES)
          : rowRating(model, userRows[start + k]!, itemRows[start + k]!, values[k]!);
    }
  }
  return out;
}

/** Predicted ratings of every item (row order) for one user row, on `backend`. */
export function scoreAllItemsOn(backend: BackendName, model: Model, userRow: number, options: HeadScoringOptions = {}): Promise<Float32Array> {
  const items = model.itemIds.length;
  const itemRows = new Int32Array(items);
  for (let i = 0; i < items; i++) itemRows[i] = i;
  return predictRowsOn(backend, model, new Int32Array(items).fill(userRow), itemRows, options);
}
