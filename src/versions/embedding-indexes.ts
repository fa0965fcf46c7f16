/**
 * The per-version HNSW indexes on the embedding tables that are searched: one partial index
 * per version and table, built when the version is published and dropped with it.
 */

/** The embedding sizes the schema accepts (a CHECK) and has an HNSW index for (one per size). */
export const SUPPORTED_EMBEDDING_DIMS = [8, 16, 32, 64, 128, 256] as const;

export const EMBEDDING_TABLES = ['item_embedding', 'user_embedding'] as const;

export type EmbeddingTable = (typeof EMBEDDING_TABLES)[number];

/**
 * The tables a version's vectors are searched in by similarity, and so indexed: item vectors
 * (similarAnime's filtered search). User vectors are only read by user id, and an index on them
 * would cost every publish and every fold-in write for no query (migration 20261206010000
 * dropped the ones earlier versions had; retention still drops any left, by name).
 */
export const SEARCHED_EMBEDDING_TABLES = ['item_embedding'] as const satisfies readonly EmbeddingTable[];

/** Name of a model version's HNSW index on an embedding table. */
export function hnswIndexName(table: EmbeddingTable, versionId: number): string {
  return `${table}_hnsw_v${versionId}`;
}

/**
 * A model version's HNSW cosine index: partial (its rows only) and on the expression
 * `embedding::vector(dim)`, since pgvector indexes need a fixed dimension. Searches must use
 * `WHERE model_version_id = <id> ... ORDER BY embedding::vector(<dim>) <=> $q`.
 */
export function createHnswIndexSql(table: EmbeddingTable, versionId: number, dim: number): string {
  return `CREATE INDEX "${hnswIndexName(table, versionId)}" ON "${table}"
          USING hnsw (("embedding"::vector(${Number(dim)})) vector_cosine_ops) WHERE "model_version_id" = ${Number(versionId)}`;
}

export function dropHnswIndexSql(table: EmbeddingTable, versionId: number): string {
  return `DROP INDEX IF EXISTS "${hnswIndexName(table, versionId)}"`;
}
