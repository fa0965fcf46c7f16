-- User vectors are read by user id only (a version's load, fold-in sync), never searched by
-- similarity: their per-version HNSW indexes cost every publish and every fold-in write and
-- served no query. Item vectors keep theirs (similarAnime's filtered search).
DO $$
DECLARE
    index_name text;
BEGIN
    FOR index_name IN
        SELECT indexname FROM pg_indexes WHERE tablename = 'user_embedding' AND indexname LIKE 'user\_embedding\_hnsw\_v%'
    LOOP
        EXECUTE format('DROP INDEX %I', index_name);
    END LOOP;
END
$$;
