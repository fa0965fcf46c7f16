/**
 * Implicit-feedback ALS (iALS), the retrieval model: every rated or watched pair is a positive.
 *
 * The loss is the one of Rendle et al., "Revisiting the Performance of iALS on Item
 * Recommendation Benchmarks" (RecSys 2022):
 *   Σ_(u,i) observed (⟨w_u, h_i⟩ − 1)²  +  α0 · Σ_u Σ_i ⟨w_u, h_i⟩²  +  λ · Σ_u (n_u + α0·N)^ν ‖w_u‖²  (+ the same for items)
 * Each half-sweep fixes one side and improves every row of the other with a few conjugate-gradient
 * steps from its current value (Takács, Pilászy, Tikk 2011), so no row needs a full solve; the
 * Gramian Σ_i h_i h_iᵀ of the fixed side carries the α0 term for all unobserved pairs at once.
 *
 * Hand-written over typed arrays: each step is a d × d product plus a sparse sum, far too small
 * for a tensor library's call overhead, and tfjs has no CG or Cholesky.
 */
import { YieldPoint } from '../yield-point';
import { solveSpd } from '../models/spd-solve';
import { mulberry32 } from '../trainer/random';
import { itemsOf, usersOf, type Interactions, type UserScorer } from './interactions';

export interface IalsOptions {
  /** Vector width. */
  dim: number;
  /** Alternating sweeps (one user half and one item half each). */
  sweeps: number;
  /** λ, the regularization weight. */
  regularization: number;
  /** ν: the regularization of a row scales with (its interactions + α0 · all of the other side)^ν. */
  regularizationExponent: number;
  /** α0, the weight of every unobserved pair against 1 for an observed one. */
  unobservedWeight: number;
  /** Conjugate-gradient steps per row and half-sweep. */
  cgSteps: number;
  /** Standard deviation of the initial vectors is initScale / sqrt(dim). */
  initScale: number;
  seed: number;
}

export const DEFAULT_IALS_OPTIONS: IalsOptions = {
  dim: 64,
  sweeps: 16,
  regularization: 0.005,
  regularizationExponent: 1,
  unobservedWeight: 0.1,
  cgSteps: 3,
  initScale: 0.1,
  seed: 1,
};

export interface IalsModel {
  dim: number;
  /** Row-major [users, dim] and [items, dim]. */
  userVectors: Float32Array;
  itemVectors: Float32Array;
}

/** Σ_rows v vᵀ of row-major [rows, dim] vectors, as a dense dim × dim Float64Array. */
export function gramian(vectors: Float32Array, dim: number): Float64Array {
  const out = new Float64Array(dim * dim);
  for (let offset = 0; offset < vectors.length; offset += dim) {
    for (let a = 0; a < dim; a++) {
      const va = vectors[offset + a]!;
      if (va === 0) continue;
      const rowBase = a * dim;
      for (let b = a; b < dim; b++) out[rowBase + b]! += va * vectors[offset + b]!;
    }
  }
  for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) out[a * dim + b] = out[b * dim + a]!;
  return out;
}

/** Scratch buffers for one row's conjugate-gradient solve, reused across rows. */
class RowSolver {
  private readonly residual: Float64Array;
  private readonly direction: Float64Array;
  private readonly product: Float64Array;
  private readonly x: Float64Array;

  constructor(private readonly dim: number) {
    this.residual = new Float64Array(dim);
    this.direction = new Float64Array(dim);
    this.product = new Float64Array(dim);
    this.x = new Float64Array(dim);
  }

  /** product = (α0·G + Σ_j o_j o_jᵀ + reg·I) · v, with o_j the observed rows of `fixed`. */
  private multiply(v: Float64Array, gram: Float64Array, alpha0: number, reg: number, fixed: Float32Array, observed: Int32Array): void {
    const dim = this.dim;
    const out = this.product;
    for (let a = 0; a < dim; a++) {
      let sum = 0;
      const base = a * dim;
      for (let b = 0; b < dim; b++) sum += gram[base + b]! * v[b]!;
      out[a] = alpha0 * sum + reg * v[a]!;
    }
    for (let n = 0; n < observed.length; n++) {
      const base = observed[n]! * dim;
      let projection = 0;
      for (let a = 0; a < dim; a++) projection += fixed[base + a]! * v[a]!;
      for (let a = 0; a < dim; a++) out[a]! += projection * fixed[base + a]!;
    }
  }

  /** Improves `target` row `row` in place by `steps` CG steps on its normal equations. */
  solve(target: Float32Array, row: number, fixed: Float32Array, observed: Int32Array, gram: Float64Array, alpha0: number, reg: number, steps: number): void {
    const dim = this.dim;
    const { x, residual, direction, product } = this;
    const offset = row * dim;
    for (let a = 0; a < dim; a++) x[a] = target[offset + a]!;
    // r = b − A·x, with b = Σ_j o_j (every observed target is 1).
    this.multiply(x, gram, alpha0, reg, fixed, observed);
    for (let a = 0; a < dim; a++) residual[a] = -product[a]!;
    for (let n = 0; n < observed.length; n++) {
      const base = observed[n]! * dim;
      for (let a = 0; a < dim; a++) residual[a]! += fixed[base + a]!;
    }
    let rs = 0;
    for (let a = 0; a < dim; a++) {
      direction[a] = residual[a]!;
      rs += residual[a]! * residual[a]!;
    }
    for (let step = 0; step < steps && rs > 1e-20; step++) {
      this.multiply(direction, gram, alpha0, reg, fixed, observed);
      let curvature = 0;
      for (let a = 0; a < dim; a++) curvature += direction[a]! * product[a]!;
      if (curvature <= 0) break;
      const alpha = rs / curvature;
      let rsNext = 0;
      for (let a = 0; a < dim; a++) {
        x[a]! += alpha * direction[a]!;
        residual[a]! -= alpha * product[a]!;
        rsNext += residual[a]! * residual[a]!;
      }
      const beta = rsNext / rs;
      for (let a = 0; a < dim; a++) direction[a] = residual[a]! + beta * direction[a]!;
      rs = rsNext;
    }
    for (let a = 0; a < dim; a++) target[offset + a] = x[a]!;
  }
}

