/**
 * Seeded pseudo-random numbers for everything in training that must be reproducible:
 * evaluation sampling, train/test splits, weight initialization.
 */

/** A source of uniform numbers in [0, 1), like Math.random. */
export type RandomSource = () => number;

/** Index-assignable array-likes: plain arrays and every typed array. */
export interface MutableArrayLike<T> {
  readonly length: number;
  [index: number]: T;
}

/** Read once: a global lookup per draw is slow under Jest's vm context, where tests train models. */
const imul = Math.imul;

/**
 * Mulberry32: a tiny 32-bit-state generator, fast and good enough for sampling and shuffles
 * (not for cryptography). The same seed always gives the same sequence.
 *
 * @param seed any number; only its low 32 bits (after integer truncation) are used.
 * @returns a function giving uniform numbers in [0, 1) with 2^-32 resolution.
 */
export function mulberry32(seed: number): RandomSource {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = imul(state ^ (state >>> 15), 1 | state);
    t = (t + imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A uniform integer in [0, bound).
 * @param bound positive integer, at most 2^32 so that every value stays reachable.
 */
export function randomInt(random: RandomSource, bound: number): number {
  return Math.floor(random() * bound);
}

/**
 * Fisher–Yates shuffle: every permutation equally likely (given a uniform `random`).
 * Consumes exactly `array.length - 1` draws, so a seeded shuffle is reproducible.
 *
 * @returns the same array, shuffled in place.
 */
export function shuffleInPlace<A extends MutableArrayLike<unknown>>(array: A, random: RandomSource): A {
  // Only existing elements are moved, so writing them back through `unknown` is type-safe.
  const slots: MutableArrayLike<unknown> = array;
  for (let i = slots.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    const held = slots[i];
    slots[i] = slots[j];
    slots[j] = held;
  }
  return array;
}
