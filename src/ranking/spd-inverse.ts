/**
 * Inverse of a dense symmetric positive-definite matrix (EASE's (XᵀX + λI)⁻¹, thousands of rows).
 *
 * Recursive block inversion by the Schur complement, with M = [A B; Bᵀ D]:
 *   C = A⁻¹B, S = D − BᵀC, M⁻¹ = [A⁻¹ + C S⁻¹ Cᵀ, −C S⁻¹; −(C S⁻¹)ᵀ, S⁻¹].
 * A and S are SPD again, so no pivoting is needed. Almost all of the (4/3)·n³ flops are in four
 * matrix products per level, which run on tfjs' wasm backend (XNNPACK, SIMD): about 28 GFLOP/s on
 * one core, where a cache-blocked JS loop measured about 1 (Float32 and Float64 alike), so 7,390
 * items take about 25 s of CPU instead of several minutes. Blocks of at most `leafSize` rows are
 * inverted in Float64 JS, where the work is too small for a kernel call to pay. Results are Float32.
 */
import * as tf from '@tensorflow/tfjs';
import { dispatchOn, initialiseBackend } from '../models/backend';

/** Largest block inverted in JS: 256³ flops are a few milliseconds there. */
export const DEFAULT_LEAF_SIZE = 256;
/**
 * Widest right-hand panel in one product: tfjs-wasm's matMul drops from about 28 to 15-20 GFLOP/s
 * once the right-hand matrix has thousands of rows and over ~1,500 columns (measured at 3,584), so
 * wider products run panel by panel.
 */
export const DEFAULT_PANEL_COLUMNS = 1024;
/** The backend the products run on: one core, deterministic, always installed. */
const SOLVE_BACKEND = 'wasm';

export interface SpdInverseOptions {
  /** Blocks of at most this many rows are inverted in JS; default {@link DEFAULT_LEAF_SIZE}. */
  leafSize?: number;
  /** Products run by column panels of the right-hand matrix at most this wide; default {@link DEFAULT_PANEL_COLUMNS}. */
  panelColumns?: number;
}

/**
 * The inverse of the SPD matrix `matrix` (row-major n × n), as a new row-major Float32Array.
 * @throws RangeError when the length is not n², or a pivot is not positive (the matrix is not SPD).
 */
export async function invertSpd(matrix: Float32Array, n: number, options: SpdInverseOptions = {}): Promise<Float32Array> {
  if (matrix.length !== n * n) throw new RangeError(`invertSpd: ${matrix.length} entries for a ${n} × ${n} matrix`);
  const sizes = { leafSize: options.leafSize ?? DEFAULT_LEAF_SIZE, panelColumns: options.panelColumns ?? DEFAULT_PANEL_COLUMNS };
  for (const [name, value] of Object.entries(sizes)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`invertSpd: ${name} must be a positive integer, got ${value}`);
  }
  if (n <= sizes.leafSize) return invertLeaf(matrix, n);
  await initialiseBackend(SOLVE_BACKEND);
  return dispatchOn(SOLVE_BACKEND, () => {
    // The top level's quadrants are read straight into the result, not concatenated first: that
    // keeps the wasm heap (which never shrinks) near 2n² floats instead of 4n².
    const inverse = new Float32Array(n * n);
    const { topLeft, topRight, bottomRight } = inverseQuadrants(tf.tensor2d(matrix, [n, n]), sizes);
    const half = topLeft.shape[0];
    readInto(inverse, n, 0, 0, topLeft);
    readInto(inverse, n, half, 0, tf.transpose(topRight));
    readInto(inverse, n, 0, half, topRight);
    readInto(inverse, n, half, half, bottomRight);
    return inverse;
  });
}

/** The inverse's quadrants; its bottom-left quadrant is topRightᵀ (the inverse is symmetric). */
interface Quadrants {
  topLeft: tf.Tensor2D;
  topRight: tf.Tensor2D;
  bottomRight: tf.Tensor2D;
}

/** Inverts `block` (disposing it, to free its memory before the recursion goes deeper). */
function invertBlock(block: tf.Tensor2D, sizes: Required<SpdInverseOptions>): tf.Tensor2D {
  const n = block.shape[0];
  if (n <= sizes.leafSize) {
    const data = block.dataSync() as Float32Array;
    block.dispose();
    return tf.tensor2d(invertLeaf(data, n), [n, n]);
  }
  const { topLeft, topRight, bottomRight } = inverseQuadrants(block, sizes);
  const inverse = tf.tidy(() => tf.concat([tf.concat([topLeft, topRight], 1), tf.concat([tf.transpose(topRight), bottomRight], 1)], 0) as tf.Tensor2D);
  tf.dispose([topLeft, topRight, bottomRight]);
  return inverse;
}

/** The quadrants of the inverse of `block` (more than one leaf's rows; disposed here). */
function inverseQuadrants(block: tf.Tensor2D, sizes: Required<SpdInverseOptions>): Quadrants {
  const n = block.shape[0];
  const half = n >> 1;
  const rest = n - half;
  const aInverse = invertBlock(tf.slice(block, [0, 0], [half, half]), sizes);
  // M is symmetric, so its bottom-left block is Bᵀ: sliced, not transposed. tfjs-wasm's matMul with
  // a transpose flag skips XNNPACK and runs 15-20× slower, so no product below sets one.
  const [c, schur] = tf.tidy(() => {
    const cKept = product(aInverse, tf.slice(block, [0, half], [half, rest]), sizes.panelColumns);
    const bTransposed = tf.slice(block, [half, 0], [rest, half]);
    return [cKept, tf.sub(tf.slice(block, [half, half], [rest, rest]), product(bTransposed, cKept, sizes.panelColumns))] as const;
  });
  block.dispose();
  const bottomRight = invertBlock(schur as tf.Tensor2D, sizes);
  const topRight = tf.tidy(() => tf.neg<tf.Tensor2D>(product(c, bottomRight, sizes.panelColumns)));
  const topLeft = tf.tidy(() => tf.sub<tf.Tensor2D>(aInverse, product(topRight, tf.transpose(c), sizes.panelColumns)));
  tf.dispose([aInverse, c]);
  return { topLeft, topRight, bottomRight };
}

/** Copies `block` into the row-major `n`-column `target` at (row, column), and disposes it. */
function readInto(target: Float32Array, n: number, row: number, column: number, block: tf.Tensor2D): void {
  const [rows, columns] = block.shape;
  const data = block.dataSync() as Float32Array;
  block.dispose();
  for (let r = 0; r < rows; r++) target.set(data.subarray(r * columns, (r + 1) * columns), (row + r) * n + column);
}

/** a · b, by column panels of b at most `panelColumns` wide. */
function product(a: tf.Tensor2D, b: tf.Tensor2D, panelColumns: number): tf.Tensor2D {
  const [inner, columns] = b.shape;
  if (columns <= panelColumns) return tf.matMul(a, b);
  const panels = Math.ceil(columns / panelColumns);
  const width = Math.ceil(columns / panels);
  return tf.tidy(() => {
    const parts: tf.Tensor2D[] = [];
    for (let start = 0; start < columns; start += width) parts.push(tf.matMul(a, tf.slice(b, [0, start], [inner, Math.min(width, columns - start)])));
    return tf.concat(parts, 1);
  });
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
