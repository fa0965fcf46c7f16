/**
 * Inverse of a dense symmetric positive-definite matrix (EASE's (XᵀX + λI)⁻¹, thousands of rows).
 *
 * Recursive block inversion by the Schur complement, with M = [A B; Bᵀ D]:
 *   C = A⁻¹B, S = D − BᵀC, M⁻¹ = [A⁻¹ + C S⁻¹ Cᵀ, −C S⁻¹; −(C S⁻¹)ᵀ, S⁻¹].
 * A and S are SPD again, so no pivoting is needed. Almost all of the (4/3)·n³ flops are in four
 * matrix products per level, which run on tfjs' wasm backend (XNNPACK, SIMD: about 25 GFLOP/s on one
 * core, where a scalar JS loop manages one or two); blocks of at most `leafSize` rows are inverted
 * in Float64 JS, where the work is too small for a kernel call to pay. Results are Float32.
 */
import * as tf from '@tensorflow/tfjs';
import { dispatchOn, initialiseBackend } from '../models/backend';

/** Largest block inverted in JS: 256³ flops are a few milliseconds there. */
export const DEFAULT_LEAF_SIZE = 256;
/** The backend the products run on: one core, deterministic, always installed. */
const SOLVE_BACKEND = 'wasm';

export interface SpdInverseOptions {
  /** Blocks of at most this many rows are inverted in JS; default {@link DEFAULT_LEAF_SIZE}. */
  leafSize?: number;
}

/**
 * The inverse of the SPD matrix `matrix` (row-major n × n), as a new row-major Float32Array.
 * @throws RangeError when the length is not n², or a pivot is not positive (the matrix is not SPD).
 */
export async function invertSpd(matrix: Float32Array, n: number, options: SpdInverseOptions = {}): Promise<Float32Array> {
  if (matrix.length !== n * n) throw new RangeError(`invertSpd: ${matrix.length} entries for a ${n} × ${n} matrix`);
  const leafSize = options.leafSize ?? DEFAULT_LEAF_SIZE;
  if (!Number.isInteger(leafSize) || leafSize < 1) throw new RangeError(`invertSpd: leafSize must be a positive integer, got ${leafSize}`);
  if (n <= leafSize) return invertLeaf(matrix, n);
  await initialiseBackend(SOLVE_BACKEND);
  return dispatchOn(SOLVE_BACKEND, () => {
    const inverse = invertBlock(tf.tensor2d(matrix, [n, n]), leafSize);
    try {
      return inverse.dataSync() as Float32Array;
    } finally {
      inverse.dispose();
    }
  });
}

/** Inverts `block` (disposing it, to free its memory before the recursion goes deeper). */
function invertBlock(block: tf.Tensor2D, leafSize: number): tf.Tensor2D {
  const n = block.shape[0];
  if (n <= leafSize) {
    const data = block.dataSync() as Float32Array;
    block.dispose();
    return tf.tensor2d(invertLeaf(data, n), [n, n]);
  }
  const half = n >> 1;
  const rest = n - half;
  const aInverse = invertBlock(tf.slice(block, [0, 0], [half, half]), leafSize);
  const [c, schur] = tf.tidy(() => {
    const b = tf.slice(block, [0, half], [half, rest]);
    const cKept = tf.matMul(aInverse, b);
    return [cKept, tf.sub(tf.slice(block, [half, half], [rest, rest]), tf.matMul(b, cKept, true, false))] as const;
  });
  block.dispose();
  const schurInverse = invertBlock(schur as tf.Tensor2D, leafSize);
  const inverse = tf.tidy(() => {
    const e = tf.matMul(c, schurInverse);
    const topLeft = tf.add(aInverse, tf.matMul(e, c, false, true));
    const negE = tf.neg(e);
    return tf.concat([tf.concat([topLeft, negE], 1), tf.concat([tf.transpose(negE), schurInverse], 1)], 0) as tf.Tensor2D;
  });
  tf.dispose([aInverse, c, schurInverse]);
  return inverse;
}

/** In-place Gauss-Jordan in Float64 without pivoting (safe for SPD: every pivot is a Schur complement's diagonal). */
function invertLeaf(matrix: Float32Array, n: number): Float32Array {
  const work = Float64Array.from(matrix);
  for (let k = 0; k < n; k++) {
    const pivot = work[k * n + k]!;
    if (!(pivot > 0)) throw new RangeError(`invertSpd: pivot ${pivot} at row ${k}: the matrix is not positive definite`);
    const inversePivot = 1 / pivot;
    const rowK = k * n;
    for (let j = 0; j < n; j++) work[rowK + j]! *= inversePivot;
    work[rowK + k] = inversePivot;
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const rowI = i * n;
      const factor = work[rowI + k]!;
      if (factor === 0) continue;
      work[rowI + k] = 0;
      for (let j = 0; j < n; j++) work[rowI + j]! -= factor * work[rowK + j]!;
    }
  }
  return Float32Array.from(work);
}
