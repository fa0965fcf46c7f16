/**
 * Retention: which model versions stay in the database. After each publish the trainer keeps
 * the active version and the newest `keep` ready versions, and drops the others with their
 * embeddings, map points and HNSW indexes, all in one transaction.
 */
import { InvariantError } from '../errors';
import type { Database } from '../db/database';
import { lockActivations } from './activation';
import { dropHnswIndexSql, EMBEDDING_TABLES } from './embedding-indexes';

/** Ready versions kept besides the active one when MODEL_VERSIONS_KEPT is unset. */
export const DEFAULT_MODEL_VERSIONS_KEPT = 5;

export interface RetentionOptions {
  /** Newest ready versions to keep (the active one is kept besides them). */
  keep: number;
  /** Versions never dropped whatever their age, e.g. one a training run is about to activate. */
  protect?: readonly number[];
}

/**
 * Deletes old model versions: of the ready versions, newest first, those after the first
 * `keep` are deleted, except the active one and the protected ones. Their embeddings and map
 * points go with them (ON DELETE CASCADE), and their HNSW indexes are dropped. Versions that
 * are not ready are left alone. Returns the deleted ids, ascending.
 */
export async function retainModelVersions(db: Database, options: RetentionOptions): Promise<number[]> {
  const { keep, protect = [] } = options;
  if (!Number.isSafeInteger(keep) || keep < 0) throw new InvariantError(`retainModelVersions: keep must be a whole number ≥ 0, got ${keep}`);
  return db.transaction(async (tx) => {
    // Serialized with activations, so the version being activated is never the one deleted.
    await lockActivations(tx);
    const { rows } = await tx.query<{ id: number }>(
      `DELETE FROM model_version
       WHERE id IN (
         SELECT id FROM (
           SELECT id, is_active, row_number() OVER (ORDER BY created_at DESC, id DESC) AS newest
           FROM model_version WHERE status = 'ready'
         ) ranked
         WHERE newest > $1 AND NOT is_active AND NOT (id = ANY($2::int[]))
       )
       RETURNING id`,
      [keep, [...protect]],
    );
    for (const { id } of rows) {
      for (const table of EMBEDDING_TABLES) await tx.exec(dropHnswIndexSql(table, id));
    }
    return rows.map((row) => row.id).sort((a, b) => a - b);
  });
}
