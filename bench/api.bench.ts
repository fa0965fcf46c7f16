/**
 * npm run bench:api [-- --db embedded|postgres] [--duration S] [--connections N] [--rate R] [--warmup S] [--users N]
 *                   [--fresh-runs N] [--only name,name] [--out FILE] [--fresh] [--cache DIR] [--pin] [--train-timeout-s S]
 *
 * GraphQL API throughput and latency on the shipped demo sample (5,000 users) with a trained
 * model of the default kind, measured with autocannon against the real server (`src/main.ts`, as `npm start`
 * runs it) in a separate process: on 2 cores, one for the server and one for the load.
 * --db: the embedded PGlite (default) or PostgreSQL at BENCH_POSTGRES_URL / TEST_POSTGRES_URL
 * (default postgres://postgres@127.0.0.1:5432/postgres).
 *
 * 1. The cache (--cache, default .data/bench-api, or .data/bench-api-postgres with --db postgres):
 *    demo data plus an active model of the default kind, in the cache folder or (postgres) in the database
 *    animerec_bench_api_cache. The first run fills it (the server's first start loads the demo
 *    data and TRAIN_AT_START trains in the background: minutes); later runs reuse it;
 *    --fresh rebuilds it.
 * 2. Each run copies the cached database (a folder copy, or CREATE DATABASE … TEMPLATE) and
 *    serves that copy (no training), so the users and ratings a run writes never change the next
 *    run's data.
 * 3. For each query: a warm-up (--warmup s, default as long as --duration, at most 10 s: a
 *    freshly started server answers slower for its first ~8 s under load, while V8 compiles the
 *    hot JavaScript and PGlite's WebAssembly; BENCHMARKS.md, API, shows both), then --duration s
 *    (default 10) with --connections (default 10) connections, one request at a time each; every
 *    request has its own variables (seeded PRNG). Before each run the benchmark waits until the
 *    server's CPU is idle: autocannon drops its connections at the end of a run, but the server
 *    still works through the requests it had. Latency is each response's
 *    time (all responses, errors included); req/s is responses / duration. Every response is
 *    checked for HTTP 200 and no GraphQL `errors`, and one in CHECK_EVERY is parsed and checked
 *    in full (shape, ids, counts), so a broken fast path cannot pass as a fast one.
 *    rateAnime runs as --users (default 300) API users created (and signed in) just before it.
 * 4. Rating → fresh recommendations: for each of --fresh-runs (default 20) new users, the time
 *    from sending rateAnime (10) to receiving recommendations whose `because` names that anime.
 *
 * --rate R: offer R requests/s in all (autocannon's overallRate) instead of sending each next
 * request as soon as the last was answered: latency at a given load rather than at saturation.
 * --pin: the server on CPU 1 and this process (autocannon) on CPU 0, with taskset.
 * Exits 1 when a query had errors or wrong results (the report is still written).
 *
 * Queries (--only takes these names): typename, similarAnime, recommendations, predictRating, rateAnime.
 * The markdown report goes to stdout and to --out FILE; progress goes to stderr.
 */
import { eachLimited, onCleanUp, runBenchmark } from './lifecycle';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { PROJECT_ROOT } from '../src/paths';
import { copyForRun, describeError, graphql, graphqlRetrying, killServers, log, POSTGRES_CACHE_DATABASE, prepareCache, SERVED_KIND, SERVED_KIND_ENUM, startServerProcess, waitIdle, type CachedModel, type DataTarget, type ServerProcess } from './api-server';
import { BENCH_POSTGRES_URL, createScratchDatabase } from './postgres';
import { describeMachine } from './machine';
import { percentile } from './stats';
import { mulberry32 } from '../src/trainer/random';
import type { Connection } from '../test/helpers/graphql';

