/**
 * The server under test for bench:load and the fault scripts: a fresh database (a throwaway
 * embedded data directory, or a scratch database on a PostgreSQL server) holding the demo data
 * and a trained model, served by src/main.ts in its own process. Internal to bench/.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gql, type Connection } from '../test/helpers/graphql';
import { startServerProcess, type ServerProcess } from '../test/helpers/processes';
import { createScratchDatabase } from './postgres';
import { eachLimited } from './lifecycle';

export function log(message: string): void {
  process.stderr.write(`[bench:load] ${message}\n`);
}

export type DatabaseChoice = 'embedded' | 'postgres';

export interface BenchDatabase {
  /** Environment that points a server at this database. */
  env: Record<string, string>;
  /** What the report says about it. */
  label: string;
  drop(): Promise<void>;
}

/** A new empty database of the chosen kind (`adminUrl`: the PostgreSQL server to create it on). */
export async function createBenchDatabase(choice: DatabaseChoice, adminUrl: string): Promise<BenchDatabase> {
  if (choice === 'embedded') {
    const dir = mkdtempSync(join(tmpdir(), 'animerec-load-'));
    return { env: { DATA_DIR: dir }, label: 'embedded (PGlite, in-process)', drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const scratch = await createScratchDatabase(adminUrl);
  return { env: { DATABASE_URL: scratch.url }, label: `PostgreSQL (${new URL(adminUrl).host})`, drop: () => scratch.drop() };
}

export const BENCH_ENV = {
  // The benchmark sends thousands of mutations from one address: no rate limits here.
  RATE_LIMIT_MUTATIONS_PER_TOKEN: '0',
  RATE_LIMIT_MUTATIONS_PER_IP: '0',
  LOG_LEVEL: 'warn',
};

/**
 * Starts a server on `db` that loads the demo data at first start, then trains `kind` for
 * `epochs` epochs through the admin API (no 2-D map: not needed here) and waits until that
 * model is active (minutes). The server keeps running; the caller stops it.
 */
export async function startTrainedServer(db: BenchDatabase, kind: string, epochs: number, extraEnv: Record<string, string> = {}, timeoutS = 1800): Promise<ServerProcess> {
  const adminToken = randomBytes(24).toString('hex');
  const server = await startServerProcess({ ...BENCH_ENV, ...db.env, SEED_DEMO_DATA: 'true', TRAIN_AT_START: 'none', ADMIN_TOKEN: adminToken, ...extraEnv }, 600_000);
  const started = Date.now();
  // The API names kinds by their enum names: hybrid-classifier is HYBRID_CLASSIFIER.
  const kindName = kind.toUpperCase().replace(/-/g, '_');
  const run = await gql(server.url, 'mutation ($kind: ModelKind!, $params: JSONObject) { startTraining(input: { kind: $kind, params: $params, activate: true, map: NONE }) { trainingRun { id } } }', { kind: kindName, params: { epochs } }, adminToken, 60_000);
  if (!run.body?.data?.startTraining) throw new Error(`startTraining failed: ${JSON.stringify(run.body).slice(0, 300)}`);
  let lastNote = 0;
  for (;;) {
    const { body } = await gql(server.url, '{ activeModel { id kind } trainingRuns { nodes { id status phase progress error } } }', undefined, adminToken, 120_000).catch(() => ({ body: null as any }));
    if (body?.data?.activeModel?.kind === kindName) {
      log(`model ${body.data.activeModel.id} (${kind}, ${epochs} epochs) active after ${Math.round((Date.now() - started) / 1000)} s`);
      return server;
    }
    const failed = body?.data?.trainingRuns?.nodes?.find((r: { status: string }) => r.status === 'FAILED');
    if (failed) throw new Error(`training failed: ${failed.error}`);
    if (Date.now() - started > timeoutS * 1000) throw new Error(`no ${kind} model after ${timeoutS} s`);
    if (Date.now() - lastNote > 30_000) {
      lastNote = Date.now();
      const current = body?.data?.trainingRuns?.nodes?.[0];
      log(`waiting for the ${kind} model: ${current ? `${current.phase} ${Math.round((current.progress ?? 0) * 100)}%` : '?'} (${Math.round((Date.now() - started) / 1000)} s)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** Another server on `db` (already holding the data and the model), as a second one behind a balancer. */
export function startAnotherServer(db: BenchDatabase): Promise<ServerProcess> {
  return startServerProcess({ ...BENCH_ENV, ...db.env, SEED_DEMO_DATA: 'false', TRAIN_AT_START: 'none' }, 600_000);
}

/** Creates `count` API users (4 at a time: each costs a scrypt hash). */
export async function createUsers(url: string, count: number, prefix: string): Promise<{ id: number; token: string }[]> {
  const users: { id: number; token: string }[] = new Array(count);
  await eachLimited(Array.from({ length: count }, (_, i) => i), 4, async (i) => {
    const { body } = await gql(url, 'mutation ($name: String!) { createUser(input: { name: $name }) { token user { id } } }', { name: `${prefix} ${i}` }, undefined, 60_000);
    if (!body?.data?.createUser) throw new Error(`createUser failed: ${JSON.stringify(body).slice(0, 300)}`);
    users[i] = { id: body.data.createUser.user.id, token: body.data.createUser.token };
  });
  return users;
}

/**
 * Signs every user in once on every server (`me { id }`), as a client does before it works: a
 * server checks a token it has not seen with a scrypt hash (~50 ms of CPU, then remembered for
 * 5 min), which would otherwise land in the first seconds of a timed run.
 */
export async function signInEverywhere(urls: readonly string[], users: readonly { id: number; token: string }[]): Promise<void> {
  const pairs = urls.flatMap((url) => users.map((user) => ({ url, user })));
  await eachLimited(pairs, 4, async ({ url, user }) => {
    const { body } = await gql(url, '{ me { id } }', undefined, user.token, 60_000);
    if (body?.data?.me?.id !== user.id) throw new Error(`signing in user ${user.id} failed: ${JSON.stringify(body).slice(0, 300)}`);
  });
}

/** The most popular anime with an embedding, and demo users (ids 1..) with one. */
export async function servedIds(url: string, animeCount: number, userProbe: number): Promise<{ anime: number[]; users: number[] }> {
  const anime: number[] = [];
  let after: string | null = null;
  while (anime.length < animeCount) {
    const { body } = await gql(url, 'query ($after: String) { animes(first: 100, after: $after) { nodes { id embedding } pageInfo { hasNextPage endCursor } } }', { after }, undefined, 60_000);
    const page = body.data.animes as Pick<Connection<{ id: number; embedding: number[] | null }>, 'nodes' | 'pageInfo'>;
    anime.push(...page.nodes.filter((item) => item.embedding !== null).map((item) => item.id));
    after = page.pageInfo.endCursor;
    if (!page.pageInfo.hasNextPage) break;
  }
  const users: number[] = [];
  for (let start = 1; start <= userProbe; start += 25) {
    const ids = Array.from({ length: 25 }, (_, i) => start + i).filter((id) => id <= userProbe);
    const { body } = await gql(url, `{ ${ids.map((id) => `u${id}: user(id: ${id}) { id embedding }`).join(' ')} }`, undefined, undefined, 60_000);
    for (const user of Object.values(body.data as Record<string, { id: number; embedding: number[] | null } | null>)) if (user?.embedding) users.push(user.id);
  }
  return { anime: anime.slice(0, animeCount), users };
}
