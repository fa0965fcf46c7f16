/**
 * 2-D maps of item embeddings for the UI (the notebook plotted item embeddings with t-SNE/UMAP).
 *
 * Geometry is cosine, as everywhere else embeddings are compared: rows are L2-normalised first,
 * so squared Euclidean distance between rows is 2 - 2·cos. Every random draw comes from a seeded
 * mulberry32, so the same seed and input give the same map, bit for bit.
 *
 * UMAP is umap-js (nearest-neighbour descent + SGD, roughly n log n). t-SNE is the exact,
 * quadratic algorithm written here, because the pure-JS npm packages don't fit: tsne-js 1.0.3
 * (Apache-2.0, five ndarray dependencies) and @keckelt/tsne 1.0.2 (a port of karpathy's tsnejs)
 * both draw from Math.random with no way to seed them, so maps would not be reproducible, and
 * work on nested arrays (FINDINGS.md: ~28 s for 1,000 points). This one uses typed arrays and
 * one pass over the point pairs per iteration (~8 s for 1,000 points on the same machine).
 */
import { YieldPoint } from '../yield-point';
import { InvalidInputError } from '../errors';
import { UMAP } from 'umap-js';
import { mulberry32, type RandomSource } from './random';

export type MapMethod = 'umap' | 'tsne';

/** One layout method: unit rows [n, dim] in, [n, 2] coordinates out, progress 0..1 as it goes. */
type Layout = (rows: Float64Array, n: number, dim: number, options: MapOptions, progress: (f: number) => void) => Promise<Float64Array>;

export interface MapOptions {
  /** 'umap' is the default used by training. */
  method: MapMethod;
  /** Same seed + same input => identical output. */
  seed: number;
  /** t-SNE perplexity (the notebook tried several; default 30). */
  perplexity?: number;
  /** UMAP neighbours (default 15) and min distance (default 0.1). */
  nNeighbors?: number;
  minDist?: number;
  /**
   * UMAP optimisation epochs (default: umap-js's choice, 500 for up to 2,500 points, down to 200
   * above 7,500). Fewer gives a quicker, rougher map.
   */
  nEpochs?: number;
  /** Called now and then with the fraction done (0..1), for a progress bar. */
  onProgress?(fraction: number): void;
}

export const DEFAULT_MAP_METHOD: MapMethod = 'umap';
export const DEFAULT_TSNE_PERPLEXITY = 30;
/**
 * The notebook's perplexities for comparing t-SNE item maps: small (local structure), 30
 * (scikit-learn's default) and large (more global structure). The notebook itself is not in
 * this repository; these are the values the project brief gives for it.
 */
export const DEFAULT_TSNE_PERPLEXITIES: readonly number[] = [5, 30, 50];
export const DEFAULT_UMAP_NEIGHBORS = 15;
export const DEFAULT_UMAP_MIN_DIST = 0.1;
/**
 * Largest input t-SNE accepts. Exact t-SNE costs O(n²) time per iteration and n²/2 float64s of
 * memory. Measured on the 2-core development machine (shared, load ~4), 64 dims: 1,000 points
 * ~8 s, 2,500 points ~51 s (37 s of CPU), 3,000 points ~83 s. Above this, use UMAP.
 */
export const MAX_TSNE_POINTS = 2500;
/** t-SNE optimisation schedule (scikit-learn's defaults). */
export const TSNE_ITERATIONS = 1000;
const TSNE_EXAGGERATION = 12;
const TSNE_EXAGGERATION_ITERATIONS = 250;

/** Hand control back to the event loop this often (ms), and report progress then. */
const YIELD_EVERY_MS = 50;

/**
 * A 2-D map of `n` vectors under cosine geometry.
 *
 * @param vectors row-major [n, dim].
 * @param options method, seed and the method's parameters.
 * @returns row-major [n, 2] coordinates, centred, scaled so that the largest |coordinate| is 1
 *   (one scale for both axes, so distances keep their proportions).
 *   Inputs too small for the method (UMAP: n < nNeighbors + 2; t-SNE: n < 4) get a PCA layout.
 * @throws RangeError on a length mismatch, non-finite values or bad parameters;
 *   Error for t-SNE above MAX_TSNE_POINTS.
 */