/** Results per query (k) for similarAnime and recommendations. */
const K = 10;
/** One response in this many is parsed and checked in full; all are checked for `errors`. */
const CHECK_EVERY = 10;
/** How many of the most popular anime similarAnime and predictRating pick from. */
const POPULAR = 100;
/** How many of the most popular anime rateAnime picks from. */
const RATED_POOL = 1000;
/** autocannon gives up on a request after this long (counted as a timeout). */
const REQUEST_TIMEOUT_S = 10;
/** Users 1..DEMO_USERS are the demo sample's. */
const DEMO_USERS = 5000;
const GOALS = {
  similarRps: 1000,
  similarP99Ms: 20,
  // Issue 14: recommendations p99 ≤ 20 ms at 10 connections.
  recommendationsP99Ms: 20,
  freshMaxMs: 1000,
  /** rateAnime at 10 connections: req/s per database, and p99 on PostgreSQL. */
  rateRps: { embedded: 300, postgres: 1000 },
  ratePostgresP99Ms: 50,
};
const SCENARIO_NAMES = ['typename', 'similarAnime', 'recommendations', 'predictRating', 'rateAnime'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

// ---- options ----

interface Options {
  db: 'embedded' | 'postgres';
  duration: number;
  warmup: number;
  connections: number;
  /** Requests per second offered in all (autocannon's overallRate); undefined: as fast as answered. */
  rate: number | undefined;
  users: number;
  freshRuns: number;
  only: ScenarioName[];
  out: string | undefined;
  fresh: boolean;
  cache: string;
  pin: boolean;
  trainTimeoutS: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      db: { type: 'string', default: 'embedded' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string' },
      connections: { type: 'string', default: '10' },
      rate: { type: 'string' },
      users: { type: 'string', default: '300' },
      'fresh-runs': { type: 'string', default: '20' },
      only: { type: 'string', default: SCENARIO_NAMES.join(',') },
      out: { type: 'string' },
      fresh: { type: 'boolean', default: false },
      cache: { type: 'string' },
      pin: { type: 'boolean', default: false },
      'train-timeout-s': { type: 'string', default: '3600' },
    },
  });
  /** A number > 0 (or >= 0 with `zero`), whole with `integer`. */
  const number = (name: string, value: string, integer: boolean, zero = false) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (n === 0 && !zero) || (integer && !Number.isInteger(n))) {
      throw new Error(`--${name} must be ${integer ? 'a whole number' : 'a number'} ${zero ? '>= 0' : '> 0'}, got "${value}"`);
    }
    return n;
  };
  const only = values.only!.split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of only) {
    if (!(SCENARIO_NAMES as readonly string[]).includes(name)) throw new Error(`--only: unknown query "${name}" (${SCENARIO_NAMES.join(', ')})`);
  }
  const duration = number('duration', values.duration!, false);
  const db = values.db!;
  if (db !== 'embedded' && db !== 'postgres') throw new Error(`--db must be embedded or postgres, got "${db}"`);
  return {
    db,
    duration,
    warmup: values.warmup !== undefined ? number('warmup', values.warmup, false, true) : Math.min(10, Math.max(1, duration)),
    connections: number('connections', values.connections!, true),
    rate: values.rate !== undefined ? number('rate', values.rate, false) : undefined,
    users: number('users', values.users!, true),
    freshRuns: number('fresh-runs', values['fresh-runs']!, true, true),
    only: only as ScenarioName[],
    out: values.out,
    fresh: values.fresh!,
    cache: resolve(PROJECT_ROOT, values.cache ?? (db === 'embedded' ? '.data/bench-api' : '.data/bench-api-postgres')),
    pin: values.pin!,
    trainTimeoutS: number('train-timeout-s', values['train-timeout-s']!, false),
  };
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
export const ms = (n: number) => (!Number.isFinite(n) ? '—' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));
const met = (ok: boolean) => (ok ? '**met**' : '**not met**');

// ---- scenarios ----

type Variables = Record<string, number>;

export interface Scenario {
  name: ScenarioName;
  /** The operation as the table shows it. */
  label: string;
  query: string;
  /** How the variables vary, for the report (asked after the run: pools fill up as it goes). */
  varies(): string;
  /** The next request's variables and, for mutations, its bearer token. */
  next(): { variables: Variables; token?: string };
  /** A full check of a parsed `data`; returns what is wrong, or null. */
  check(data: unknown, variables: Variables): string | null;
}

