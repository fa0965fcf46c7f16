/**
 * Loads a published model version back into a Model: the head from head_weights, the user and
 * item embeddings (and biases) from the vector columns. Serving and the training job's
 * "does the new model beat the active one" check both use it.
 */
import type { Database } from '../db/database';
import { NotFoundError } from '../errors';
import { deserializeHead, modelFromHead } from '../models/serialize';
import type { Model } from '../models/model';
import { vectorFromSql } from './vector-codec';

export class ModelVersionNotFoundError extends NotFoundError {
  override readonly name = 'ModelVersionNotFoundError';
  constructor(readonly id: number) {
    super(`model version ${id} does not exist or is not ready`);
  }
}

interface EmbeddingRow {
  id: number;
  embedding: string;
  bias: number | null;
}

function unpack(rows: EmbeddingRow[], dim: number) {
  const ids = new Int32Array(rows.length);
  const vectors = new Float32Array(rows.length * dim);
  const biases = new Float32Array(rows.length);
  rows.forEach((row, r) => {
    ids[r] = row.id;
    vectorFromSql(row.embedding, vectors, r * dim, dim);
    biases[r] = row.bias ?? 0;
  });
  return { ids, vectors, biases };
}

/** The whole model of version `id`, rows ordered by database id (as at training). */
export async function loadModelVersion(db: Database, id: number): Promise<Model> {
  const { rows } = await db.query<{ head_weights: Uint8Array }>(
    `SELECT head_weights FROM model_version WHERE id = $1 AND status = 'ready'`,
    [id],
  );
  const bytes = rows[0]?.head_weights;
  if (!bytes) throw new ModelVersionNotFoundError(id);
  const head = deserializeHead(bytes);
  const dim = head.hyper.embeddingDim;
  const items = await db.query<EmbeddingRow>(
    `SELECT anime_id AS id, embedding::text AS embedding, bias FROM item_embedding WHERE model_version_id = $1 ORDER BY anime_id`,
    [id],
  );
  const users = await db.query<EmbeddingRow>(
    `SELECT user_id AS id, embedding::text AS embedding, bias FROM user_embedding WHERE model_version_id = $1 ORDER BY user_id`,
    [id],
  );
  return modelFromHead(head, unpack(users.rows, dim), unpack(items.rows, dim));
}

/** The stored re-ranking stage of version `id` (retrieval kind), or null when it has none. */
export async function loadRerankerBytes(db: Database, id: number): Promise<Uint8Array | null> {
  const { rows } = await db.query<{ reranker: Uint8Array | null }>(`SELECT reranker FROM model_version WHERE id = $1 AND status = 'ready'`, [id]);
  if (rows.length === 0) throw new ModelVersionNotFoundError(id);
  return rows[0]!.reranker;
}
