/**
 * Publishing a trained model: one model_version row with everything it serves (embeddings,
 * biases, map points, head weights), written in ONE transaction, so that readers and a crash
 * see either the whole version or nothing of it. Activation (which version the API serves)
 * swaps the single `is_active` flag in the same transaction, or later with
 * `activateModelVersion`.
 *
 * Failpoints (src/faults/failpoint.ts), in the order they are reached:
 * - `publish:after-version-row`      the model_version row is inserted (uncommitted)
 * - `publish:after-item-embeddings`  item embeddings are loaded (uncommitted)
 * - `publish:after-user-embeddings`  user embeddings are loaded (uncommitted)
 * - `publish:after-indexes`          the version's HNSW indexes are built (uncommitted)
 * - `publish:before-commit`          map points and activation done; last step inside the transaction
 * - `publish:after-commit`           the transaction has committed; before publishModelVersion returns
 */
import type { Queryable, Database } from '../db/database';
import { failpoint } from '../faults/failpoint';
import { isModelKind } from '../models/kind';
import type { EmbeddingSet, ModelVersionDraft } from './draft';

/** The embedding sizes the schema accepts (a CHECK) and has an HNSW index for (one per size). */
export const SUPPORTED_EMBEDDING_DIMS = [8, 16, 32, 64, 128, 256] as const;

const EMBEDDING_TABLES = ['item_embedding', 'user_embedding'] as const;

/** Name of a model version's HNSW index on an embedding table. */
export function hnswIndexName(table: (typeof EMBEDDING_TABLES)[number], versionId: number): string {
  return `${table}_hnsw_v${versionId}`;
}

/**
 * A model version's HNSW cosine index: partial (its rows only) and on the expression
 * `embedding::vector(dim)`, since pgvector indexes need a fixed dimension. Searches must use
 * `WHERE model_version_id = <id> ... ORDER BY embedding::vector(<dim>) <=> $q`.
 */
function createHnswIndexSql(table: (typeof EMBEDDING_TABLES)[number], versionId: number, dim: number): string {
  return `CREATE INDEX "${hnswIndexName(table, versionId)}" ON "${table}"
          USING hnsw (("embedding"::vector(${Number(dim)})) vector_cosine_ops) WHERE "model_version_id" = ${Number(versionId)}`;
}

/** Serializes activations (and deletions) so two of them cannot race on the single active flag. */
const ACTIVATION_LOCK_KEY = 72707370;

/** About this many floats per COPY chunk (~1.5 MB of text): bounded memory, few round trips. */
const CHUNK_FLOATS = 1 << 17;

export class InvalidModelVersionDraftError extends Error {
  override readonly name = 'InvalidModelVersionDraftError';
  constructor(problem: string) {
    super(`invalid model version draft: ${problem}`);
  }
}

export interface PublishResult {
  id: number;
  activated: boolean;
}

/**
 * Writes `draft` as a new ready model version and, when `activate`, makes it the active one,
 * all in one transaction. The draft is validated first; an invalid one throws
 * InvalidModelVersionDraftError before the database is touched.
 *
 * Non-finite numbers inside hyperparameters, metrics or history become null (JSON has none).
 */
