/**
 * Adam (Kingma & Ba) over plain Float32Arrays, in two forms:
 * - `DenseAdam` updates every parameter of a small tensor (the dense head's weights);
 * - `LazyAdam` updates only the embedding rows present in a batch, with their moments
 *   (as TensorFlow's LazyAdamOptimizer): ~30-100x faster than dense Adam over whole tables,
 *   which moves every row every step (shared FINDINGS.md: 11 samples/s in stock tfjs).
 * Both use the global step for bias correction, like Keras and TF.
 */

export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** L2 penalty added to the gradient (coupled weight decay, as Keras' kernel_regularizer). */
  l2?: number;
}

/** Keras defaults, which the notebook used. */
export const KERAS_ADAM = { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

interface Resolved {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  l2: number;
}

function resolve(options: AdamOptions): Resolved {
  return {
    learningRate: options.learningRate,
    beta1: options.beta1 ?? KERAS_ADAM.beta1,
    beta2: options.beta2 ?? KERAS_ADAM.beta2,
    epsilon: options.epsilon ?? KERAS_ADAM.epsilon,
    l2: options.l2 ?? 0,
  };
}

/** Keras' step size: lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t) (epsilon stays outside the sqrt). */
function stepSize(o: Resolved, step: number): number {
  return (o.learningRate * Math.sqrt(1 - o.beta2 ** step)) / (1 - o.beta1 ** step);
}

/** Read once: a global lookup per parameter is slow under Jest's vm context, where tests train models. */
const sqrt = Math.sqrt;

/** Updates params[from..from+length) in place from grads[gradFrom..]. */
function adamSpan(
  o: Resolved,
  lrT: number,
  params: Float32Array,
  m: Float32Array,
  v: Float32Array,
  from: number,
  grads: ArrayLike<number>,
  gradFrom: number,
  length: number,
): void {
  const epsilonHat = o.epsilon;
  for (let j = 0; j < length; j++) {
    const p = from + j;
    const g = grads[gradFrom + j]! + o.l2 * params[p]!;
    const mj = o.beta1 * m[p]! + (1 - o.beta1) * g;
    const vj = o.beta2 * v[p]! + (1 - o.beta2) * g * g;
    m[p] = mj;
    v[p] = vj;
    params[p] = params[p]! - (lrT * mj) / (sqrt(vj) + epsilonHat);
  }
}

/** What both forms share: options, first and second moments, the global step. */
abstract class AdamState {
  protected readonly o: Resolved;
  protected readonly m: Float32Array;
  protected readonly v: Float32Array;
  private step = 0;

  constructor(
    readonly params: Float32Array,
    options: AdamOptions,
  ) {
    this.o = resolve(options);
    this.m = new Float32Array(params.length);
    this.v = new Float32Array(params.length);
  }

  setLearningRate(learningRate: number): void {
    this.o.learningRate = learningRate;
  }

  /** Advances the global step and returns its step size. */
  protected nextStepSize(): number {
    this.step++;
    return stepSize(this.o, this.step);
  }
}

export class DenseAdam extends AdamState {
  apply(grads: ArrayLike<number>): void {
    adamSpan(this.o, this.nextStepSize(), this.params, this.m, this.v, 0, grads, 0, this.params.length);
  }
}

export class LazyAdam extends AdamState {
  /** `params` is a row-major [rows, width] table. */
  constructor(
    params: Float32Array,
    readonly width: number,
    options: AdamOptions,
  ) {
    super(params, options);
  }

  /**
   * One step: `rows[k]` is a distinct row touched by the batch and `grads` holds its summed
   * gradient at [k * width, (k + 1) * width). Rows not listed do not move.
   */
  apply(rows: ArrayLike<number>, count: number, grads: Float32Array): void {
    const lrT = this.nextStepSize();
    for (let k = 0; k < count; k++) {
      adamSpan(this.o, lrT, this.params, this.m, this.v, rows[k]! * this.width, grads, k * this.width, this.width);
    }
  }
}
