-- The second stage of a retrieval model version (src/ranking/reranker.ts): its rating model,
-- item neighbours, popularity and blend weights. NULL for the other kinds.
ALTER TABLE "model_version" ADD COLUMN "reranker" BYTEA;

-- The retrieval kind (implicit-feedback vectors with a re-ranking stage).
ALTER TABLE "model_version" DROP CONSTRAINT "model_version_kind_known";
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_kind_known"
    CHECK ("kind" IN ('mf', 'deep', 'hybrid', 'hybrid-classifier', 'retrieval'));
