/** The database contract and the schema, on both drivers. */
import { readMigrations, migrate, MigrationError } from '../../src/db/migrate';
import { toSql } from 'pgvector';
import { describeEachDriver, type TestDatabase } from '../helpers/databases';

const TABLES = ['anime', 'app_user', 'rating', 'watched', 'model_version', 'item_embedding', 'user_embedding', 'item_map_point'];

describeEachDriver('database', (driver) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await driver.open({ migrated: false });
  });
  afterAll(() => test.dispose());

  it('applies every migration once and records it as Prisma does', async () => {
    const { db } = test;
    const first = await migrate(db);
    expect(first.applied).toEqual(readMigrations().map((m) => m.name));
    const again = await migrate(db);
    expect(again).toEqual({ applied: [], alreadyApplied: readMigrations().length });
    const { rows } = await db.query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual(readMigrations().map((m) => [m.name, m.checksum]));
    expect(rows.every((r) => r.finished_at !== null && r.applied_steps_count === 1)).toBe(true);
  });

  it('creates the tables and the vector extension', async () => {
    const { rows } = await test.db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining([...TABLES, '_prisma_migrations']));
    const ext = await test.db.query(`SELECT 1 FROM pg_extension WHERE extname = 'vector'`);
    expect(ext.rowCount).toBe(1);
  });

  it('refuses a migration whose file changed after it was applied', async () => {
    const changed = readMigrations().map((m, i) => (i === 0 ? { ...m, checksum: 'f'.repeat(64) } : m));
    await expect(migrate(test.db, changed)).rejects.toThrow(MigrationError);
    await expect(migrate(test.db, changed)).rejects.toMatchObject({ code: 'MIGRATION_FAILED' });
  });

  it('rolls back a failing migration with everything before it in the batch', async () => {
    const broken = [...readMigrations(), { name: '99999999999999_broken', sql: 'CREATE TABLE half_done (id int); SELECT nope;', checksum: '0'.repeat(64) }];
    await expect(migrate(test.db, broken)).rejects.toThrow();
    const table = await test.db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`);
    expect(table.rowCount).toBe(0);
    const recorded = await test.db.query(`SELECT 1 FROM _prisma_migrations WHERE migration_name = '99999999999999_broken'`);
    expect(recorded.rowCount).toBe(0);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const { db } = test;
    await db.transaction((tx) => tx.query(`INSERT INTO anime (id, name, genres) VALUES (1, 'Kept', '{}')`));
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO anime (id, name, genres) VALUES (2, 'Gone', '{}')`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await db.query<{ id: number }>('SELECT id FROM anime ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual([1]);
  });

  it('bulk-loads with COPY text format, nulls and escapes included', async () => {
    const { db } = test;
    await db.transaction((tx) =>
      tx.copyFrom('anime', ['id', 'name', 'genres', 'episodes'], '10\tTab\\there\t{"A","B, C"}\t\\N\n11\tBack\\\\slash\t{}\t12\n'),
    );
    const { rows } = await db.query<{ id: number; name: string; genres: string[]; episodes: number | null }>(
      'SELECT id, name, genres, episodes FROM anime WHERE id >= 10 ORDER BY id',
    );
    expect(rows).toEqual([
      { id: 10, name: 'Tab\there', genres: ['A', 'B, C'], episodes: null },
      { id: 11, name: 'Back\\slash', genres: [], episodes: 12 },
    ]);
  });

  it('loads back-to-back COPYs of different sizes exactly, and a COPY after a failed one', async () => {
    const { db } = test;
    const lines = (from: number, n: number) => Buffer.from(Array.from({ length: n }, (_, i) => `${from + i}\tanime ${from + i}\t{}\n`).join(''));
    const count = async () => (await db.query<{ n: number; max: number | null }>('SELECT count(*)::int AS n, max(id) AS max FROM anime WHERE id >= 1000')).rows[0];
    // A long COPY, then a short one: the short one must not see the long one's bytes.
    await db.transaction(async (tx) => {
      await tx.copyFrom('anime', ['id', 'name', 'genres'], lines(1000, 5000));
      await tx.copyFrom('anime', ['id', 'name', 'genres'], lines(9000, 2));
    });
    expect(await count()).toEqual({ n: 5002, max: 9001 });
    await expect(db.copyFrom('anime', ['id', 'name', 'genres'], Buffer.from('not-a-number\tx\t{}\n'))).rejects.toThrow();
    await db.copyFrom('anime', ['id', 'name', 'genres'], '9100\tété\t{}\n'); // text, not bytes
    expect(await count()).toEqual({ n: 5003, max: 9100 });
    expect((await db.query('SELECT name FROM anime WHERE id = 9100')).rows).toEqual([{ name: 'été' }]);
    await db.query('DELETE FROM anime WHERE id >= 1000');
  });

  it('returns counts as numbers on both drivers', async () => {
    const { rows } = await test.db.query<{ n: unknown }>('SELECT count(*) AS n FROM anime');
    expect(rows[0]!.n).toBe(3);
  });

  it('serves relational work through Prisma Client on the same database', async () => {
    const prisma = test.db.prisma();
    const anime = await prisma.anime.findUnique({ where: { id: 11 } });
    expect(anime).toMatchObject({ id: 11, name: 'Back\\slash', episodes: 12 });
    const user = await prisma.appUser.create({ data: { name: 'prisma-user' } });
    expect(user.source).toBe('api');
  });

  it.each([
    ['a rating outside 1-10', `INSERT INTO rating (user_id, anime_id, rating) SELECT id, 1, 11 FROM app_user LIMIT 1`],
    ['a rating of an unknown anime', `INSERT INTO rating (user_id, anime_id, rating) SELECT id, 424242, 5 FROM app_user LIMIT 1`],
    ['an unknown model kind', `INSERT INTO model_version (kind, embedding_dim) VALUES ('svd', 64)`],
    ['an active model that is not ready', `INSERT INTO model_version (kind, embedding_dim, status, is_active) VALUES ('mf', 64, 'publishing', true)`],
  ])('rejects %s', async (_what, sql) => {
    await expect(test.db.query(sql)).rejects.toThrow();
  });

  describe('embeddings', () => {
    let modelId: number;
    beforeAll(async () => {
      const { rows } = await test.db.query<{ id: number }>(
        `INSERT INTO model_version (kind, embedding_dim, status) VALUES ('mf', 4, 'ready') RETURNING id`,
      );
      modelId = rows[0]!.id;
    });

    it('rejects a vector whose length differs from its dim, and an unindexed dim', async () => {
      await expect(
        test.db.query(`INSERT INTO item_embedding (model_version_id, anime_id, dim, embedding) VALUES ($1, 1, 8, $2)`, [modelId, toSql([1, 2, 3])]),
      ).rejects.toThrow();
      await expect(
        test.db.query(`INSERT INTO item_embedding (model_version_id, anime_id, dim, embedding) VALUES ($1, 1, 3, $2)`, [modelId, toSql([1, 2, 3])]),
      ).rejects.toThrow();
    });

    it('stores several embedding sizes and answers cosine searches per size', async () => {
      const { db } = test;
      const rows: [number, number[]][] = [
        [1, [1, 0, 0, 0, 0, 0, 0, 0]],
        [10, [0.9, 0.1, 0, 0, 0, 0, 0, 0]],
        [11, [0, 1, 0, 0, 0, 0, 0, 0]],
      ];
      for (const [animeId, vector] of rows) {
        await db.query(`INSERT INTO item_embedding (model_version_id, anime_id, dim, embedding) VALUES ($1, $2, 8, $3)`, [modelId, animeId, toSql(vector)]);
      }
      await db.query(`INSERT INTO item_embedding (model_version_id, anime_id, dim, embedding) VALUES ($1, 2, 16, $2)`, [
        modelId,
        toSql(Array.from({ length: 16 }, (_, i) => i + 1)),
      ]).catch(() => undefined); // anime 2 does not exist: FK keeps it out
      const { rows: found } = await db.query<{ anime_id: number; distance: number }>(
        `SELECT anime_id, embedding::vector(8) <=> $2::vector(8) AS distance FROM item_embedding
         WHERE model_version_id = $1 AND dim = 8 ORDER BY embedding::vector(8) <=> $2::vector(8) LIMIT 2`,
        [modelId, toSql([1, 0, 0, 0, 0, 0, 0, 0])],
      );
      expect(found.map((r) => r.anime_id)).toEqual([1, 10]);
      expect(found[0]!.distance).toBeCloseTo(0, 6);
    });

    it('searches a version through its own HNSW cosine index, as publishing builds it', async () => {
      const { db } = test;
      await db.exec(`CREATE INDEX "item_embedding_hnsw_v${modelId}" ON item_embedding
                     USING hnsw ((embedding::vector(8)) vector_cosine_ops) WHERE model_version_id = ${modelId}`);
      const plan = await db.transaction(async (tx) => {
        await tx.query('SET LOCAL enable_seqscan = off');
        const explained = await tx.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN SELECT anime_id FROM item_embedding WHERE model_version_id = ${modelId}
           ORDER BY embedding::vector(8) <=> '[1,0,0,0,0,0,0,0]'::vector(8) LIMIT 5`,
        );
        return explained.rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(plan).toContain(`item_embedding_hnsw_v${modelId}`);
    });
  });
});