export async function publishModelVersion(db: Database, draft: ModelVersionDraft, options: { activate: boolean }): Promise<PublishResult> {
  const json = validateDraft(draft);
  const head = Buffer.from(draft.headWeights.buffer, draft.headWeights.byteOffset, draft.headWeights.byteLength);

  const id = await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO model_version (kind, status, embedding_dim, hyperparameters, metrics, history, head_weights, finished_at)
       VALUES ($1, 'ready', $2, $3::jsonb, $4::jsonb, $5::jsonb, $6, now())
       RETURNING id`,
      [draft.kind, draft.embeddingDim, json.hyperparameters, json.metrics, json.history, head],
    );
    const versionId = rows[0]?.id;
    if (versionId === undefined) throw new Error('INSERT INTO model_version returned no id');
    failpoint('publish:after-version-row');

    await copyEmbeddings(tx, 'item_embedding', 'anime_id', versionId, draft.items);
    failpoint('publish:after-item-embeddings');
    await copyEmbeddings(tx, 'user_embedding', 'user_id', versionId, draft.users);
    failpoint('publish:after-user-embeddings');
    // Bulk, then index: one build per table beats maintaining the index row by row.
    for (const table of EMBEDDING_TABLES) await tx.exec(createHnswIndexSql(table, versionId, draft.embeddingDim));
    failpoint('publish:after-indexes');

    if (draft.map) await copyMapPoints(tx, versionId, draft.map);
    if (options.activate) await activateWithin(tx, versionId);
    failpoint('publish:before-commit');
    return versionId;
  });
  failpoint('publish:after-commit');
  return { id, activated: options.activate };
}

/** Makes the ready version `id` the only active one, in one transaction. */
export async function activateModelVersion(db: Database, id: number): Promise<void> {
  await db.transaction(async (tx) => {
    // The lock first, as in publishing: taking it after the row lock could deadlock with a publish.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [ACTIVATION_LOCK_KEY]);
    const { rows } = await tx.query<{ status: string }>('SELECT status FROM model_version WHERE id = $1 FOR UPDATE', [id]);
    const row = rows[0];
    if (!row) throw new Error(`cannot activate model version ${id}: it does not exist`);
    if (row.status !== 'ready') throw new Error(`cannot activate model version ${id}: its status is '${row.status}', not 'ready'`);
    await activateWithin(tx, id, { locked: true });
  });
}

/** The id of the active model version, or null when none is active. */
export async function activeModelVersionId(db: Queryable): Promise<number | null> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM model_version WHERE is_active');
  return rows[0]?.id ?? null;
}

/**
 * Deletes old model versions: of the ready versions, newest first, those after the first
 * `keep` are deleted, except the active one, which is always kept. Their embeddings and map
 * points go with them (ON DELETE CASCADE). Versions that are not ready are left alone.
 * Returns the deleted ids, ascending.
 */
export async function deleteOldModelVersions(db: Database, options: { keep: number }): Promise<number[]> {
  const { keep } = options;
  if (!Number.isSafeInteger(keep) || keep < 0) throw new Error(`deleteOldModelVersions: keep must be a whole number ≥ 0, got ${keep}`);
  return db.transaction(async (tx) => {
    // Serialized with activations, so the version being activated is never the one deleted.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [ACTIVATION_LOCK_KEY]);
    const { rows } = await tx.query<{ id: number }>(
      `DELETE FROM model_version
       WHERE id IN (
         SELECT id FROM (
           SELECT id, is_active, row_number() OVER (ORDER BY created_at DESC, id DESC) AS newest
           FROM model_version WHERE status = 'ready'
         ) ranked
         WHERE newest > $1 AND NOT is_active
       )
       RETURNING id`,
      [keep],
    );
    for (const { id } of rows) {
      for (const table of EMBEDDING_TABLES) await tx.exec(`DROP INDEX IF EXISTS "${hnswIndexName(table, id)}"`);
    }
    return rows.map((row) => row.id).sort((a, b) => a - b);
  });
}

// ---- inside the transaction ----

async function activateWithin(tx: Queryable, id: number, { locked = false } = {}): Promise<void> {
  if (!locked) await tx.query('SELECT pg_advisory_xact_lock($1)', [ACTIVATION_LOCK_KEY]);
  // Two statements in this order: the single-active unique index is checked row by row.
  await tx.query('UPDATE model_version SET is_active = false WHERE is_active AND id <> $1', [id]);
  const { rowCount } = await tx.query(
    `UPDATE model_version SET is_active = true, activated_at = CASE WHEN is_active THEN activated_at ELSE now() END
     WHERE id = $1 AND status = 'ready'`,
    [id],
  );
  if (rowCount !== 1) throw new Error(`cannot activate model version ${id}: no ready version has that id`);
}

async function copyEmbeddings(tx: Queryable, table: 'item_embedding' | 'user_embedding', idColumn: 'anime_id' | 'user_id', versionId: number, set: EmbeddingSet): Promise<void> {
  const { ids, vectors, dim, biases } = set;
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_FLOATS / dim));
  const prefix = `${versionId}\t`;
  const dimText = `\t${dim}\t`;
  for (let start = 0; start < ids.length; start += rowsPerChunk) {
    const end = Math.min(ids.length, start + rowsPerChunk);
    let chunk = '';
    for (let row = start; row < end; row++) {
      const bias = biases ? float32Text(biases[row]!) : '\\N';
      chunk += `${prefix}${ids[row]!}${dimText}${vectorText(vectors, row * dim, dim)}\t${bias}\n`;
    }
    await tx.copyFrom(table, ['model_version_id', idColumn, 'dim', 'embedding', 'bias'], chunk);
  }
}

async function copyMapPoints(tx: Queryable, versionId: number, map: NonNullable<ModelVersionDraft['map']>): Promise<void> {
  const rowsPerChunk = CHUNK_FLOATS / 2;
  for (let start = 0; start < map.ids.length; start += rowsPerChunk) {
    const end = Math.min(map.ids.length, start + rowsPerChunk);
    let chunk = '';
    for (let row = start; row < end; row++) {
      chunk += `${versionId}\t${map.ids[row]!}\t${float32Text(map.xy[2 * row]!)}\t${float32Text(map.xy[2 * row + 1]!)}\n`;
    }
    await tx.copyFrom('item_map_point', ['model_version_id', 'anime_id', 'x', 'y'], chunk);
  }
}

// ---- float32 as text ----

/**
 * A float32 as decimal text that PostgreSQL reads back as exactly the same float32: nine
 * significant digits always single out one float32 (FLT_DECIMAL_DIG), and both pgvector and
 * float4in parse with strtof, correctly rounded straight to float32 (no double rounding).
 * Negative zero keeps its sign.
 */
export function float32Text(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  return value.toPrecision(9);
}

/** pgvector's text form, `[x0,x1,...]`, of `dim` floats of `vectors` from `offset`. */
export function vectorText(vectors: Float32Array, offset: number, dim: number): string {
  let text = '[';
  for (let k = 0; k < dim; k++) {
    if (k > 0) text += ',';
    text += float32Text(vectors[offset + k]!);
  }
  return `${text}]`;
}

// ---- validation ----

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
function validateDraft(draft: ModelVersionDraft): { hyperparameters: string; metrics: string; history: string } {
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
