import { bestRows, largestRows, TopK } from '../../src/ranking/top-k';
import { mulberry32 } from '../../src/trainer/random';

/** The rows a TopK of `count` keeps from the accepted rows, ascending. */
function byHeap(scores: Float32Array, count: number, keep: (row: number) => boolean): number[] {
  const best = new TopK(count);
  for (let row = 0; row < scores.length; row++) if (keep(row)) best.offer(row, scores[row]!);
  return Array.from(best.drainBestFirst()).sort((a, b) => a - b);
}

describe('largestRows', () => {
  const random = mulberry32(5);
  // Few distinct values, so many ties at the boundary; a few NaN.
  const tied = Float32Array.from({ length: 2000 }, () => (random() < 0.01 ? NaN : Math.floor(random() * 20)));
  const spread = Float32Array.from({ length: 2000 }, () => random() * 2 - 1);
  const keep = (row: number) => row % 7 !== 3;
  const skipped = Uint8Array.from({ length: 2000 }, (_, row) => (keep(row) ? 0 : 1));

  it.each([
    ['ties and NaN', tied],
    ['distinct scores', spread],
  ])('keeps the rows a TopK keeps (%s), for counts from none to all', (_, scores) => {
    for (const count of [0, 1, 2, 10, 150, 499, 1713, 1714, 5000]) {
      expect(Array.from(largestRows(scores, count, skipped))).toEqual(byHeap(scores, count, keep));
    }
  });

  it('answers from a shorter array after a longer one (the reused scratch holds no stale rows)', () => {
    largestRows(spread, 100, skipped);
    expect(Array.from(largestRows(Float32Array.from([3, 1, 2]), 2, new Uint8Array(3)))).toEqual([0, 2]);
    expect(Array.from(largestRows(Float32Array.from([0, 0, 0, 0]), 2, new Uint8Array(4)))).toEqual([0, 1]);
  });
});

describe('bestRows', () => {
  it('lists the k best accepted rows best first, ties to the lower row', () => {
    const scores = Float32Array.from([0.5, 0.9, 0.5, 0.1, 0.9, 0.7]);
    expect(Array.from(bestRows(scores, 4, (row) => row !== 4))).toEqual([1, 5, 0, 2]);
    expect(Array.from(bestRows(scores, 10, () => true))).toEqual([1, 4, 5, 0, 2, 3]);
    expect(Array.from(bestRows(scores, 0, () => true))).toEqual([]);
  });
});
