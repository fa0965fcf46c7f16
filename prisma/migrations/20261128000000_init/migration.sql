-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "vector";

-- CreateTable
CREATE TABLE "anime" (
    "id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "genres" TEXT[],
    "type" TEXT,
    "episodes" INTEGER,
    "community_rating" REAL,
    "members" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "anime_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app_user" (
    "id" SERIAL NOT NULL,
    "name" TEXT,
    "source" TEXT NOT NULL DEFAULT 'api',
    "token_hash" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "app_user_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rating" (
    "user_id" INTEGER NOT NULL,
    "anime_id" INTEGER NOT NULL,
    "rating" SMALLINT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rating_pkey" PRIMARY KEY ("user_id","anime_id")
);

-- CreateTable
CREATE TABLE "watched" (
    "user_id" INTEGER NOT NULL,
    "anime_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "watched_pkey" PRIMARY KEY ("user_id","anime_id")
);

-- CreateTable
CREATE TABLE "model_version" (
    "id" SERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'ready',
    "embedding_dim" INTEGER NOT NULL,
    "hyperparameters" JSONB NOT NULL DEFAULT '{}',
    "metrics" JSONB NOT NULL DEFAULT '{}',
    "history" JSONB NOT NULL DEFAULT '[]',
    "head_weights" BYTEA,
    "is_active" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(6),
    "activated_at" TIMESTAMPTZ(6),

    CONSTRAINT "model_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "item_embedding" (
    "model_version_id" INTEGER NOT NULL,
    "anime_id" INTEGER NOT NULL,
    "dim" INTEGER NOT NULL,
    "embedding" vector NOT NULL,
    "bias" REAL,

    CONSTRAINT "item_embedding_pkey" PRIMARY KEY ("model_version_id","anime_id")
);

-- CreateTable
CREATE TABLE "user_embedding" (
    "model_version_id" INTEGER NOT NULL,
    "user_id" INTEGER NOT NULL,
    "dim" INTEGER NOT NULL,
    "embedding" vector NOT NULL,
    "bias" REAL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_embedding_pkey" PRIMARY KEY ("model_version_id","user_id")
);

-- CreateTable
CREATE TABLE "item_map_point" (
    "model_version_id" INTEGER NOT NULL,
    "anime_id" INTEGER NOT NULL,
    "x" REAL NOT NULL,
    "y" REAL NOT NULL,

    CONSTRAINT "item_map_point_pkey" PRIMARY KEY ("model_version_id","anime_id")
);

-- CreateIndex
CREATE INDEX "anime_type_idx" ON "anime"("type");

-- CreateIndex
CREATE UNIQUE INDEX "app_user_token_hash_key" ON "app_user"("token_hash");

-- CreateIndex
CREATE INDEX "rating_anime_id_idx" ON "rating"("anime_id");

-- CreateIndex
CREATE INDEX "watched_anime_id_idx" ON "watched"("anime_id");

-- AddForeignKey
ALTER TABLE "rating" ADD CONSTRAINT "rating_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rating" ADD CONSTRAINT "rating_anime_id_fkey" FOREIGN KEY ("anime_id") REFERENCES "anime"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "watched" ADD CONSTRAINT "watched_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "watched" ADD CONSTRAINT "watched_anime_id_fkey" FOREIGN KEY ("anime_id") REFERENCES "anime"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "item_embedding" ADD CONSTRAINT "item_embedding_model_version_id_fkey" FOREIGN KEY ("model_version_id") REFERENCES "model_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "item_embedding" ADD CONSTRAINT "item_embedding_anime_id_fkey" FOREIGN KEY ("anime_id") REFERENCES "anime"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_embedding" ADD CONSTRAINT "user_embedding_model_version_id_fkey" FOREIGN KEY ("model_version_id") REFERENCES "model_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_embedding" ADD CONSTRAINT "user_embedding_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "item_map_point" ADD CONSTRAINT "item_map_point_model_version_id_fkey" FOREIGN KEY ("model_version_id") REFERENCES "model_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "item_map_point" ADD CONSTRAINT "item_map_point_anime_id_fkey" FOREIGN KEY ("anime_id") REFERENCES "anime"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written below: what Prisma's schema language cannot express.

-- Ratings are explicit 1-10 scores; "watched, unrated" (-1 in the source) lives in "watched".
ALTER TABLE "rating" ADD CONSTRAINT "rating_rating_range" CHECK ("rating" BETWEEN 1 AND 10);
ALTER TABLE "anime" ADD CONSTRAINT "anime_episodes_positive" CHECK ("episodes" IS NULL OR "episodes" >= 0);
ALTER TABLE "anime" ADD CONSTRAINT "anime_members_positive" CHECK ("members" >= 0);
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_kind_known"
    CHECK ("kind" IN ('mf', 'deep', 'hybrid', 'hybrid-classifier'));
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_status_known"
    CHECK ("status" IN ('publishing', 'ready', 'failed'));
-- An active model must be a finished one, and there is at most one.
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_active_is_ready"
    CHECK (NOT "is_active" OR "status" = 'ready');
CREATE UNIQUE INDEX "model_version_single_active" ON "model_version"("is_active") WHERE "is_active";

-- Embedding sizes: every vector's length equals its row's dim, and dim is one the indexes cover.
ALTER TABLE "item_embedding" ADD CONSTRAINT "item_embedding_dim_matches"
    CHECK (vector_dims("embedding") = "dim" AND "dim" IN (8, 16, 32, 64, 128, 256));
ALTER TABLE "user_embedding" ADD CONSTRAINT "user_embedding_dim_matches"
    CHECK (vector_dims("embedding") = "dim" AND "dim" IN (8, 16, 32, 64, 128, 256));

-- HNSW cosine indexes, one per embedding size: pgvector indexes need a fixed dimension, so
-- each is a partial expression index. Queries must say `WHERE dim = N` and order by
-- `embedding::vector(N) <=> $q::vector(N)` to use the index for size N.
CREATE INDEX "item_embedding_hnsw_8" ON "item_embedding" USING hnsw (("embedding"::vector(8)) vector_cosine_ops) WHERE "dim" = 8;
CREATE INDEX "item_embedding_hnsw_16" ON "item_embedding" USING hnsw (("embedding"::vector(16)) vector_cosine_ops) WHERE "dim" = 16;
CREATE INDEX "item_embedding_hnsw_32" ON "item_embedding" USING hnsw (("embedding"::vector(32)) vector_cosine_ops) WHERE "dim" = 32;
CREATE INDEX "item_embedding_hnsw_64" ON "item_embedding" USING hnsw (("embedding"::vector(64)) vector_cosine_ops) WHERE "dim" = 64;
CREATE INDEX "item_embedding_hnsw_128" ON "item_embedding" USING hnsw (("embedding"::vector(128)) vector_cosine_ops) WHERE "dim" = 128;
CREATE INDEX "item_embedding_hnsw_256" ON "item_embedding" USING hnsw (("embedding"::vector(256)) vector_cosine_ops) WHERE "dim" = 256;
CREATE INDEX "user_embedding_hnsw_8" ON "user_embedding" USING hnsw (("embedding"::vector(8)) vector_cosine_ops) WHERE "dim" = 8;
CREATE INDEX "user_embedding_hnsw_16" ON "user_embedding" USING hnsw (("embedding"::vector(16)) vector_cosine_ops) WHERE "dim" = 16;
CREATE INDEX "user_embedding_hnsw_32" ON "user_embedding" USING hnsw (("embedding"::vector(32)) vector_cosine_ops) WHERE "dim" = 32;
CREATE INDEX "user_embedding_hnsw_64" ON "user_embedding" USING hnsw (("embedding"::vector(64)) vector_cosine_ops) WHERE "dim" = 64;
CREATE INDEX "user_embedding_hnsw_128" ON "user_embedding" USING hnsw (("embedding"::vector(128)) vector_cosine_ops) WHERE "dim" = 128;
CREATE INDEX "user_embedding_hnsw_256" ON "user_embedding" USING hnsw (("embedding"::vector(256)) vector_cosine_ops) WHERE "dim" = 256;

-- Trigram-free case-insensitive name search starts with a plain index on lower(name).
CREATE INDEX "anime_lower_name_idx" ON "anime"(lower("name"));
