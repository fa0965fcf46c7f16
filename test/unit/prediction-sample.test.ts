import { samplePredictions } from '../../src/trainer/prediction-sample';

// Ratings that a known function gives exactly: a right pairing shows predicted === actual.
const rating = (user: number, item: number) => 1 + ((user * 7 + item * 3) % 10);

function dataset(rows: number) {
  const users = Int32Array.from({ length: rows }, (_, k) => k % 13);
  const items = Int32Array.from({ length: rows }, (_, k) => (k * 5) % 17);
  return { users, items, ratings: Float32Array.from(users, (u, k) => rating(u, items[k]!)) };
}
const exact = (users: Int32Array, items: Int32Array) => Float32Array.from(users, (u, k) => rating(u, items[k]!));

describe('samplePredictions', () => {
  it('pairs each true rating with the prediction for the same row', () => {
    const sample = samplePredictions(exact, dataset(500), Int32Array.from({ length: 500 }, (_, k) => k), { seed: 3, size: 100 });
    expect(sample.actual).toHaveLength(100);
    expect(sample.predicted).toEqual(sample.actual);
  });

  it('draws only from the given rows, at most size, all of them when fewer', () => {
    const data = dataset(300);
    const odd = Int32Array.from({ length: 150 }, (_, k) => 2 * k + 1);
    const marked = { ...data, ratings: Float32Array.from(data.ratings, (r, k) => (k % 2 === 1 ? r : -r)) };
    const small = samplePredictions(exact, marked, odd, { seed: 1, size: 1000 });
    expect(small.actual).toHaveLength(150);
    expect(small.actual.every((r) => r > 0)).toBe(true);
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const data = dataset(2000);
    const all = Int32Array.from({ length: 2000 }, (_, k) => k);
    const noisy = (users: Int32Array, items: Int32Array) => Float32Array.from(users, (u, k) => u * 100 + items[k]!);
    const a = samplePredictions(noisy, data, all, { seed: 5, size: 50 });
    expect(samplePredictions(noisy, data, all, { seed: 5, size: 50 })).toEqual(a);
    expect(samplePredictions(noisy, data, all, { seed: 6, size: 50 }).predicted).not.toEqual(a.predicted);
  });
});