export interface Pools {
  popular: number[];
  rated: number[];
  users: number[];
  benchUsers: { id: number; token: string }[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function checkList(data: unknown, field: string, fn: (item: Record<string, unknown>) => string | null): string | null {
  const list = isRecord(data) ? data[field] : undefined;
  if (!Array.isArray(list)) return `${field} is not a list`;
  if (list.length !== K) return `${field} has ${list.length} items, expected ${K}`;
  const ids = new Set<unknown>();
  for (const item of list) {
    const problem = isRecord(item) ? fn(item) : 'an item is not an object';
    if (problem) return problem;
    ids.add(isRecord(item) && isRecord(item.anime) ? item.anime.id : undefined);
  }
  return ids.size === K ? null : `${field} repeats an anime`;
}

function animeProblem(anime: unknown): string | null {
  return isRecord(anime) && Number.isInteger(anime.id) && typeof anime.name === 'string' && anime.name !== '' ? null : 'anime has no id or name';
}

export function scenarios(pools: Pools, seed: number): Record<ScenarioName, Scenario> {
  const random = mulberry32(seed);
  return {
    typename: {
      name: 'typename',
      label: '`{ __typename }` (baseline)',
      query: '{ __typename }',
      varies: () => 'the same body every time',
      next: () => ({ variables: {} }),
      check: (data) => (isRecord(data) && data.__typename === 'Query' ? null : '__typename is not "Query"'),
    },
    similarAnime: {
      name: 'similarAnime',
      label: `\`similarAnime(k: ${K})\``,
      query: `query ($animeId: Int!) { similarAnime(animeId: $animeId, k: ${K}) { anime { id name } similarity } }`,
      varies: () => `animeId: one of the ${POPULAR} most popular anime that have an embedding`,
      next: () => ({ variables: { animeId: pick(pools.popular, random) } }),
      check: (data, { animeId }) => {
        let previous = Infinity;
        return checkList(data, 'similarAnime', (item) => {
          const similarity = item.similarity;
          if (typeof similarity !== 'number' || similarity < -1.0001 || similarity > 1.0001) return `similarity ${String(similarity)} is not in -1..1`;
          if (similarity > previous + 1e-6) return 'similarities are not in descending order';
          previous = similarity;
          if (isRecord(item.anime) && item.anime.id === animeId) return 'the anime itself is among its similar anime';
          return animeProblem(item.anime);
        });
      },
    },
    recommendations: {
      name: 'recommendations',
      label: `\`recommendations(k: ${K})\``,
      query: `query ($userId: Int!) { recommendations(userId: $userId, k: ${K}) { anime { id name } predictedRating because { text } } }`,
      varies: () => `userId: one of the ${int(pools.users.length)} demo users (1..${int(DEMO_USERS)}) that have an embedding`,
      next: () => ({ variables: { userId: pick(pools.users, random) } }),
      check: (data) =>
        checkList(data, 'recommendations', (item) => {
          if (typeof item.predictedRating !== 'number' || !Number.isFinite(item.predictedRating)) return 'predictedRating is not a number';
          if (item.because !== null && !(isRecord(item.because) && typeof item.because.text === 'string' && item.because.text.startsWith('because you rated '))) {
            return 'because has no text';
          }
          return animeProblem(item.anime);
        }),
    },
    predictRating: {
      name: 'predictRating',
      label: '`predictRating`',
      query: 'query ($userId: Int!, $animeId: Int!) { predictRating(userId: $userId, animeId: $animeId) }',
      varies: () => `userId: a demo user with an embedding; animeId: one of the ${POPULAR} most popular anime with an embedding`,
      next: () => ({ variables: { userId: pick(pools.users, random), animeId: pick(pools.popular, random) } }),
      check: (data) =>
        isRecord(data) && typeof data.predictRating === 'number' && Number.isFinite(data.predictRating) && data.predictRating > -5 && data.predictRating < 16
          ? null
          : `predictRating ${JSON.stringify(isRecord(data) ? data.predictRating : data)} is not a plausible rating`,
    },
    rateAnime: {
      name: 'rateAnime',
      label: '`rateAnime` (mutation)',
      query: 'mutation ($animeId: Int!, $rating: Int!) { rateAnime(input: { animeId: $animeId, rating: $rating }) { rating { userId animeId rating } } }',
      varies: () => `as one of ${int(pools.benchUsers.length)} API users (created and signed in before, no ratings at first), one of the ${int(pools.rated.length)} most popular anime with an embedding, rating 1..10`,
      next: () => {
        const user = pick(pools.benchUsers, random);
        return { variables: { animeId: pick(pools.rated, random), rating: 1 + Math.floor(random() * 10), userId: user.id }, token: user.token };
      },
      check: (data, { animeId, rating, userId }) => {
        const saved = isRecord(data) && isRecord(data.rateAnime) ? data.rateAnime.rating : undefined;
        return isRecord(saved) && saved.animeId === animeId && saved.rating === rating && saved.userId === userId
          ? null
          : `rateAnime returned ${JSON.stringify(saved)}, sent ${JSON.stringify({ animeId, rating, userId })}`;
      },
    },
  };
}

/** The variables sent in the body (rateAnime's userId is only for the check). */
function bodyOf(scenario: Scenario, variables: Variables): string {
  const sent = scenario.name === 'rateAnime' ? { animeId: variables.animeId, rating: variables.rating } : variables;
  return JSON.stringify(Object.keys(sent).length > 0 ? { query: scenario.query, variables: sent } : { query: scenario.query });
}

// ---- one autocannon run ----

/** What a connection remembers between sending a request and checking its response. */
interface RequestContext {
  variables: Variables;
}

export interface Measurement {
  scenario: Scenario;
  responses: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /** Connection errors other than timeouts. */
  connectionErrors: number;
  /** Requests without an answer within autocannon's timeout (REQUEST_TIMEOUT_S). */
  timeouts: number;
  non2xx: number;
  /** 2xx responses with GraphQL errors or without `data`. */
  graphqlErrors: number;
  /** Responses that failed the full check (one in CHECK_EVERY is checked). */
  badResults: number;
  checked: number;
  firstProblem: string | null;
}

export async function load(url: string, scenario: Scenario, options: Pick<Options, 'connections' | 'rate'>, seconds: number): Promise<Measurement> {
  const latencies: number[] = [];
  let non2xx = 0;
  let graphqlErrors = 0;
  let badResults = 0;
  let checked = 0;
  let responses = 0;
  let firstProblem: string | null = null;
  const problem = (text: string) => {
    firstProblem ??= text.slice(0, 400);
  };
  const request: autocannon.Request = {
    method: 'POST',
    path: '/graphql',
    setupRequest: (base, context) => {
      const { variables, token } = scenario.next();
      (context as RequestContext).variables = variables;
      const headers: typeof base.headers = { ...base.headers, 'content-type': 'application/json' };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      return { ...base, headers, body: bodyOf(scenario, variables) };
    },
    onResponse: (status, body, context) => {
      responses++;
      if (status < 200 || status > 299) {
        non2xx++;
        problem(`HTTP ${status}: ${body}`);
        return;
      }
      if (!body.startsWith('{"data":') || body.includes('"errors":')) {
        graphqlErrors++;
        problem(body);
        return;
      }
      if (responses % CHECK_EVERY !== 1) return;
      checked++;
      let wrong: string | null;
      try {
        wrong = scenario.check((JSON.parse(body) as { data: unknown }).data, (context as RequestContext).variables);
      } catch (error) {
        wrong = `not JSON: ${String(error)}`;
      }
      if (wrong) {
        badResults++;
        problem(`${wrong} (variables ${JSON.stringify((context as RequestContext).variables)})`);
      }
    },
  };
  const run: autocannon.Options = {
    url: `${url}/graphql`,
    connections: options.connections,
    duration: seconds,
    pipelining: 1,
    timeout: REQUEST_TIMEOUT_S,
    requests: [request],
    ...(options.rate !== undefined ? { overallRate: options.rate } : {}),
  };
  const result = await new Promise<autocannon.Result>((resolveRun, reject) => {
    const instance = autocannon(run, (error: unknown, done: autocannon.Result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolveRun(done)));
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  const sorted = Float64Array.from(latencies).sort();
  return {
    scenario,
    responses: latencies.length,
    seconds: result.duration,
    rps: latencies.length / result.duration,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : NaN,
    connectionErrors: Math.max(0, result.errors - result.timeouts),
    timeouts: result.timeouts,
    non2xx,
    graphqlErrors,
    badResults,
    checked,
    firstProblem,
  };
}

// ---- set-up through the API ----

interface UserEmbeddings {
  [alias: string]: { id: number; embedding: number[] | null } | null;
}

export async function setUpPools(url: string): Promise<Omit<Pools, 'benchUsers'>> {
  // By popularity (members); only anime with an embedding in the model (those rated in the sample).
  const anime: number[] = [];
  let after: string | null = null;
  while (anime.length < RATED_POOL) {
    const page: { animes: Pick<Connection<{ id: number; embedding: number[] | null }>, 'nodes' | 'pageInfo'> } = await graphqlRetrying(
      url,
      'query ($after: String) { animes(first: 100, after: $after) { nodes { id embedding } pageInfo { hasNextPage endCursor } } }',
      { after },
    );
    anime.push(...page.animes.nodes.filter((item) => item.embedding !== null).map((item) => item.id));
    after = page.animes.pageInfo.endCursor;
    if (!page.animes.pageInfo.hasNextPage) break;
  }
  const users: number[] = [];
  const ids = Array.from({ length: DEMO_USERS }, (_, i) => i + 1);
  const batches: number[][] = [];
  for (let i = 0; i < ids.length; i += 25) batches.push(ids.slice(i, i + 25));
  await eachLimited(batches, 2, async (batch) => {
    const query = `{ ${batch.map((id) => `u${id}: user(id: ${id}) { id embedding }`).join(' ')} }`;
    const found = await graphqlRetrying<UserEmbeddings>(url, query);
    for (const user of Object.values(found)) if (user?.embedding) users.push(user.id);
  });
  users.sort((a, b) => a - b);
  if (anime.length < POPULAR || users.length === 0) throw new Error(`catalog too small: ${anime.length} anime, ${users.length} users with embeddings`);
  return { popular: anime.slice(0, POPULAR), rated: anime.slice(0, RATED_POOL), users };
}

const CREATE_USER = 'mutation ($name: String!) { createUser(input: { name: $name }) { token user { id } } }';
const RATE = 'mutation ($animeId: Int!, $rating: Int!) { rateAnime(input: { animeId: $animeId, rating: $rating }) { rating { userId animeId rating } } }';

async function createUsers(url: string, count: number, prefix: string): Promise<{ id: number; token: string }[]> {
  const users: { id: number; token: string }[] = [];
  await eachLimited(Array.from({ length: count }, (_, i) => i), 4, async (i) => {
    const created = await graphql<{ createUser: { token: string; user: { id: number } } }>(url, CREATE_USER, { name: `${prefix} ${i + 1}` });
    users[i] = { id: created.createUser.user.id, token: created.createUser.token };
  });
  return users;
}

// ---- rating → fresh recommendations ----

interface Freshness {
  totalMs: number[];
  rateMs: number[];
  recommendationsMs: number[];
  attempts: number[];
  failures: string[];
}

const FRESH_RECOMMENDATIONS = `query ($userId: Int!) { recommendations(userId: $userId, k: ${K}) { anime { id } because { anime { id } } } }`;

async function measureFreshness(url: string, runs: number, popular: number[], seed: number): Promise<Freshness> {
  const random = mulberry32(seed);
  const out: Freshness = { totalMs: [], rateMs: [], recommendationsMs: [], attempts: [], failures: [] };
  const users = await createUsers(url, runs, 'bench fresh');
  for (const [index, user] of users.entries()) {
    // Sign in first (the first request with a new token verifies it with scrypt, ~50 ms by design).
    await graphql(url, '{ me { id } }', undefined, user.token);
    const animeId = pick(popular, random);
    const started = performance.now();
    await graphql(url, RATE, { animeId, rating: 10 }, user.token);
    const rated = performance.now();
    let attempts = 0;
    for (;;) {
      attempts++;
      const asked = performance.now();
      let reason: string;
      try {
        const data = await graphql<{ recommendations: { anime: { id: number }; because: { anime: { id: number } } | null }[] }>(url, FRESH_RECOMMENDATIONS, {
          userId: user.id,
        }, user.token);
        const recs = data.recommendations;
        if (recs.length === K && recs.every((r) => r.because?.anime.id === animeId && r.anime.id !== animeId)) {
          const done = performance.now();
          out.totalMs.push(done - started);
          out.rateMs.push(rated - started);
          out.recommendationsMs.push(done - asked);
          out.attempts.push(attempts);
          break;
        }
        reason = `recommendations do not name anime ${animeId}: ${JSON.stringify(recs).slice(0, 200)}`;
      } catch (error) {
        reason = describeError(error);
      }
      if (performance.now() - started > 10_000) {
        out.failures.push(`user ${user.id} (run ${index + 1}): not fresh after 10 s: ${reason}`);
        break;
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, 20));
    }
  }
  return out;
}

// ---- report ----

export function errorCell(m: Measurement): string {
  const parts = [
    m.connectionErrors > 0 ? `${int(m.connectionErrors)} connection` : '',
    m.timeouts > 0 ? `${int(m.timeouts)} timeouts (> ${REQUEST_TIMEOUT_S} s)` : '',
    m.non2xx > 0 ? `${int(m.non2xx)} non-2xx` : '',
    m.graphqlErrors > 0 ? `${int(m.graphqlErrors)} GraphQL` : '',
    m.badResults > 0 ? `${int(m.badResults)} of ${int(m.checked)} checked wrong` : '',
    m.responses === 0 ? 'no response within the duration' : '',
  ].filter((part) => part !== '');
  return parts.length === 0 ? '0' : `**${parts.join(', ')}**`;
}

export const errorsOf = (m: Measurement) => m.connectionErrors + m.timeouts + m.non2xx + m.graphqlErrors + m.badResults + (m.responses === 0 ? 1 : 0);

function goalCell(m: Measurement, db: Options['db']): string {
  const clean = errorsOf(m) === 0;
  if (m.scenario.name === 'rateAnime') {
    const rps = GOALS.rateRps[db];
    if (db === 'embedded') return `≥ ${int(rps)} req/s: ${met(clean && m.rps >= rps)}`;
    return `≥ ${int(rps)} req/s, p99 ≤ ${GOALS.ratePostgresP99Ms} ms: ${met(clean && m.rps >= rps && m.p99 <= GOALS.ratePostgresP99Ms)}`;
  }
  if (m.scenario.name === 'similarAnime') {
    const ok = clean && m.rps >= GOALS.similarRps && m.p99 <= GOALS.similarP99Ms;
    return `≥ ${int(GOALS.similarRps)} req/s, p99 ≤ ${GOALS.similarP99Ms} ms: ${met(ok)}`;
  }
  if (m.scenario.name === 'recommendations') return `p99 ≤ ${GOALS.recommendationsP99Ms} ms: ${met(clean && m.p99 <= GOALS.recommendationsP99Ms)}`;
  return '—';
}

function report(options: Options, model: CachedModel, server: ServerProcess, measurements: Measurement[], freshness: Freshness | null, context: { loadStart: number; loadEnd: number; minutes: number }): string {
  const baseline = measurements.find((m) => m.scenario.name === 'typename');
  const flags = process.argv.slice(2).join(' ');
  const lines = [
    '',
    `## API (${new Date().toISOString().slice(0, 10)})`,
    '',
    `Machine: ${describeMachine()}`,
    '',
    `Command: \`npm run bench:api${flags ? ` -- ${flags}` : ''}\`; took ${context.minutes.toFixed(1)} min; ` +
      `load average (1 min) ${context.loadStart.toFixed(2)} at the start, ${context.loadEnd.toFixed(2)} at the end.`,
    '',
    `Server: \`src/main.ts\` compiled into build/, as \`npm start\` runs it, in its own process (pid ${server.pid}${options.pin ? ', pinned to CPU 1, the load generator to CPU 0' : ''}; NODE_ENV=production, ` +
      `LOG_LEVEL=warn, ${options.db === 'embedded' ? 'embedded PGlite' : 'PostgreSQL'}) on a copy of the cached database: the demo sample and model version ${model.modelVersionId} ` +
      `(${model.kind}, default preset, trained ${model.preparedAt.slice(0, 10)}). Load: autocannon ${options.connections} connections, ` +
      `one request at a time each${options.rate !== undefined ? `, ${options.rate} requests/s offered in all (autocannon's overallRate)` : ''}, ${options.warmup} s warm-up then ${options.duration} s per query; before each run the benchmark waits ` +
      `until the server's CPU is idle (it still answers the requests autocannon dropped at the end of the previous one). ` +
      `Latency is each response's time, errors included; req/s is responses / duration.`,
    '',
    `| Query | Responses | req/s | p50 ms | p99 ms | max ms | Errors | req/s vs \`__typename\` | Goal |`,
    '|---|---:|---:|---:|---:|---:|---|---:|---|',
    ...measurements.map(
      (m) =>
        `| ${m.scenario.label} | ${int(m.responses)} | ${int(m.rps)} | ${ms(m.p50)} | ${ms(m.p99)} | ${ms(m.max)} | ${errorCell(m)} | ` +
        `${baseline && baseline.rps > 0 ? `${(m.rps / baseline.rps).toFixed(m.rps / baseline.rps < 0.1 ? 3 : 2)}x` : '—'} | ${goalCell(m, options.db)} |`,
    ),
    '',
    'Requests:',
    '',
    ...measurements.map((m) => `- ${m.scenario.label}: \`${m.scenario.query}\`; ${m.scenario.varies()}.`),
    '',
    `Checks: every response must be HTTP 200 with \`data\` and no \`errors\`; one in ${CHECK_EVERY} is parsed and checked in full ` +
      `(${int(measurements.reduce((sum, m) => sum + m.checked, 0))} responses: ${K} distinct anime with ids and names, similarities in -1..1 and descending, ` +
      `the rating echoed back, …).`,
  ];
  const problems = measurements.filter((m) => m.firstProblem !== null);
  if (problems.length > 0) {
    lines.push('', '**Problems** (first one per query):', '', ...problems.map((m) => `- ${m.scenario.label}: \`${m.firstProblem!.replace(/`/g, "'").replace(/\s+/g, ' ').trim()}\``));
  }
  if (freshness) {
    const total = Float64Array.from(freshness.totalMs).sort();
    const rate = Float64Array.from(freshness.rateMs).sort();
    const recs = Float64Array.from(freshness.recommendationsMs).sort();
    const maxAttempts = Math.max(0, ...freshness.attempts);
    const ok = freshness.failures.length === 0 && total.length > 0 && total[total.length - 1]! <= GOALS.freshMaxMs;
    lines.push(
      '',
      '### Rating → fresh recommendations',
      '',
      `For each of ${options.freshRuns} new API users (created and signed in first, not timed), with no load running: the time from sending ` +
        `\`rateAnime(animeId, rating: 10)\` (one of the ${POPULAR} most popular anime with an embedding) to receiving \`recommendations(k: ${K})\` whose ` +
        '`because` names that anime for every item (retried every 20 ms until it does, up to 10 s).',
      '',
      '| Users measured | p50 ms | max ms | rateAnime p50 ms | recommendations p50 ms | Most tries | Goal |',
      '|---:|---:|---:|---:|---:|---:|---|',
      `| ${total.length} of ${options.freshRuns} | ${ms(percentile(total, 50))} | ${ms(total[total.length - 1] ?? NaN)} | ${ms(percentile(rate, 50))} | ` +
        `${ms(percentile(recs, 50))} | ${maxAttempts} | max ≤ ${int(GOALS.freshMaxMs)} ms: ${met(ok)} |`,
    );
    if (freshness.failures.length > 0) lines.push('', '**Not fresh:**', '', ...freshness.failures.map((failure) => `- ${failure}`));
  }
  lines.push('');
  return lines.join('\n');
}


// ---- main ----

/** The run's copy of the cached database, and how to remove it. */
let runCopy: { target: DataTarget; remove(): Promise<void> } | undefined;
let serverToStop: ServerProcess | undefined;

async function copyCacheForRun(options: Options): Promise<{ target: DataTarget; remove(): Promise<void> }> {
  if (options.db === 'embedded') {
    const dataDir = copyForRun(options.cache);
    return { target: { dataDir }, remove: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const copy = await createScratchDatabase(BENCH_POSTGRES_URL, POSTGRES_CACHE_DATABASE);
  return { target: { databaseUrl: copy.url }, remove: copy.drop };
}

async function stopServer(): Promise<void> {
  await serverToStop?.stop(5000).catch(() => undefined);
  killServers();
  await runCopy?.remove();
  runCopy = undefined;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const started = performance.now();
  const seed = 20261128;
  let serverCpus: string | undefined;
  if (options.pin) {
    const pinned = spawnSync('taskset', ['-cp', '0', String(process.pid)], { encoding: 'utf8' });
    if (pinned.status !== 0) throw new Error(`--pin: taskset failed: ${pinned.stderr || pinned.error?.message}`);
    serverCpus = '1';
  }
  log(`machine: ${describeMachine()}`);
  const model = await prepareCache(options.cache, { db: options.db, fresh: options.fresh, trainTimeoutS: options.trainTimeoutS, cpus: serverCpus });
  runCopy = await copyCacheForRun(options);
  const loadStart = loadavg()[0]!;
  const server = await startServerProcess({ target: runCopy.target, trainAtStart: 'none', adminToken: randomBytes(24).toString('hex'), cpus: serverCpus, echo: false });
  serverToStop = server;
  log(`server pid ${server.pid} at ${server.url} (database copy ${JSON.stringify(runCopy.target)})`);

  const active = await graphqlRetrying<{ activeModel: { id: number; kind: string } | null }>(server.url, '{ activeModel { id kind } }');
  if (active.activeModel?.kind !== SERVED_KIND_ENUM) {
    throw new Error(`the cached database serves ${JSON.stringify(active.activeModel)}, not a ${SERVED_KIND} model: rerun with --fresh`);
  }
  const pools: Pools = { ...(await setUpPools(server.url)), benchUsers: [] };
  log(`${pools.popular.length} popular anime, ${pools.rated.length} anime to rate, ${pools.users.length} demo users with an embedding`);

  const all = scenarios(pools, seed);
  const measurements: Measurement[] = [];
  for (const name of options.only) {
    const scenario = all[name];
    if (name === 'rateAnime') {
      // Created now, not before the read-only queries, so those run on the unchanged demo data. Each
      // signs in once (\`me\`): the first request with a token verifies it with scrypt (~50 ms by
      // design), then the server remembers it for 5 minutes.
      log(`creating ${options.users} API users and signing each in`);
      pools.benchUsers.push(...(await createUsers(server.url, options.users, 'bench user')));
      await eachLimited(pools.benchUsers, 4, async (user) => {
        await graphql(server.url, '{ me { id } }', undefined, user.token);
      });
    }
    await waitIdle(server.pid);
    if (options.warmup > 0) {
      log(`${name}: warm-up ${options.warmup} s`);
      await load(server.url, scenario, options, options.warmup);
      await waitIdle(server.pid);
    }
    log(`${name}: ${options.duration} s, ${options.connections} connections${options.rate !== undefined ? `, ${options.rate} req/s offered` : ''}`);
    const measured = await load(server.url, scenario, options, options.duration);
    measurements.push(measured);
    const drained = await waitIdle(server.pid);
    if (drained > 2) log(`${name}: the server took ${drained.toFixed(1)} s to finish the requests left in flight`);
    log(
      `${name}: ${int(measured.rps)} req/s, p50 ${ms(measured.p50)} ms, p99 ${ms(measured.p99)} ms, ${errorsOf(measured)} errors` +
        (measured.firstProblem ? ` (first: ${measured.firstProblem.slice(0, 200)})` : ''),
    );
  }

  let freshness: Freshness | null = null;
  if (options.freshRuns > 0) {
    log(`rating → fresh recommendations: ${options.freshRuns} new users`);
    await waitIdle(server.pid);
    freshness = await measureFreshness(server.url, options.freshRuns, pools.popular, seed + 2);
    const sorted = [...freshness.totalMs].sort((a, b) => a - b);
    log(`fresh: p50 ${ms(percentile(sorted, 50))} ms, max ${ms(sorted[sorted.length - 1] ?? NaN)} ms, ${freshness.failures.length} not fresh`);
  }
  const loadEnd = loadavg()[0]!;
  await stopServer();

  const markdown = report(options, model, server, measurements, freshness, {
    loadStart,
    loadEnd,
    minutes: (performance.now() - started) / 60_000,
  });
  process.stdout.write(markdown);
  if (options.out) {
    writeFileSync(options.out, markdown);
    log(`report written to ${options.out}`);
  }
  const failed: string[] = measurements.filter((m) => errorsOf(m) > 0).map((m) => m.scenario.name);
  if (freshness?.failures.length) failed.push('freshness');
  if (failed.length > 0) {
    log(`errors or wrong results in: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

// Run as a script; bench/full-size.ts imports the load driver and the queries from here.
if (require.main === module) {
  onCleanUp(stopServer);
  runBenchmark(main);
}
