/**
 * Scores every item for one user, fast: what `recommendations` and the ranking evaluation do
 * per request. A head's first Dense layer is linear in its input [user | item | features], so
 * its item half (item embedding and features times their weights, plus the bias) is the same
 * for every user: computed once per model and kept (all-items-head.ts). Per user only the user half
 * (a [dim] x [dim, units] product) and the rest of the head remain. For the hybrid model on the
 * demo data that removes ~70% of the multiply-adds and the per-request input assembly.
 * `scoreAsync` runs the head tail on a scoring thread when one is given (scoring-thread.ts).
 * Results equal `predictRows` within float rounding (tested).
 */
import * as tf from '@tensorflow/tfjs';
import { currentBackend, dispatchOn, readsAsynchronously, tfjsName, type BackendName } from './backend';
import { HeadTail, makeItemTail, type HeadTailSpec, type ItemTail } from './all-items-head';
import type { Model } from './model';
import { ratingOf } from './rating';
import { newPayloadKey } from '../worker-client';

/** What ItemScorer needs of the threads that run its head tails (recsys/scoring-thread.ts). */
export interface TailRunner {
  readonly alive: boolean;
  outputs(tail: number, spec: () => HeadTailSpec, userPart: Float32Array): Promise<Float32Array>;
  /** Frees what the threads keep under `key`. */
  forget(key: number): void;
}

export class ItemScorer {
  private spec: HeadTailSpec | null = null;
  private tail: ItemTail | null = null;
  /** The tail's tensors on a backend read asynchronously (webgpu), when serving there. */
  private asyncTail: { backend: string; tail: HeadTail } | null = null;
  /** This scorer's tail in a scoring thread. */
  private readonly tailId = newPayloadKey();

  constructor(
    readonly model: Model,
    private readonly thread: TailRunner | null = null,
  ) {}

  /**
   * Predicted ratings of every item (row order) for a user given by its vector and bias, so a
   * folded-in user needs no new model. Clipped to 1..10; the classifier's expected rating.
   */
  score(userVector: Float32Array, userBias: number, scores: Float32Array = new Float32Array(this.model.itemIds.length)): Float32Array {
    if (this.model.head === null) return this.finish(null, userVector, userBias, scores);
    this.tail ??= makeItemTail(this.tailSpec());
    return this.finish(this.tail.outputs(userHalfOfLayer1(this.model, userVector)), userVector, userBias, scores);
  }

  /**
   * Predicted ratings of the item rows `rows` only, in their order, for the model's user row
   * `userRow`: what stage two of a two-stage ranking scores (its few hundred candidates), in
   * serving and in training's evaluation alike. Equal to `predictRows` within float rounding.
   */
  scoreRows(userRow: number, rows: Int32Array): Float32Array {
    const { model } = this;
    const dim = model.hyper.embeddingDim;
    const userVector = model.userEmbeddings.subarray(userRow * dim, (userRow + 1) * dim);
    const userBias = model.userBias[userRow]!;
    let outputs: Float32Array | null = null;
    if (model.head !== null) {
      this.tail ??= makeItemTail(this.tailSpec());
      outputs = this.tail.outputsOfRows(userHalfOfLayer1(model, userVector), rows);
    }
    return Float32Array.from(rows, (item, n) => ratingOf(model, outputs, n, userVector, 0, userBias, item));
  }

