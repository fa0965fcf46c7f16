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
import { InvariantError } from '../errors';
import type { Queryable, Database } from '../db/database';
import { failpoint } from '../faults/failpoint';
import { activateWithin } from './activation';
import type { EmbeddingSet, ModelVersionDraft } from './draft';
import { validateDraft } from './draft-validation';
import { createHnswIndexSql, SEARCHED_EMBEDDING_TABLES } from './embedding-indexes';
import { float32Text, vectorToSql } from './vector-codec';

/** About this many floats per COPY chunk (~1.5 MB of text): bounded memory, few round trips. */
const CHUNK_FLOATS = 1 << 17;

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
  const bytes = (array: Uint8Array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  const head = bytes(draft.headWeights);
  const reranker = draft.reranker ? bytes(draft.reranker) : null;

  const id = await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO model_version (kind, status, embedding_dim, hyperparameters, metrics, history, head_weights, reranker, finished_at)
       VALUES ($1, 'ready', $2, $3::jsonb, $4::jsonb, $5::jsonb, $6, $7, now())
       RETURNING id`,
      [draft.kind, draft.embeddingDim, json.hyperparameters, json.metrics, json.history, head, reranker],
    );
    const versionId = rows[0]?.id;
    if (versionId === undefined) throw new InvariantError('INSERT INTO model_version returned no id');
    failpoint('publish:after-version-row');

    await copyEmbeddings(tx, 'item_embedding', 'anime_id', versionId, draft.items);
    failpoint('publish:after-item-embeddings');
    await copyEmbeddings(tx, 'user_embedding', 'user_id', versionId, draft.users);
    failpoint('publish:after-user-embeddings');
    // Bulk, then index: one build per table beats maintaining the index row by row.
    for (const table of SEARCHED_EMBEDDING_TABLES) await tx.exec(createHnswIndexSql(table, versionId, draft.embeddingDim));
    failpoint('publish:after-indexes');

    if (draft.map) await copyMapPoints(tx, versionId, draft.map);
    if (options.activate) await activateWithin(tx, versionId);
    failpoint('publish:before-commit');
    return versionId;
  });
  failpoint('publish:after-commit');
  return { id, activated: options.activate };
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
      chunk += `${prefix}${ids[row]!}${dimText}${vectorToSql(vectors, row * dim, dim)}\t${bias}\n`;
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
