/** Float arrays for the model tests: seeded random values and exact or relative comparisons. */

/** Uniform values in [-scale, scale) from a seeded source. */
export function uniform(length: number, random: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length }, () => (random() * 2 - 1) * scale);
}

/** The largest element-wise |a - b|; the two must have the same length. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let j = 0; j < a.length; j++) max = Math.max(max, Math.abs(a[j]! - b[j]!));
  return max;
}

/** |a - b| ≤ relative · max|b| element-wise (the scale of the reference tensor). */
export function expectRelativelyClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relative: number): void {
  let scale = 0;
  for (let j = 0; j < expected.length; j++) scale = Math.max(scale, Math.abs(expected[j]!));
  expect(scale).toBeGreaterThan(0);
  expect(maxAbsDifference(actual, expected)).toBeLessThanOrEqual(relative * scale);
}

/** The bit patterns of float32s, so that -0 vs 0 and every last bit count in a comparison. */
export function bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}
