import { computeMap, MAX_TSNE_POINTS, type MapOptions } from '../../src/trainer/map2d';
import { mulberry32, type RandomSource } from '../../src/trainer/random';

/**
 * UMAP runs 50 epochs here instead of umap-js's 500: under Jest 30 every global lookup (`Math`
 * in umap-js's inner loop) goes through the test context's Proxy global, which makes umap-js
 * ~10x slower than in plain Node (~8 s instead of ~0.8 s for 120 points at 500 epochs).
 */
const METHODS: Array<{ method: MapOptions['method']; extra: Partial<MapOptions> }> = [
  { method: 'umap', extra: { nEpochs: 50 } },
  { method: 'tsne', extra: {} },
];

function gaussian(random: RandomSource): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** `clusters` Gaussian blobs of `perCluster` points in `dim` dims; centres far apart in angle. */
function blobs(clusters: number, perCluster: number, dim: number, seed: number) {
  const random = mulberry32(seed);
  const n = clusters * perCluster;
  const vectors = new Float32Array(n * dim);
  const labels: number[] = [];
  const centres = Array.from({ length: clusters }, () => Array.from({ length: dim }, () => 2 * gaussian(random)));
  for (let i = 0; i < n; i++) {
    const label = i % clusters;
    labels.push(label);
    const centre = centres[label] as number[];
    for (let d = 0; d < dim; d++) vectors[i * dim + d] = (centre[d] as number) + 0.5 * gaussian(random);
  }
  return { vectors, n, dim, labels };
}

/** Fraction of points whose nearest 2-D neighbour has the same label. */
function nearestNeighbourAgreement(coords: Float32Array, labels: number[]): number {
  const n = labels.length;
  let agree = 0;
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestDist = Infinity;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const dx = (coords[2 * i] as number) - (coords[2 * j] as number);
      const dy = (coords[2 * i + 1] as number) - (coords[2 * j + 1] as number);
      const dist = dx * dx + dy * dy;
      if (dist < bestDist) {
        bestDist = dist;
        best = j;
      }
    }
    if (labels[best] === labels[i]) agree++;
  }
  return agree / n;
}

const data = blobs(3, 40, 16, 7);

describe.each(METHODS)('computeMap ($method)', ({ method, extra }) => {
  let first: Float32Array;
  const progress: number[] = [];

  beforeAll(async () => {
    first = await computeMap(data.vectors, data.n, data.dim, {
      method,
      seed: 1,
      ...extra,
      onProgress: (fraction) => progress.push(fraction),
    });
  });

  it('returns 2n finite coordinates, centred and within [-1, 1]', () => {
    expect(first).toBeInstanceOf(Float32Array);
    expect(first).toHaveLength(2 * data.n);
    let mx = 0;
    let my = 0;
    let maxAbs = 0;
    for (let i = 0; i < data.n; i++) {
      const x = first[2 * i] as number;
      const y = first[2 * i + 1] as number;
      expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
      mx += x / data.n;
      my += y / data.n;
      maxAbs = Math.max(maxAbs, Math.abs(x), Math.abs(y));
    }
    expect(Math.abs(mx)).toBeLessThan(1e-5);
    expect(Math.abs(my)).toBeLessThan(1e-5);
    expect(maxAbs).toBeCloseTo(1, 5);
  });

  it('reports progress from 0 to 1, never going back', () => {
    expect(progress[0]).toBe(0);
    expect(progress[progress.length - 1]).toBe(1);
    for (let k = 1; k < progress.length; k++) expect(progress[k]).toBeGreaterThanOrEqual(progress[k - 1] as number);
  });

  it('is reproducible for a seed and varies with it', async () => {
    const again = await computeMap(data.vectors, data.n, data.dim, { method, seed: 1, ...extra });
    expect(Array.from(again)).toEqual(Array.from(first));
    const other = await computeMap(data.vectors, data.n, data.dim, { method, seed: 2, ...extra });
    expect(Array.from(other)).not.toEqual(Array.from(first));
  });

  it('keeps well-separated clusters apart', () => {
    expect(nearestNeighbourAgreement(first, data.labels)).toBeGreaterThanOrEqual(0.95);
  });

  it('uses cosine geometry: rescaling rows does not change the map', async () => {
    // Powers of two, so that the rescaled rows normalise to exactly the same unit vectors.
    const factors = [1, 2, 0.25, 8, 0.5];
    const scaled = data.vectors.map((v, k) => v * (factors[Math.floor(k / data.dim) % factors.length] as number));
    const map = await computeMap(scaled, data.n, data.dim, { method, seed: 1, ...extra });
    expect(Array.from(map)).toEqual(Array.from(first));
  });

  it.each([0, 1, 2, 3, 5, 16, 17])('handles a tiny input of %i points', async (n) => {
    const tiny = blobs(1, n, 8, 3);
    const map = await computeMap(tiny.vectors, n, 8, { method, seed: 1, ...extra });
    expect(map).toHaveLength(2 * n);
    expect(Array.from(map).every(Number.isFinite)).toBe(true);
    if (n === 1) expect(Array.from(map)).toEqual([0, 0]);
    if (n >= 2) expect(Math.max(...Array.from(map, Math.abs))).toBeCloseTo(1, 5); // spread out, not collapsed
  });

  it('handles identical and all-zero rows', async () => {
    const n = 30;
    const same = new Float32Array(n * 4).fill(0.5);
    const zeros = new Float32Array(n * 4);
    for (const vectors of [same, zeros]) {
      const map = await computeMap(vectors, n, 4, { method, seed: 1, ...extra });
      expect(map).toHaveLength(2 * n);
      expect(Array.from(map).every(Number.isFinite)).toBe(true);
    }
  });
});

describe('computeMap input checks', () => {
  it('rejects t-SNE above MAX_TSNE_POINTS, pointing to UMAP', async () => {
    const n = MAX_TSNE_POINTS + 1;
    await expect(computeMap(new Float32Array(n), n, 1, { method: 'tsne', seed: 1 })).rejects.toThrow(/umap/i);
  });

  it('rejects a length that does not match n × dim', async () => {
    await expect(computeMap(new Float32Array(10), 3, 4, { method: 'umap', seed: 1 })).rejects.toThrow(RangeError);
  });

  it('rejects non-finite values', async () => {
    const vectors = new Float32Array(8).fill(1);
    vectors[3] = Number.NaN;
    await expect(computeMap(vectors, 2, 4, { method: 'tsne', seed: 1 })).rejects.toThrow(RangeError);
  });
});
