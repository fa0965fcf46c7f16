/** Checks a model version draft before publishing touches the database. */
import { isModelKind } from '../models/kinds';
import type { EmbeddingSet, ModelVersionDraft } from './draft';
import { SUPPORTED_EMBEDDING_DIMS } from './embedding-indexes';

export class InvalidModelVersionDraftError extends Error {
  override readonly name = 'InvalidModelVersionDraftError';
  constructor(problem: string) {
    super(`invalid model version draft: ${problem}`);
  }
}

function isSupportedDim(dim: number): boolean {
  return (SUPPORTED_EMBEDDING_DIMS as readonly number[]).includes(dim);
}

function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) return i;
  }
  return -1;
}

function firstDuplicate(ids: Int32Array): number | undefined {
  const seen = new Set<number>();
  for (const id of ids) {
    if (seen.has(id)) return id;
    seen.add(id);
  }
  return undefined;
}

function validateEmbeddingSet(name: 'items' | 'users', set: EmbeddingSet, embeddingDim: number): void {
  const idName = name === 'items' ? 'anime' : 'user';
  if (!(set.ids instanceof Int32Array)) throw new InvalidModelVersionDraftError(`${name}.ids must be an Int32Array`);
  if (!(set.vectors instanceof Float32Array)) throw new InvalidModelVersionDraftError(`${name}.vectors must be a Float32Array`);
  if (set.dim !== embeddingDim) throw new InvalidModelVersionDraftError(`${name}.dim is ${set.dim}, but embeddingDim is ${embeddingDim}`);
  const expected = set.ids.length * set.dim;
  if (set.vectors.length !== expected) {
    throw new InvalidModelVersionDraftError(`${name}.vectors has ${set.vectors.length} values, expected ${set.ids.length} ids × dim ${set.dim} = ${expected}`);
  }
  const duplicate = firstDuplicate(set.ids);
  if (duplicate !== undefined) throw new InvalidModelVersionDraftError(`${name}.ids lists ${idName} ${duplicate} more than once`);
  const bad = firstNonFinite(set.vectors);
  if (bad >= 0) {
    const row = Math.floor(bad / set.dim);
    throw new InvalidModelVersionDraftError(
      `${name}.vectors[${bad}] (${idName} ${set.ids[row]}, component ${bad % set.dim}) is ${set.vectors[bad]}; embeddings must be finite`,
    );
  }
  if (set.biases !== undefined) {
    if (!(set.biases instanceof Float32Array)) throw new InvalidModelVersionDraftError(`${name}.biases must be a Float32Array`);
    if (set.biases.length !== set.ids.length) {
      throw new InvalidModelVersionDraftError(`${name}.biases has ${set.biases.length} values, expected one per id (${set.ids.length})`);
    }
    const badBias = firstNonFinite(set.biases);
    if (badBias >= 0) throw new InvalidModelVersionDraftError(`${name}.biases[${badBias}] (${idName} ${set.ids[badBias]}) is ${set.biases[badBias]}; biases must be finite`);
  }
}

function toJson(name: string, value: unknown, shape: 'object' | 'array'): string {
  const ok = shape === 'array' ? Array.isArray(value) : typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!ok) throw new InvalidModelVersionDraftError(`${name} must be ${shape === 'array' ? 'an array' : 'a plain object'}`);
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw new InvalidModelVersionDraftError(`${name} cannot be stored as JSON: ${(error as Error).message}`);
  }
}

/** Checks everything the database would refuse (or silently get wrong); returns the JSON texts. */
export function validateDraft(draft: ModelVersionDraft): { hyperparameters: string; metrics: string; history: string } {
  if (!isModelKind(draft.kind)) throw new InvalidModelVersionDraftError(`unknown model kind ${JSON.stringify(draft.kind)}`);
  if (!isSupportedDim(draft.embeddingDim)) {
    throw new InvalidModelVersionDraftError(`embeddingDim ${draft.embeddingDim} is not supported; use one of ${SUPPORTED_EMBEDDING_DIMS.join(', ')}`);
  }
  validateEmbeddingSet('items', draft.items, draft.embeddingDim);
  validateEmbeddingSet('users', draft.users, draft.embeddingDim);
  if (!(draft.headWeights instanceof Uint8Array)) throw new InvalidModelVersionDraftError('headWeights must be a Uint8Array');
  if (draft.map !== undefined) {
    const { ids, xy } = draft.map;
    if (!(ids instanceof Int32Array) || !(xy instanceof Float32Array)) throw new InvalidModelVersionDraftError('map.ids must be an Int32Array and map.xy a Float32Array');
    if (xy.length !== ids.length * 2) throw new InvalidModelVersionDraftError(`map.xy has ${xy.length} values, expected ${ids.length} ids × 2 = ${ids.length * 2}`);
    const duplicate = firstDuplicate(ids);
    if (duplicate !== undefined) throw new InvalidModelVersionDraftError(`map.ids lists anime ${duplicate} more than once`);
    const bad = firstNonFinite(xy);
    if (bad >= 0) throw new InvalidModelVersionDraftError(`map.xy[${bad}] (anime ${ids[bad >> 1]}) is ${xy[bad]}; map coordinates must be finite`);
    const items = new Set(draft.items.ids);
    const stray = ids.find((id) => !items.has(id));
    if (stray !== undefined) throw new InvalidModelVersionDraftError(`map.ids has anime ${stray}, which has no item embedding`);
  }
  return {
    hyperparameters: toJson('hyperparameters', draft.hyperparameters, 'object'),
    metrics: toJson('metrics', draft.metrics, 'object'),
    history: toJson('history', draft.history, 'array'),
  };
}
