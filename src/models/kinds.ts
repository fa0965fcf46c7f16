/** The model kinds of the notebook, one string union; switch over it exhaustively. */

export const MODEL_KINDS = ['mf', 'deep', 'hybrid', 'hybrid-classifier'] as const;

/**
 * - `mf`: dot(user, item) (+ biases and a global mean in our defaults)
 * - `deep`: concat(user, item) → dropout → Dense relu → Dense 1
 * - `hybrid`: concat(user, item, item metadata) → Dense 64 relu → Dense 64 relu → Dense 1, dropout 0.3
 * - `hybrid-classifier`: the hybrid body with a 10-way softmax over the ratings 1..10
 */
export type ModelKind = (typeof MODEL_KINDS)[number];

export function isModelKind(value: string): value is ModelKind {
  return (MODEL_KINDS as readonly string[]).includes(value);
}

/** For the compile-time exhaustiveness check in a switch's default branch. */
export function unreachable(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