  /**
   * `score`, with the head where serving runs it: on the GPU when the scoring backend reads
   * asynchronously (webgpu; tensorflow-gpu is the global backend and reads synchronously), else
   * on the scoring thread when there is a live one, else here.
   */
  async scoreAsync(
    userVector: Float32Array,
    userBias: number,
    { backend = currentBackend()?.scoring, forceAsync = false }: { backend?: BackendName; forceAsync?: boolean } = {},
  ): Promise<Float32Array> {
    // forceAsync: the asynchronous path's code on a synchronous backend (tests, on the CPU).
    if (this.model.head !== null && backend !== undefined && (readsAsynchronously(backend) || forceAsync)) {
      const name = tfjsName(backend);
      if (this.asyncTail?.backend !== name) {
        this.asyncTail?.tail.dispose();
        const spec = this.tailSpec();
        this.asyncTail = { backend: name, tail: dispatchOn(name, () => new HeadTail(spec)) };
      }
      const outputs = await this.asyncTail.tail.outputsOn(name, userHalfOfLayer1(this.model, userVector));
      return this.finish(outputs, userVector, userBias, new Float32Array(this.model.itemIds.length));
    }
    if (this.model.head === null || !this.thread?.alive) return this.score(userVector, userBias);
    const outputs = await this.thread.outputs(this.tailId, () => this.tailSpec(), userHalfOfLayer1(this.model, userVector));
    return this.finish(outputs, userVector, userBias, new Float32Array(this.model.itemIds.length));
  }

  /** Frees the kept tensors, here and in the scoring thread (a later call rebuilds them). */
  release(): void {
    this.tail?.dispose();
    this.tail = null;
    this.asyncTail?.tail.dispose();
    this.asyncTail = null;
    this.thread?.forget(this.tailId);
  }

  /** Head outputs (null without a head) to ratings, row `item` of the outputs being item row `item`. */
  private finish(outputs: Float32Array | null, userVector: Float32Array, userBias: number, scores: Float32Array): Float32Array {
    const { model } = this;
    const items = model.itemIds.length;
    for (let item = 0; item < items; item++) scores[item] = ratingOf(model, outputs, item, userVector, 0, userBias, item);
    return scores;
  }

  private tailSpec(): HeadTailSpec {
    this.spec ??= headTailSpec(this.model);
    return this.spec;
  }
}

/** The per-user part of a model's head: layer 1's item half computed for every item, and the later layers. */
export function headTailSpec(model: Model): HeadTailSpec {
  const [first, ...later] = model.head!.layers;
  const dim = model.hyper.embeddingDim;
  const items = model.itemIds.length;
  const featureWidth = first!.inputs - 2 * dim;
  // Item inputs [items, dim + features] and the matching weight rows dim..inputs-1.
  const itemInputs = new Float32Array(items * (dim + featureWidth));
  for (let item = 0; item < items; item++) {
    const base = item * (dim + featureWidth);
    itemInputs.set(model.itemEmbeddings.subarray(item * dim, (item + 1) * dim), base);
    if (featureWidth > 0) itemInputs.set(model.itemFeatures.subarray(item * featureWidth, (item + 1) * featureWidth), base + dim);
  }
  let itemPart: Float32Array = new Float32Array(0);
  tf.tidy(() => {
    const itemWeights = tf.tensor2d(first!.weights.subarray(dim * first!.units), [dim + featureWidth, first!.units]);
    const product = tf.add(tf.matMul(tf.tensor2d(itemInputs, [items, dim + featureWidth]), itemWeights), tf.tensor1d(first!.bias));
    itemPart = (product.dataSync() as Float32Array).slice();
  });
  return {
    items,
    itemPart,
    firstRelu: first!.activation === 'relu',
    rest: later.map((layer) => ({ inputs: layer.inputs, units: layer.units, weights: layer.weights, bias: layer.bias, relu: layer.activation === 'relu' })),
  };
}

/** The user half of layer 1: userVector [dim] x weight rows 0..dim-1. */
export function userHalfOfLayer1(model: Model, userVector: Float32Array): Float32Array {
  const first = model.head!.layers[0]!;
  const part = new Float32Array(first.units);
  for (let j = 0; j < model.hyper.embeddingDim; j++) {
    const value = userVector[j]!;
    if (value === 0) continue;
    const row = j * first.units;
    for (let unit = 0; unit < first.units; unit++) part[unit] = part[unit]! + value * first.weights[row + unit]!;
  }
  return part;
}
