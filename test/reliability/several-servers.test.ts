/**
 * Two real server processes (src/main.ts) on one PostgreSQL database, as behind a balancer:
 * a rating taken by A reaches B's recommendations within a second, an activation made through
 * A is served by B within a second, and the rate limits count both servers' requests — in
 * PostgreSQL, and in Redis with REDIS_URL.
 */
import type { Database } from '../../src/db/database';
import { openPostgresDatabase } from '../../src/db/postgres';
import { runTraining } from '../../src/trainer/run-training';
import { activateModelVersion } from '../../src/versions/activation';
import { createPostgresTestDatabase, TEST_POSTGRES_URL } from '../helpers/databases';
import { prepareDatabase } from './fixture-server';
import { gql } from '../helpers/graphql';
import { startServerProcess, type ServerProcess } from '../helpers/processes';

const ADMIN_TOKEN = 'several-servers-admin-token';
const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
/** What "visible on every server" must take at most. */
const VISIBLE_WITHIN_MS = 1000;
const TOKEN_LIMIT = 6;

const describePostgres = TEST_POSTGRES_URL ? describe : describe.skip;
if (!TEST_POSTGRES_URL) describe.skip('several servers [postgres: skipped, TEST_POSTGRES_URL is unset]', () => it('runs on PostgreSQL', () => undefined));

/** Asks `ask` until `done` holds; returns the milliseconds it took. Fails after `timeoutMs`. */
async function timeUntil<T>(ask: () => Promise<T>, done: (answer: T) => boolean, timeoutMs = 10_000): Promise<number> {
  const started = performance.now();
  let last: T | undefined;
  while (performance.now() - started < timeoutMs) {
    last = await ask();
    if (done(last)) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`not within ${timeoutMs} ms; last answer ${JSON.stringify(last)}`);
}

describePostgres('several servers on one PostgreSQL database', () => {
  let created: { url: string; drop(): Promise<void> };
  let db: Database;
  let first: number;
  let second: number;
  const servers: ServerProcess[] = [];

  /** Starts servers A and B side by side. */
  const start = async (env: Record<string, string> = {}): Promise<[ServerProcess, ServerProcess]> => {
    const started = await Promise.all(
      [0, 1].map(async () => {
        const server = await startServerProcess({ DATABASE_URL: created.url, ADMIN_TOKEN, RATE_LIMIT_MUTATIONS_PER_TOKEN: String(TOKEN_LIMIT), ...env });
        servers.push(server);
        return server;
      }),
    );
    return [started[0]!, started[1]!];
  };

  beforeAll(async () => {
    created = await createPostgresTestDatabase(TEST_POSTGRES_URL!);
    db = await openPostgresDatabase(created.url);
    // Two versions told apart by their embedding size; the first is active when the servers start.
    first = await prepareDatabase(db);
    second = (await runTraining(db, { kind: 'mf', preset: 'default', overrides: { embeddingDim: 8, epochs: 1 }, activate: 'always', map: null, rankingUsers: 10 })).modelVersionId;
    await activateModelVersion(db, first);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await db?.close();
    await created?.drop();
  });

  describe('sharing the model through PostgreSQL (rate limits in PostgreSQL too)', () => {
    let a: ServerProcess;
    let b: ServerProcess;
    beforeAll(async () => {
      [a, b] = await start();
    }, 180_000);

    it('a new user rates on A: B recommends for them within a second, and follows their next ratings', async () => {
      const user = (await gql(a.url, 'mutation { createUser(input: { name: "roaming" }) { user { id } token } }')).body.data.createUser;
      const recommendOnB = () => gql(b.url, '{ me { recommendations(k: 5) { anime { id } personal } embedding } }', undefined, user.token);
      const before = await recommendOnB();
      // No rating yet: popular titles, not personal, and no embedding.
      expect(before.body.data.me.recommendations.map((r: { personal: boolean }) => r.personal)).toEqual([false, false, false, false, false]);
      expect(before.body.data.me.embedding).toBeNull();

      const rated = await gql(a.url, 'mutation { rateAnime(input: { animeId: 1, rating: 10 }) { rating { rating } } }', undefined, user.token);
      expect(rated.body.data.rateAnime.rating.rating).toBe(10);
      const firstSeen = await timeUntil(recommendOnB, (answer) => answer.body.data?.me?.recommendations?.length === 5 && answer.body.data.me.recommendations[0].personal === true);
      expect(firstSeen).toBeLessThan(VISIBLE_WITHIN_MS);

      await gql(a.url, 'mutation { rateAnime(input: { animeId: 2, rating: 1 }) { rating { rating } } }', undefined, user.token);
      const onA = (await gql(a.url, '{ me { embedding } }', undefined, user.token)).body.data.me.embedding as number[];
      const updated = await timeUntil(recommendOnB, (answer) => JSON.stringify(answer.body.data?.me?.embedding) === JSON.stringify(onA));
      expect(updated).toBeLessThan(VISIBLE_WITHIN_MS);
    });

    it('an activation made through A is served by B within a second', async () => {
      // The served version's size shows in any embedding: here a dataset user's, read by the admin.
      const servedSize = async (server: ServerProcess) =>
        ((await gql(server.url, '{ user(id: 1) { embedding } }', undefined, ADMIN_TOKEN)).body.data.user.embedding as number[]).length;
      expect(await servedSize(b)).toBe(16);
      const activated = await gql(a.url, `mutation { activateModel(input: { id: ${second} }) { modelVersion { id } } }`, undefined, ADMIN_TOKEN);
      expect(activated.body.data.activateModel.modelVersion.id).toBe(second);
      const switched = await timeUntil(() => servedSize(b), (size) => size === 8);
      expect(switched).toBeLessThan(VISIBLE_WITHIN_MS);
      await gql(a.url, `mutation { activateModel(input: { id: ${first} }) { modelVersion { id } } }`, undefined, ADMIN_TOKEN);
      await timeUntil(() => servedSize(b), (size) => size === 16);
    });

    it(`counts one token's mutations on both servers against one budget of ${TOKEN_LIMIT}`, async () => {
      await expectSharedBudget(a, b);
    });
  });

  describe('with REDIS_URL: the rate limits in Redis', () => {
    let a: ServerProcess;
    let b: ServerProcess;
    beforeAll(async () => {
      await Promise.all(servers.splice(0).map((server) => server.stop()));
      [a, b] = await start({ REDIS_URL });
    }, 180_000);

    it(`counts one token's mutations on both servers against one budget of ${TOKEN_LIMIT}`, async () => {
      await expectSharedBudget(a, b);
    });
  });
});

/** Spends a new user's budget half on A, half on B; the next mutation on either is refused. */
async function expectSharedBudget(a: ServerProcess, b: ServerProcess): Promise<void> {
  const token = (await gql(a.url, 'mutation { createUser(input: { name: "busy" }) { token } }')).body.data.createUser.token as string;
  const rate = (server: ServerProcess, rating: number) => gql(server.url, `mutation { rateAnime(input: { animeId: 3, rating: ${rating} }) { rating { rating } } }`, undefined, token);
  for (let i = 1; i <= TOKEN_LIMIT; i++) {
    const answer = await rate(i % 2 === 0 ? a : b, i);
    expect(answer.body.data?.rateAnime?.rating?.rating).toBe(i);
  }
  for (const server of [a, b]) {
    const refused = await rate(server, 1);
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].extensions.code).toBe('RATE_LIMITED');
  }
}
