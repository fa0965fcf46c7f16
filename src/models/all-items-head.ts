/**
 * The part of a head that all-items scoring runs per user: layer 1's activation over the
 * precomputed item half plus the user half, then the remaining layers. Plain data in, so the
 * same code runs in this thread (ItemScorer) and in the scoring worker (scoring-worker.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { dispatchOn } from './backend';
import { KernelHeadTail, kernelFits } from './all-items-head-kernel';

export interface HeadTailSpec {
  items: number;
  /** [items, units of layer 1]: the item half of layer 1 plus its bias, row-major. */
  itemPart: Float32Array;
  firstRelu: boolean;
  /** Layers after the first: weights row-major [inputs, units]. */
  rest: { inputs: number; units: number; weights: Float32Array; bias: Float32Array; relu: boolean }[];
}

/** What all-items scoring needs of a tail, whichever code runs it. */
export interface ItemTail {
  /** The head's raw outputs [items, outputs] for one user's half of layer 1 ([units]). */
  outputs(userPart: Float32Array): Float32Array;
  /** The raw outputs [rows, outputs] of the item rows `rows` only, in their order. */
  outputsOfRows(userPart: Float32Array, rows: Int32Array): Float32Array;
  dispose(): void;
}

/** tfjs backends that run on the CPU in this process, where the WebAssembly kernel is faster. */
const KERNEL_BACKENDS = new Set(['wasm', 'cpu']);

/**
 * The fastest tail for this spec on the current tfjs backend: the hand-written kernel on the
 * CPU backends when the head's shape fits it (all-items-head-kernel.ts), else tfjs ops.
 */
export function makeItemTail(spec: HeadTailSpec): ItemTail {
  return KERNEL_BACKENDS.has(tf.getBackend()) && kernelFits(spec) ? new KernelHeadTail(spec) : new HeadTail(spec);
}

/** A spec's tensors on the current tfjs backend, kept until disposed. */
export class HeadTail implements ItemTail {
  private readonly itemPart: tf.Tensor2D;
  private readonly rest: { weights: tf.Tensor2D; bias: tf.Tensor1D; relu: boolean }[];
  private readonly firstRelu: boolean;

  constructor(spec: HeadTailSpec) {
    this.itemPart = tf.tensor2d(spec.itemPart, [spec.items, spec.itemPart.length / spec.items]);
    this.firstRelu = spec.firstRelu;
    this.rest = spec.rest.map((layer) => ({
      weights: tf.tensor2d(layer.weights, [layer.inputs, layer.units]),
      bias: tf.tensor1d(layer.bias),
      relu: layer.relu,
    }));
  }

  /** The head's raw outputs [items, outputs] for one user's half of layer 1 ([units]). */
  outputs(userPart: Float32Array): Float32Array {
    let outputs: Float32Array = new Float32Array(0);
    // Results leave the tidy through a closure (see headForward in dense-head.ts).
    tf.tidy(() => {
      outputs = this.forward(userPart).dataSync() as Float32Array;
    });
    return outputs;
  }

  outputsOfRows(userPart: Float32Array, rows: Int32Array): Float32Array {
    let outputs: Float32Array = new Float32Array(0);
    tf.tidy(() => {
      outputs = this.forward(userPart, tf.gather(this.itemPart, tf.tensor1d(rows, 'int32'))).dataSync() as Float32Array;
    });
    return outputs;
  }

  /**
   * `outputs` with the ops queued on `backend` (where this tail's tensors were made) and the
   * result read asynchronously: what a backend without synchronous reads (webgpu) needs.
   */
  async outputsOn(backend: string, userPart: Float32Array): Promise<Float32Array> {
    const result = dispatchOn(backend, () => tf.tidy(() => this.forward(userPart)));
    try {
      return (await result.data()) as Float32Array;
    } finally {
      result.dispose();
    }
  }

  /** The tail over `itemPart`'s rows (all items unless given a gathered part). */
  private forward(userPart: Float32Array, itemPart: tf.Tensor2D = this.itemPart): tf.Tensor2D {
    let a = tf.add(itemPart, tf.tensor1d(userPart)) as tf.Tensor2D;
    if (this.firstRelu) a = tf.relu(a);
    // Fused: one pass per layer for product, bias and activation instead of three.
    for (const layer of this.rest) a = tf.fused.matMul({ a, b: layer.weights, bias: layer.bias, activation: layer.relu ? 'relu' : 'linear' }) as tf.Tensor2D;
    return a;
  }

  dispose(): void {
    this.itemPart.dispose();
    for (const layer of this.rest) {
      layer.weights.dispose();
      layer.bias.dispose();
    }
  }
}