export async function computeMap(
  vectors: Float32Array,
  n: number,
  dim: number,
  options: MapOptions,
): Promise<Float32Array> {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(dim) || dim < 1) {
    throw new RangeError(`computeMap: expected integer n >= 0 and dim >= 1, got n=${n}, dim=${dim}`);
  }
  if (vectors.length !== n * dim) {
    throw new RangeError(`computeMap: expected ${n}×${dim} = ${n * dim} values, got ${vectors.length}`);
  }
  for (let k = 0; k < vectors.length; k++) {
    if (!Number.isFinite(vectors[k])) throw new RangeError(`computeMap: value ${k} is not finite (${vectors[k]})`);
  }
  const rows = normalizeRows(vectors, n, dim);
  const progress = options.onProgress ?? (() => {});
  progress(0);
  let coords: Float64Array;
  switch (options.method) {
    case 'umap':
      coords = await umapLayout(rows, n, dim, options, progress);
      break;
    case 'tsne':
      coords = await tsneLayout(rows, n, dim, options, progress);
      break;
    default: {
      const never: never = options.method;
      throw new RangeError(`computeMap: unsupported method ${String(never)}`);
    }
  }
  progress(1);
  return centreAndScale(coords, n);
}

/** Rows scaled to unit L2 norm, in float64; all-zero rows stay zero. */
function normalizeRows(vectors: Float32Array, n: number, dim: number): Float64Array {
  const out = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    const base = i * dim;
    let sq = 0;
    for (let d = 0; d < dim; d++) {
      const v = vectors[base + d] as number;
      sq += v * v;
    }
    const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let d = 0; d < dim; d++) out[base + d] = (vectors[base + d] as number) * inv;
  }
  return out;
}