function regularizationOf(options: IalsOptions, interactions: number, otherSide: number): number {
  return options.regularization * Math.pow(interactions + options.unobservedWeight * otherSide, options.regularizationExponent);
}

/** Gaussian vectors (Box-Muller) of standard deviation initScale / sqrt(dim). */
function initialVectors(rows: number, options: IalsOptions, random: () => number): Float32Array {
  const out = new Float32Array(rows * options.dim);
  const scale = options.initScale / Math.sqrt(options.dim);
  for (let n = 0; n < out.length; n++) {
    const u = 1 - random();
    out[n] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

/** One half-sweep: every row of `target` against the fixed side. */
async function halfSweep(
  target: Float32Array,
  fixed: Float32Array,
  rows: number,
  fixedRows: number,
  observedOf: (row: number) => Int32Array,
  options: IalsOptions,
  solver: RowSolver,
  yieldPoint: YieldPoint,
): Promise<void> {
  const gram = gramian(fixed, options.dim);
  for (let row = 0; row < rows; row++) {
    await yieldPoint.pass();
    const observed = observedOf(row);
    const reg = regularizationOf(options, observed.length, fixedRows);
    solver.solve(target, row, fixed, observed, gram, options.unobservedWeight, reg, options.cgSteps);
  }
}

/**
 * Fits iALS on binary interactions.
 * @param onSweep called after each sweep with its 1-based number; throw (e.g. an abort) to stop.
 * Yields to the event loop now and then (yield-point.ts): it runs on the server during training.
 */
export async function fitIals(interactions: Interactions, options: IalsOptions, onSweep?: (sweep: number) => void): Promise<IalsModel> {
  const { dim } = options;
  const random = mulberry32(options.seed);
  const userVectors = initialVectors(interactions.numUsers, options, random);
  const itemVectors = initialVectors(interactions.numItems, options, random);
  const solver = new RowSolver(dim);
  const yieldPoint = new YieldPoint();
  for (let sweep = 1; sweep <= options.sweeps; sweep++) {
    await halfSweep(userVectors, itemVectors, interactions.numUsers, interactions.numItems, (u) => itemsOf(interactions, u), options, solver, yieldPoint);
    await halfSweep(itemVectors, userVectors, interactions.numItems, interactions.numUsers, (i) => usersOf(interactions, i), options, solver, yieldPoint);
    onSweep?.(sweep);
  }
  return { dim, userVectors, itemVectors };
}

/**
 * The exact user vector for a set of items against fixed item vectors: the closed-form least
 * squares of the iALS loss, (α0·G + Σ h hᵀ + reg·I)⁻¹ Σ h, by a Cholesky solve of size dim.
 * This is the fold-in of a user who rated something new.
 *
 * @param itemGram gramian(itemVectors) of the model, computed once per model.
 */
export function foldInUser(
  model: Pick<IalsModel, 'dim' | 'itemVectors'>,
  itemGram: Float64Array,
  items: ArrayLike<number>,
  options: Pick<IalsOptions, 'regularization' | 'regularizationExponent' | 'unobservedWeight'>,
): Float32Array {
  const dim = model.dim;
  const numItems = model.itemVectors.length / dim;
  const reg = options.regularization * Math.pow(items.length + options.unobservedWeight * numItems, options.regularizationExponent);
  const matrix = new Float64Array(dim * dim);
  for (let n = 0; n < matrix.length; n++) matrix[n] = options.unobservedWeight * itemGram[n]!;
  const rhs = new Float64Array(dim);
  for (let n = 0; n < items.length; n++) {
    const base = items[n]! * dim;
    for (let a = 0; a < dim; a++) {
      const va = model.itemVectors[base + a]!;
      rhs[a]! += va;
      for (let b = 0; b < dim; b++) matrix[a * dim + b]! += va * model.itemVectors[base + b]!;
    }
  }
  for (let a = 0; a < dim; a++) matrix[a * dim + a]! += reg;
  return Float32Array.from(solveSpd(matrix, rhs, dim));
}

/** Scores every item for a user by ⟨w_u, h_i⟩. */
export function ialsScorer(model: IalsModel): UserScorer {
  const dim = model.dim;
  return {
    scoreUser(user, scores) {
      const base = user * dim;
      for (let item = 0, offset = 0; item < scores.length; item++, offset += dim) {
        let sum = 0;
        for (let a = 0; a < dim; a++) sum += model.userVectors[base + a]! * model.itemVectors[offset + a]!;
        scores[item] = sum;
      }
    },
  };
}
