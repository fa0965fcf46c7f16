-- HNSW indexes move from one per embedding size (maintained row by row on insert: 95% of a
-- 7,000-item + 5,000-user publish, 24-87 s) to one per model version, built in one pass by the
-- publishing transaction after its COPY (4-13 s), e.g.:
--   CREATE INDEX "item_embedding_hnsw_v12" ON "item_embedding"
--     USING hnsw (("embedding"::vector(64)) vector_cosine_ops) WHERE "model_version_id" = 12;
-- A per-version index also returns k results for a version's top-k query, where a shared
-- per-size index filtered by version after the scan could return fewer.
DROP INDEX "item_embedding_hnsw_8";
DROP INDEX "item_embedding_hnsw_16";
DROP INDEX "item_embedding_hnsw_32";
DROP INDEX "item_embedding_hnsw_64";
DROP INDEX "item_embedding_hnsw_128";
DROP INDEX "item_embedding_hnsw_256";
DROP INDEX "user_embedding_hnsw_8";
DROP INDEX "user_embedding_hnsw_16";
DROP INDEX "user_embedding_hnsw_32";
DROP INDEX "user_embedding_hnsw_64";
DROP INDEX "user_embedding_hnsw_128";
DROP INDEX "user_embedding_hnsw_256";