/** Runs `step` until it returns false, yielding to the event loop and reporting progress every YIELD_EVERY_MS. */
async function runSteps(step: () => boolean, fraction: () => number, progress: (f: number) => void): Promise<void> {
  const yieldPoint = new YieldPoint(YIELD_EVERY_MS);
  while (step()) {
    if (yieldPoint.due()) {
      progress(fraction());
      await yieldPoint.yield();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// UMAP

/**
 * Share of the progress bar given to umap-js's neighbour search and fuzzy-graph building
 * (measured 32-35% of the time at 1,000 and 7,000 points). That phase is one synchronous
 * umap-js call (its sparse matrices can't be stepped), so it blocks the event loop: ~2 s at
 * 1,000 points, ~14 s at 7,000. Only the optimisation epochs yield and report progress.
 */
const UMAP_GRAPH_SHARE = 0.35;

const umapLayout: Layout = async (rows, n, dim, options, progress) => {
  const nNeighbors = options.nNeighbors ?? DEFAULT_UMAP_NEIGHBORS;
  const minDist = options.minDist ?? DEFAULT_UMAP_MIN_DIST;
  if (!Number.isInteger(nNeighbors) || nNeighbors < 2) {
    throw new RangeError(`computeMap: nNeighbors must be an integer >= 2, got ${nNeighbors}`);
  }
  // umap-js fits its curve with spread 1, which needs minDist <= spread.
  if (!(minDist >= 0 && minDist <= 1)) throw new RangeError(`computeMap: minDist must be in [0, 1], got ${minDist}`);
  const nEpochsOption = options.nEpochs;
  if (nEpochsOption !== undefined && (!Number.isInteger(nEpochsOption) || nEpochsOption < 1)) {
    throw new RangeError(`computeMap: nEpochs must be a positive integer, got ${nEpochsOption}`);
  }
  // umap-js needs more points than neighbours (its neighbour descent samples nNeighbors others).
  if (n < nNeighbors + 2) return pcaLayout(rows, n, dim);

  const data: number[][] = new Array<number[]>(n);
  for (let i = 0; i < n; i++) data[i] = Array.from(rows.subarray(i * dim, (i + 1) * dim));
  // Euclidean on unit rows ranks neighbours exactly as cosine does, and is umap-js's default.
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors,
    minDist,
    random: mulberry32(options.seed),
    ...(nEpochsOption === undefined ? {} : { nEpochs: nEpochsOption }),
  });
  await new Promise<void>((resolve) => setImmediate(resolve));
  const nEpochs = umap.initializeFit(data); // synchronous: neighbour search + fuzzy graph
  progress(UMAP_GRAPH_SHARE);
  let epoch = 0;
  await runSteps(
    () => (epoch = umap.step()) < nEpochs,
    () => UMAP_GRAPH_SHARE + ((1 - UMAP_GRAPH_SHARE) * epoch) / nEpochs,
    progress,
  );
  const embedding = umap.getEmbedding();
  const out = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const point = embedding[i];
    out[2 * i] = point?.[0] ?? 0;
    out[2 * i + 1] = point?.[1] ?? 0;
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// Exact t-SNE (van der Maaten & Hinton 2008), with scikit-learn's schedule: early exaggeration
// 12 for 250 iterations, momentum 0.5 then 0.8, learning rate max(n / 12 / 4, 50), per-coordinate
// gains, random N(0, 1e-4²) initialisation.

/** Share of the progress bar given to computing the input affinities P. */
const TSNE_AFFINITY_SHARE = 0.05;

const tsneLayout: Layout = async (rows, n, dim, options, progress) => {
  const perplexity = options.perplexity ?? DEFAULT_TSNE_PERPLEXITY;
  if (!(perplexity > 0) || !Number.isFinite(perplexity)) {
    throw new RangeError(`computeMap: perplexity must be a positive number, got ${perplexity}`);
  }
  if (n > MAX_TSNE_POINTS) {
    throw new InvalidInputError(
      `computeMap: t-SNE is exact and quadratic; ${n} points is above MAX_TSNE_POINTS (${MAX_TSNE_POINTS}). ` +
        `Use method 'umap', or pass at most ${MAX_TSNE_POINTS} points.`,
    );
  }
  if (n < 4) return pcaLayout(rows, n, dim);
  // Perplexity is an effective neighbour count: it must stay well below n (scikit-learn requires < n).
  const effectivePerplexity = Math.min(perplexity, (n - 1) / 3);

  const random = mulberry32(options.seed);
  const p = jointProbabilities(rows, n, dim, effectivePerplexity);
  progress(TSNE_AFFINITY_SHARE);

  const y = new Float64Array(n * 2);
  for (let k = 0; k < y.length; k++) y[k] = 1e-4 * gaussian(random);
  const update = new Float64Array(n * 2);
  const gains = new Float64Array(n * 2).fill(1);
  const attract = new Float64Array(n * 2);
  const repulse = new Float64Array(n * 2);
  const learningRate = Math.max(n / TSNE_EXAGGERATION / 4, 50);

  let iteration = 0;
  await runSteps(
    () => {
      const early = iteration < TSNE_EXAGGERATION_ITERATIONS;
      const exaggeration = early ? TSNE_EXAGGERATION : 1;
      const momentum = early ? 0.5 : 0.8;
      tsneStep(p, y, n, exaggeration, momentum, learningRate, update, gains, attract, repulse);
      iteration++;
      return iteration < TSNE_ITERATIONS;
    },
    () => TSNE_AFFINITY_SHARE + ((1 - TSNE_AFFINITY_SHARE) * iteration) / TSNE_ITERATIONS,
    progress,
  );
  return y;
};

/** Index of pair (i, j), i < j, in a packed upper triangle without the diagonal. */
function pairIndex(i: number, j: number, n: number): number {
  return i * n - (i * (i + 1)) / 2 + (j - i - 1);
}

/**
 * Symmetric joint probabilities p_ij = (p_j|i + p_i|j) / 2n, packed upper triangle.
 * Each p_·|i is a Gaussian over squared distances whose width is found by bisection so that
 * its perplexity (2^entropy) matches the target.
 */
function jointProbabilities(rows: Float64Array, n: number, dim: number, perplexity: number): Float64Array {
  const p = new Float64Array((n * (n - 1)) / 2);
  const dist = new Float64Array(n);
  const cond = new Float64Array(n);
  const targetEntropy = Math.log(perplexity);
  for (let i = 0; i < n; i++) {
    const bi = i * dim;
    let minDist = Infinity;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const bj = j * dim;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += (rows[bi + d] as number) * (rows[bj + d] as number);
      // Squared Euclidean distance between unit rows; zero rows are at distance 1 from everything.
      const d2 = Math.max(0, 2 - 2 * dot);
      dist[j] = d2;
      if (d2 < minDist) minDist = d2;
    }
    // Bisection on beta = 1 / (2σ²). Distances are shifted by their minimum, which leaves the
    // normalised distribution unchanged and keeps exp() from underflowing to all zeros.
    let beta = 1;
    let lo = 0;
    let hi = Infinity;
    for (let iter = 0; iter < 100; iter++) {
      let sum = 0;
      let weighted = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const shifted = (dist[j] as number) - minDist;
        const w = Math.exp(-beta * shifted);
        cond[j] = w;
        sum += w;
        weighted += w * shifted;
      }
      // sum >= 1 (the nearest neighbour has weight exp(0)).
      const entropy = Math.log(sum) + (beta * weighted) / sum;
      const diff = entropy - targetEntropy;
      if (Math.abs(diff) < 1e-5) break;
      if (diff > 0) {
        lo = beta;
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = (beta + lo) / 2;
      }
    }
    let sum = 0;
    for (let j = 0; j < n; j++) if (j !== i) sum += cond[j] as number;
    const scale = 1 / (sum * 2 * n);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const k = i < j ? pairIndex(i, j, n) : pairIndex(j, i, n);
      p[k] = (p[k] as number) + (cond[j] as number) * scale;
    }
  }
  for (let k = 0; k < p.length; k++) if ((p[k] as number) < 1e-12) p[k] = 1e-12;
  return p;
}

