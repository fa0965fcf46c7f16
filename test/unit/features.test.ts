/** Item features: the quantile scaler (as scikit-learn's QuantileTransformer) and the feature rows. */
import { fitFeatureSpec, fitQuantileScaler, itemFeatures, quantileTransform } from '../../src/models/features';
import { mulberry32 } from '../../src/trainer/random';

describe('quantile scaler', () => {
  it('maps the fitted values to [0, 1]: the minimum to 0, the maximum to 1, out-of-range values clamped', () => {
    const scaler = fitQuantileScaler([5, 1, 9, 3, 7]);
    expect(scaler.quantiles).toEqual([1, 3, 5, 7, 9]);
    expect([1, 3, 5, 7, 9].map((v) => quantileTransform(scaler, v))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(quantileTransform(scaler, 4)).toBeCloseTo(0.375, 12);
    expect(quantileTransform(scaler, -100)).toBe(0);
    expect(quantileTransform(scaler, 1e9)).toBe(1);
  });

  it('is monotone over a fine grid, with many ties and more values than quantiles', () => {
    const random = mulberry32(9);
    // 3000 values (> 1000 quantiles): heavy ties at a few round numbers, plus a long tail.
    const values = Array.from({ length: 3000 }, (_, k) => (k % 3 === 0 ? [1, 12, 12, 24, 26][k % 5]! : Math.floor(1 + 200 * random() ** 3)));
    const scaler = fitQuantileScaler(values);
    expect(scaler.quantiles).toHaveLength(1000);
    const sorted = [...values].sort((a, b) => a - b);
    const grid = Array.from({ length: 2001 }, (_, k) => -5 + (k * 210) / 2000).concat(sorted);
    grid.sort((a, b) => a - b);
    const mapped = grid.map((value) => quantileTransform(scaler, value));
    const outOfRange = mapped.filter((y) => !(y >= 0 && y <= 1));
    const decreasing = mapped.flatMap((y, k) => (k > 0 && y < mapped[k - 1]! ? [[grid[k - 1], grid[k]]] : []));
    expect({ outOfRange, decreasing }).toEqual({ outOfRange: [], decreasing: [] });
    expect([mapped[0], mapped.at(-1)]).toEqual([0, 1]);
    // Roughly uniform: a value's transform is close to its empirical CDF (ties: the middle of the run).
    const rank = (v: number) => (sorted.indexOf(v) + sorted.lastIndexOf(v)) / 2 / (sorted.length - 1);
    for (const v of [3, 12, 24, 50, 150]) if (sorted.includes(v)) expect(Math.abs(quantileTransform(scaler, v) - rank(v))).toBeLessThan(0.01);
  });

  it('gives a tied value the middle of its run of quantiles (as scikit-learn averages both directions)', () => {
    const scaler = fitQuantileScaler([1, 2, 2, 2, 3]);
    expect(scaler.quantiles).toEqual([1, 2, 2, 2, 3]);
    expect(quantileTransform(scaler, 2)).toBe(0.5);
    expect(quantileTransform(scaler, 1.5)).toBeCloseTo(0.125, 12);
    expect(quantileTransform(scaler, 2.5)).toBeCloseTo(0.875, 12);
    // Ties at the ends map to the bounds.
    expect(quantileTransform(fitQuantileScaler([0, 0, 0, 5, 10]), 0)).toBe(0);
    expect(quantileTransform(fitQuantileScaler([0, 5, 10, 10, 10]), 10)).toBe(1);
  });

  it('handles degenerate inputs: one value, all equal, none', () => {
    expect(quantileTransform(fitQuantileScaler([4]), 4)).toBe(0);
    const constant = fitQuantileScaler([3, 3, 3]);
    expect([2, 3, 4].map((v) => quantileTransform(constant, v))).toEqual([0, 0, 1]);
    expect(quantileTransform(fitQuantileScaler([]), 1)).toBe(0);
  });

  it('item features: quantile columns in [0, 1], unknown episodes filled with the median, genres and types one-hot', () => {
    const items = [
      { episodes: 12, members: 100, genres: ['Drama'], type: 'TV' },
      { episodes: null, members: 5000, genres: ['Action', 'Drama'], type: 'Movie' },
      { episodes: 1, members: 300, genres: [], type: null },
      { episodes: 24, members: 100, genres: ['Comedy'], type: 'TV' },
    ];
    const spec = fitFeatureSpec(items, { quantile: true, genres: true, types: true });
    expect(spec.genres).toEqual(['Action', 'Comedy', 'Drama']);
    expect(spec.types).toEqual(['Movie', 'TV']);
    expect(spec.episodesFill).toBe(12);
    const features = itemFeatures(spec, items);
    const width = 2 + 3 + 2;
    expect(features).toHaveLength(4 * width);
    const row = (r: number) => Array.from(features.subarray(r * width, (r + 1) * width));
    // Episodes 12 (filled) ties with item 0's 12: both the middle of their run.
    expect(row(1)[0]).toBe(row(0)[0]);
    expect(row(1)[1]).toBe(1);
    expect(row(1).slice(2)).toEqual([1, 0, 1, 1, 0]);
    expect(row(2).slice(0, 2)).toEqual([0, Math.fround(quantileTransform(spec.members, 300))]);
    expect(row(2).slice(2)).toEqual([0, 0, 0, 0, 0]);
    expect(row(3).slice(2)).toEqual([0, 1, 0, 0, 1]);
    for (const value of features) expect(value >= 0 && value <= 1).toBe(true);
  });
});
