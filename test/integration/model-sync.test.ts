/**
 * Two model caches (two servers' worth) on one PostgreSQL database: a fold-in made through
 * one reaches the other by NOTIFY; while the other's listener is cut, by its poll and catch-up.
 */
import pg from 'pg';
import type { Database } from '../../src/db/database';
import { ModelCache } from '../../src/recsys/model-cache';
import { prepareDatabase } from '../reliability/fixture-server';
import { TEST_DRIVERS, TEST_POSTGRES_URL, type TestDatabase } from '../helpers/databases';
import { openPostgresDatabase } from '../../src/db/postgres';

const describePostgres = TEST_POSTGRES_URL ? describe : describe.skip;
if (!TEST_POSTGRES_URL) describe.skip('model sync [postgres: skipped, TEST_POSTGRES_URL is unset]', () => it('runs on PostgreSQL', () => undefined));

const POLL_MS = 200;

async function until(check: () => boolean, timeoutMs = 5000): Promise<number> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - started;
}

describePostgres('model sync across servers [postgres]', () => {
  let test: TestDatabase;
  let otherDb: Database;
  let a: ModelCache;
  let b: ModelCache;
  let admin: pg.Client;
  const database = () => new URL(test.url!).pathname.slice(1);

  const vectorOf = (cache: ModelCache, userId: number) => {
    const serving = cache.current()!;
    const row = serving.userRow.get(userId);
    const dim = serving.model.hyper.embeddingDim;
    return row === undefined ? null : Array.from(serving.model.userEmbeddings.subarray(row * dim, (row + 1) * dim));
  };
  const rate = async (userId: number, animeId: number, rating: number) => {
    await test.db.query('INSERT INTO rating (user_id, anime_id, rating) VALUES ($1, $2, $3) ON CONFLICT (user_id, anime_id) DO UPDATE SET rating = EXCLUDED.rating', [userId, animeId, rating]);
    a.foldIns.schedule(userId);
    await a.foldIns.settled(userId);
  };
  const newUser = async () => (await test.db.query<{ id: number }>(`INSERT INTO app_user (name, source) VALUES ('synced', 'api') RETURNING id`)).rows[0]!.id;

  beforeAll(async () => {
    test = await TEST_DRIVERS.find((driver) => driver.name === 'postgres')!.open();
    await prepareDatabase(test.db);
    otherDb = await openPostgresDatabase(test.url!);
    a = new ModelCache(test.db);
    b = new ModelCache(otherDb);
    for (const cache of [a, b]) {
      await cache.refresh();
      await cache.start(POLL_MS);
    }
    admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
  }, 120_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await admin?.end();
    await otherDb?.close();
    await test?.dispose();
  });

  it('serves a fold-in made elsewhere within a second, by NOTIFY', async () => {
    const user = await newUser();
    await rate(user, 1, 9);
    expect(vectorOf(a, user)).not.toBeNull();
    const took = await until(() => JSON.stringify(vectorOf(b, user)) === JSON.stringify(vectorOf(a, user)));
    expect(took).toBeLessThan(1000);
  });

  it('catches up on the fold-ins made while its listener was cut, and listens again', async () => {
    const user = await newUser();
    // Both listeners (A's and B's) are cut; the fold-in is announced while B hears nothing.
    const { rowCount } = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'`, [database()]);
    expect(rowCount).toBe(2);
    await until(() => !b.listening);
    await rate(user, 2, 3);
    await until(() => JSON.stringify(vectorOf(b, user)) === JSON.stringify(vectorOf(a, user)));
    await until(() => a.listening && b.listening);
    const later = await newUser();
    await rate(later, 3, 8);
    const took = await until(() => JSON.stringify(vectorOf(b, later)) === JSON.stringify(vectorOf(a, later)));
    expect(took).toBeLessThan(1000);
  });
});