/**
 * One gradient-descent step. With w_ij = 1 / (1 + |y_i - y_j|²) and Z = Σ_{i≠j} w_ij, the KL
 * gradient is 4 Σ_j (e·p_ij - w_ij / Z) w_ij (y_i - y_j), so one pass over the pairs collects
 * the attractive sum Σ p_ij w_ij Δ, the repulsive sum Σ w_ij² Δ and Z together.
 */
function tsneStep(
  p: Float64Array,
  y: Float64Array,
  n: number,
  exaggeration: number,
  momentum: number,
  learningRate: number,
  update: Float64Array,
  gains: Float64Array,
  attract: Float64Array,
  repulse: Float64Array,
): void {
  attract.fill(0);
  repulse.fill(0);
  let z = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const xi = y[2 * i] as number;
    const yi = y[2 * i + 1] as number;
    let ax = 0;
    let ay = 0;
    let rx = 0;
    let ry = 0;
    for (let j = i + 1; j < n; j++, k++) {
      const dx = xi - (y[2 * j] as number);
      const dy = yi - (y[2 * j + 1] as number);
      const w = 1 / (1 + dx * dx + dy * dy);
      z += w;
      const pw = (p[k] as number) * w;
      const ww = w * w;
      ax += pw * dx;
      ay += pw * dy;
      rx += ww * dx;
      ry += ww * dy;
      attract[2 * j] = (attract[2 * j] as number) - pw * dx;
      attract[2 * j + 1] = (attract[2 * j + 1] as number) - pw * dy;
      repulse[2 * j] = (repulse[2 * j] as number) - ww * dx;
      repulse[2 * j + 1] = (repulse[2 * j + 1] as number) - ww * dy;
    }
    attract[2 * i] = (attract[2 * i] as number) + ax;
    attract[2 * i + 1] = (attract[2 * i + 1] as number) + ay;
    repulse[2 * i] = (repulse[2 * i] as number) + rx;
    repulse[2 * i + 1] = (repulse[2 * i + 1] as number) + ry;
  }
  const invZ = 1 / (2 * z); // each unordered pair counted once above
  for (let c = 0; c < y.length; c++) {
    const grad = 4 * (exaggeration * (attract[c] as number) - (repulse[c] as number) * invZ);
    const u = update[c] as number;
    let gain = gains[c] as number;
    gain = u * grad < 0 ? gain + 0.2 : gain * 0.8;
    if (gain < 0.01) gain = 0.01;
    gains[c] = gain;
    const next = momentum * u - learningRate * gain * grad;
    update[c] = next;
    y[c] = (y[c] as number) + next;
  }
}

/** Standard normal draw (Box–Muller). */
function gaussian(random: RandomSource): number {
  const u = 1 - random(); // (0, 1]
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

// ---------------------------------------------------------------------------------------------
// PCA, for inputs too small for UMAP or t-SNE.

/** First two principal components of the (already normalised) rows, by deterministic power iteration. */
function pcaLayout(rows: Float64Array, n: number, dim: number): Float64Array {
  const out = new Float64Array(n * 2);
  if (n < 2) return out;
  const centred = new Float64Array(rows);
  for (let d = 0; d < dim; d++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += centred[i * dim + d] as number;
    mean /= n;
    for (let i = 0; i < n; i++) centred[i * dim + d] = (centred[i * dim + d] as number) - mean;
  }
  const cov = new Float64Array(dim * dim);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < dim; a++) {
      const va = centred[i * dim + a] as number;
      if (va === 0) continue;
      const row = a * dim;
      for (let b = 0; b < dim; b++) cov[row + b] = (cov[row + b] as number) + va * (centred[i * dim + b] as number);
    }
  }
  const components: Float64Array[] = [];
  for (let c = 0; c < 2; c++) {
    // Fixed, non-degenerate start vector; orthogonalised against earlier components each round.
    let v = new Float64Array(dim);
    for (let d = 0; d < dim; d++) v[d] = 1 + d / dim + (c === 1 ? (d % 2 === 0 ? 1 : -1) : 0);
    let ok = false;
    for (let iter = 0; iter < 200; iter++) {
      for (const u of components) {
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += (v[d] as number) * (u[d] as number);
        for (let d = 0; d < dim; d++) v[d] = (v[d] as number) - dot * (u[d] as number);
      }
      const next = new Float64Array(dim);
      for (let a = 0; a < dim; a++) {
        let s = 0;
        for (let b = 0; b < dim; b++) s += (cov[a * dim + b] as number) * (v[b] as number);
        next[a] = s;
      }
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += (next[d] as number) ** 2;
      norm = Math.sqrt(norm);
      if (!(norm > 1e-12)) break; // no variance left in this direction
      for (let d = 0; d < dim; d++) next[d] = (next[d] as number) / norm;
      v = next;
      ok = true;
    }
    if (!ok) break;
    components.push(v);
  }
  components.forEach((u, c) => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += (centred[i * dim + d] as number) * (u[d] as number);
      out[2 * i + c] = s;
    }
  });
  return out;
}

/** Subtracts the mean and divides by the largest |coordinate| (one scale for both axes). */
function centreAndScale(coords: Float64Array, n: number): Float32Array {
  const out = new Float32Array(n * 2);
  if (n === 0) return out;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += coords[2 * i] as number;
    my += coords[2 * i + 1] as number;
  }
  mx /= n;
  my /= n;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    maxAbs = Math.max(maxAbs, Math.abs((coords[2 * i] as number) - mx), Math.abs((coords[2 * i + 1] as number) - my));
  }
  if (!(maxAbs > 0) || !Number.isFinite(maxAbs)) return out;
  for (let i = 0; i < n; i++) {
    out[2 * i] = ((coords[2 * i] as number) - mx) / maxAbs;
    out[2 * i + 1] = ((coords[2 * i + 1] as number) - my) / maxAbs;
  }
  return out;
}
