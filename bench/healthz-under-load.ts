/**
 * npm run bench:healthz [-- --db embedded|postgres|both] [--duration S] [--clients N] [--interval-ms MS] [--out FILE]
 *                       [--fresh] [--train-timeout-s S]
 *
 * Does /healthz stay fast while the heaviest requests the cost limit still accepts are running?
 * Goal: p99 ≤ 100 ms on each database. For each database (default both; PostgreSQL at
 * BENCH_POSTGRES_URL / TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres):
 *
 * 1. The real server (`src/main.ts` compiled, its own process, default QUERY_COST_LIMIT, rate
 *    limits off) on a copy of bench:api's cache: the demo sample and an active model of the
 *    served kind (the first run fills the cache: minutes).
 * 2. The corpus (CORPUS below): each entry is one heavy field repeated under up to 30 aliases
 *    (the alias limit). How many: the server's own estimator decides: the entry is sent with 30
 *    aliases; when refused with QUERY_TOO_COSTLY its `extensions.cost` gives the cost of one
 *    alias, and the entry gets as many as fit under the budget. Each is then run once alone and
 *    must be accepted (HTTP 200, data, no errors): its size and time are reported.
 * 3. Baseline: /healthz polled every --interval-ms (default 50) for BASELINE_S with no load.
 * 4. Under load: --clients (default 10) clients send the corpus round-robin, one request at a
 *    time each, for --duration s (default 30), while /healthz is polled as in 3.
 *
 * The poller runs in a worker thread of its own, open-loop (a poll every interval whether or not
 * the last one was answered), so neither the clients' work nor a stalled server hides a slow
 * answer. A poll not answered within POLL_TIMEOUT_MS counts as a failure. Each row records the
 * 1-minute load average: the machine may be shared, and the server and the clients share it.
 * The markdown report goes to stdout (and --out FILE), progress to stderr. Exits 1 when a corpus
 * request is refused by the cost limit or fails (e.g. 503) under load.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Kind, parse, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { DEFAULT_COST_BUDGET, operationCost, servedListSizes, type ServedShape } from '../src/graphql/limits';
import { buildGraphQLSchema } from '../src/graphql/schema';
import { PROJECT_ROOT } from '../src/paths';
import { codeOf, gql } from '../test/helpers/graphql';
import { copyForRun, graphqlRetrying, killServers, POSTGRES_CACHE_DATABASE, prepareCache, SERVED_KIND, startServerProcess, waitIdle, type DataTarget, type ServerProcess } from './api-server';
import { onCleanUp, runBenchmark } from './lifecycle';
import { describeMachine } from './machine';
import { BENCH_POSTGRES_URL, createScratchDatabase } from './postgres';
import { percentile } from './stats';

// ---- the corpus: keep every query here (the schema may change; update them in one place) ----

/** What the corpus entries are filled with: ids and names taken from the served data. */
interface Pools {
  /** Demo users (the public sample) with an embedding. */
  users: number[];
  /** Popular anime with an embedding. */
  anime: number[];
  genres: string[];
  types: string[];
}

interface CorpusEntry {
  name: string;
  /** One alias of the heavy field; `i` numbers the alias (to vary ids). */
  field(alias: string, i: number, pools: Pools): string;
  /** Variables of the operation, if any (declared in `variableDefinitions`). */
  variables?(pools: Pools): Record<string, unknown>;
  variableDefinitions?: string;
}

const ANIME_FIELDS = 'id name genres type episodes communityRating members';
const pick = <T>(items: readonly T[], i: number): T => items[i % items.length]!;

const CORPUS: CorpusEntry[] = [
  { name: 'embeddingMap with its anime', field: (a) => `${a}: embeddingMap { x y anime { ${ANIME_FIELDS} } }` },
  {
    name: 'catalogStats, all of it, mostRated(k: 100)',
    field: (a) => `${a}: catalogStats { anime users ratings ratingHistogram { rating count } ratingsPerAnime { anime max } mostRated(k: 100) { ratings meanRating anime { id name } } }`,
  },
  { name: 'animes(first: 100) by genre, with embeddings', field: (a, i, p) => `${a}: animes(first: 100, genres: ["${pick(p.genres, i)}"]) { nodes { ${ANIME_FIELDS} embedding } pageInfo { hasNextPage endCursor } }` },
  {
    name: 'recommendations(k: 100) with because',
    field: (a, i, p) => `${a}: recommendations(userId: ${pick(p.users, i * 7)}, k: 100) { predictedRating personal anime { id name genres } because { text similarity rating anime { name } } }`,
  },
  {
    name: 'similarAnime(k: 100) with a filter, with embeddings',
    field: (a, i, p) => `${a}: similarAnime(animeId: ${pick(p.anime, i)}, k: 100, filter: { minMembers: 1000, types: [${pick(p.types, i)}] }) { similarity anime { id name genres members embedding } }`,
  },
  { name: "a user's ratings(first: 100) with their anime", field: (a, i, p) => `${a}: user(id: ${pick(p.users, i * 11)}) { ratings(first: 100) { nodes { animeId rating updatedAt anime { id name genres } } pageInfo { hasNextPage endCursor } } }` },
  {
    name: 'predictRatings of 1,000 pairs',
    variableDefinitions: '($pairs: [UserAnimePair!]!)',
    field: (a) => `${a}: predictRatings(pairs: $pairs)`,
    variables: (p) => ({ pairs: Array.from({ length: 1000 }, (_, i) => ({ userId: pick(p.users, i), animeId: pick(p.anime, i * 3) })) }),
  },
];

/** The alias limit (DEFAULT_QUERY_LIMITS.maxAliases). */
const MAX_ALIASES = 30;
const BASELINE_S = 5;
/** A poll slower than this is a failure (and stops waiting). */
const POLL_TIMEOUT_MS = 5000;
/** How often the event loop is probed while one corpus entry runs alone. */
const ENTRY_PROBE_INTERVAL_MS = 10;
/** The goal: /healthz p99 under load, per database. */
const GOAL_P99_MS = 100;

function operation(entry: CorpusEntry, aliases: number, pools: Pools): { query: string; variables?: Record<string, unknown> } {
  const fields = Array.from({ length: aliases }, (_, i) => entry.field(`a${i}`, i, pools)).join(' ');
  return { query: `query ${entry.variableDefinitions ?? ''} { ${fields} }`, variables: entry.variables?.(pools) };
}

// ---- options ----

interface Options {
  dbs: ('embedded' | 'postgres')[];
  duration: number;
  clients: number;
  intervalMs: number;
  out: string | undefined;
  fresh: boolean;
  trainTimeoutS: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      db: { type: 'string', default: 'both' },
      duration: { type: 'string', default: '30' },
      clients: { type: 'string', default: '10' },
      'interval-ms': { type: 'string', default: '50' },
      out: { type: 'string' },
      fresh: { type: 'boolean', default: false },
      'train-timeout-s': { type: 'string', default: '3600' },
    },
  });
  const positive = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a number > 0, got "${value}"`);
    return n;
  };
  const db = values.db!;
  if (db !== 'embedded' && db !== 'postgres' && db !== 'both') throw new Error(`--db must be embedded, postgres or both, got "${db}"`);
  return {
    dbs: db === 'both' ? ['embedded', 'postgres'] : [db],
    duration: positive('duration', values.duration!),
    clients: Math.round(positive('clients', values.clients!)),
    intervalMs: positive('interval-ms', values['interval-ms']!),
    out: values.out,
    fresh: values.fresh!,
    trainTimeoutS: positive('train-timeout-s', values['train-timeout-s']!),
  };
}

const log = (message: string) => process.stderr.write(`[bench:healthz] ${message}\n`);
const ms = (n: number) => (!Number.isFinite(n) ? '—' : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));
const load1 = () => loadavg()[0]!.toFixed(2);

// ---- the /healthz poller (a worker thread: its own event loop) ----

interface Polls {
  latenciesMs: number[];
  failures: number;
  /** The same polls of a path the server answers 404 without touching the database: the event loop alone. */
  loopMs: number[];
}

/** A path no route serves: fastify answers 404 from the event loop, with no database work. */
const LOOP_PROBE_PATH = '/no-such-path-event-loop-probe';

const POLLER = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, intervalMs, durationMs, timeoutMs, probePath } = workerData;
const latenciesMs = [];
const loopMs = [];
let failures = 0;
const pending = [];
const end = performance.now() + durationMs;
const timed = (path, onAnswer) => {
  const started = performance.now();
  return fetch(url + path, { signal: AbortSignal.timeout(timeoutMs) }).then(async (response) => {
    await response.text();
    onAnswer(response.status, performance.now() - started);
  });
};
const timer = setInterval(() => {
  if (performance.now() >= end) {
    clearInterval(timer);
    Promise.all(pending).then(() => parentPort.postMessage({ latenciesMs, failures, loopMs }));
    return;
  }
  // A failed poll counts in the percentiles as the timeout: at least that slow.
  const failed = () => {
    failures++;
    latenciesMs.push(timeoutMs);
  };
  pending.push(timed('/healthz', (status, ms) => (status === 200 ? latenciesMs.push(ms) : failed())).catch(failed));
  pending.push(timed(probePath, (_status, ms) => loopMs.push(ms)).catch(() => loopMs.push(timeoutMs)));
}, intervalMs);
`;

function pollHealth(url: string, intervalMs: number, durationMs: number): Promise<Polls> {
  return new Promise((resolvePolls, reject) => {
    const worker = new Worker(POLLER, { eval: true, workerData: { url, intervalMs, durationMs, timeoutMs: POLL_TIMEOUT_MS, probePath: LOOP_PROBE_PATH } });
    worker.once('message', (polls: Polls) => {
      resolvePolls(polls);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

// ---- calibration and load ----

interface Calibrated {
  entry: CorpusEntry;
  aliases: number;
  /** The server's estimate for the whole operation. */
  cost: number;
  body: string;
  bytes: number;
  aloneMs: number;
  /** The slowest poll of the event-loop probe while it ran alone a second time: its longest synchronous stretch, roughly. */
  loopMaxMs: number;
}

/** Sends `body`; throws unless it is accepted (200, data, no errors). Returns the answer's size. */
async function runAccepted(url: string, body: string, name: string): Promise<number> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(120_000) });
  const text = await response.text();
  // A check that does not parse a several-MB answer: the clients must not become the bottleneck.
  if (response.status !== 200 || !text.startsWith('{"data":{') || text.includes('"errors":[')) {
    throw new Error(`${name}: HTTP ${response.status}: ${text.slice(0, 300)}`);
  }
  return text.length;
}

/** The estimated cost of `aliases` aliases of `entry`: the server's estimator, run here on the same schema. */
function costOf(estimator: Estimator, entry: CorpusEntry, aliases: number, pools: Pools): number {
  const { query, variables } = operation(entry, aliases, pools);
  const document = parse(query);
  const definition = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  return operationCost(estimator.schema, document, definition, variables ?? {}, { budget: estimator.budget, listSize: servedListSizes(() => estimator.served) });
}

interface Estimator {
  schema: GraphQLSchema;
  budget: number;
  /** The served model's item count (its map's points) and embedding dimension, as the server sizes lists. */
  served: ServedShape;
}

/**
 * The most aliases of `entry` (≤ MAX_ALIASES) whose estimated cost fits the budget, checked
 * against the server: it must accept them. Run once alone (which also warms the server up).
 */
async function calibrate(url: string, estimator: Estimator, entry: CorpusEntry, pools: Pools): Promise<Calibrated> {
  const aliases = Math.min(MAX_ALIASES, Math.floor(estimator.budget / costOf(estimator, entry, 1, pools)));
  if (aliases < 1) throw new Error(`${entry.name}: one alias is over the budget of ${estimator.budget}`);
  const { query, variables } = operation(entry, aliases, pools);
  const body = JSON.stringify({ query, variables });
  if (aliases < MAX_ALIASES) {
    // One more alias must be refused: the entry sits just under the budget, as the server estimates it.
    const over = operation(entry, aliases + 1, pools);
    const refused = await gql(url, over.query, over.variables);
    if (codeOf(refused) !== 'QUERY_TOO_COSTLY') throw new Error(`${entry.name}: ${aliases + 1} aliases should be over the budget, got ${refused.status} ${codeOf(refused)}`);
  }
  const started = performance.now();
  const bytes = await runAccepted(url, body, entry.name);
  const aloneMs = performance.now() - started;
  // Again, warm, with the poller running as long as it took: what it does to everyone else's wait.
  const [polls] = await Promise.all([pollHealth(url, ENTRY_PROBE_INTERVAL_MS, aloneMs + ENTRY_PROBE_INTERVAL_MS), runAccepted(url, body, entry.name)]);
  return { entry, aliases, cost: costOf(estimator, entry, aliases, pools), body, bytes, aloneMs, loopMaxMs: Math.max(...polls.loopMs) };
}

interface LoadResult {
  requests: number;
  /** Refused by the cost limit (the corpus no longer fits the budget). */
  refused: number;
  /** Any other error (e.g. 503 when the database pool is exhausted). */
  failed: number;
  /** The first refusal or failure, for the log. */
  firstProblem: string | undefined;
  bytes: number;
}

/** `clients` clients, each sending the corpus round-robin (from its own offset), until `durationMs` is up. */
async function runCorpus(url: string, corpus: Calibrated[], clients: number, durationMs: number): Promise<LoadResult> {
  const result: LoadResult = { requests: 0, refused: 0, failed: 0, firstProblem: undefined, bytes: 0 };
  const end = performance.now() + durationMs;
  const client = async (offset: number) => {
    for (let i = offset; performance.now() < end; i++) {
      const entry = corpus[i % corpus.length]!;
      try {
        result.bytes += await runAccepted(url, entry.body, entry.entry.name);
      } catch (error) {
        if (String(error).includes('QUERY_TOO_COSTLY')) result.refused++;
        else result.failed++;
        result.firstProblem ??= String(error);
      }
      result.requests++;
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, offset) => client(offset)));
  return result;
}

// ---- one database ----

interface Row {
  phase: string;
  polls: Polls;
  load: string;
  corpus?: LoadResult & { seconds: number };
}

interface DatabaseReport {
  db: 'embedded' | 'postgres';
  modelVersionId: number;
  corpus: Calibrated[];
  rows: Row[];
}

async function fetchPools(url: string): Promise<Pools> {
  const data = await graphqlRetrying<{ genres: string[]; animeTypes: string[]; catalogStats: { mostRated: { anime: { id: number } }[] } }>(url, '{ genres animeTypes catalogStats { mostRated(k: 100) { anime { id } } } }');
  // Demo users spread over the sample's ids (1..5,000), those with an embedding.
  const candidates = Array.from({ length: MAX_ALIASES }, (_, i) => 1 + i * 167);
  const found = await graphqlRetrying<Record<string, { id: number; embedding: number[] | null } | null>>(url, `{ ${candidates.map((id) => `u${id}: user(id: ${id}) { id embedding }`).join(' ')} }`);
  const users = Object.values(found).flatMap((user) => (user?.embedding ? [user.id] : []));
  if (users.length === 0) throw new Error('no demo user with an embedding');
  return { users, anime: data.catalogStats.mostRated.map((row) => row.anime.id), genres: data.genres, types: data.animeTypes };
}

async function copyCacheForRun(db: 'embedded' | 'postgres', cacheDir: string): Promise<{ target: DataTarget; remove(): Promise<void> }> {
  if (db === 'embedded') {
    const dataDir = copyForRun(cacheDir);
    return { target: { dataDir }, remove: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const copy = await createScratchDatabase(BENCH_POSTGRES_URL, POSTGRES_CACHE_DATABASE);
  return { target: { databaseUrl: copy.url }, remove: copy.drop };
}

async function measureDatabase(db: 'embedded' | 'postgres', options: Options, schema: GraphQLSchema): Promise<DatabaseReport> {
  const cacheDir = resolve(PROJECT_ROOT, db === 'embedded' ? '.data/bench-api' : '.data/bench-api-postgres');
  const model = await prepareCache(cacheDir, { db, fresh: options.fresh, trainTimeoutS: options.trainTimeoutS, cpus: undefined });
  const copy = await copyCacheForRun(db, cacheDir);
  let server: ServerProcess | undefined;
  const stop = async () => {
    await server?.stop(5000).catch(() => undefined);
    killServers();
    await copy.remove();
  };
  const unregister = onCleanUp(stop);
  try {
    server = await startServerProcess({ target: copy.target, trainAtStart: 'none', adminToken: randomBytes(24).toString('hex'), cpus: undefined, echo: false });
    log(`${db}: server pid ${server.pid} at ${server.url}, model version ${model.modelVersionId}`);
    const pools = await fetchPools(server.url);
    const map = await graphqlRetrying<{ embeddingMap: unknown[]; anime: { embedding: number[] } }>(server.url, `{ embeddingMap { x } anime(id: ${pools.anime[0]}) { embedding } }`);
    const served = { items: map.embeddingMap.length, embeddingDim: map.anime.embedding.length };
    const estimator: Estimator = { schema, budget: Number(process.env.QUERY_COST_LIMIT ?? DEFAULT_COST_BUDGET), served };
    const corpus: Calibrated[] = [];
    for (const entry of CORPUS) {
      const calibrated = await calibrate(server.url, estimator, entry, pools);
      corpus.push(calibrated);
      log(`${db}: ${entry.name}: ${calibrated.aliases} aliases, cost ${Math.round(calibrated.cost)}, ${(calibrated.bytes / 1e6).toFixed(2)} MB, ${ms(calibrated.aloneMs)} ms alone, event loop held up to ${ms(calibrated.loopMaxMs)} ms`);
    }
    const rows: Row[] = [];
    await waitIdle(server.pid);
    log(`${db}: baseline, /healthz every ${options.intervalMs} ms for ${BASELINE_S} s, no load`);
    rows.push({ phase: 'no load (baseline)', load: load1(), polls: await pollHealth(server.url, options.intervalMs, BASELINE_S * 1000) });
    log(`${db}: ${options.clients} clients × the corpus for ${options.duration} s, /healthz every ${options.intervalMs} ms`);
    const loadBefore = load1();
    const started = performance.now();
    const [polls, result] = await Promise.all([pollHealth(server.url, options.intervalMs, options.duration * 1000), runCorpus(server.url, corpus, options.clients, options.duration * 1000)]);
    const seconds = (performance.now() - started) / 1000;
    rows.push({ phase: `${options.clients} clients × heaviest accepted corpus`, load: `${loadBefore} → ${load1()}`, polls, corpus: { ...result, seconds } });
    if (result.firstProblem) log(`${db}: first refusal or failure: ${result.firstProblem.slice(0, 300)}`);
    return { db, modelVersionId: model.modelVersionId, corpus, rows };
  } finally {
    unregister();
    await stop();
  }
}

// ---- report ----

function report(options: Options, reports: DatabaseReport[], minutes: number): string {
  const lines = [
    '## /healthz under the heaviest accepted requests',
    '',
    `Command: \`npm run bench:healthz -- --db ${options.dbs.length === 2 ? 'both' : options.dbs[0]} --duration ${options.duration} --clients ${options.clients} --interval-ms ${options.intervalMs}\` (${minutes.toFixed(1)} min).`,
    `Machine: ${describeMachine()}`,
    `The server: \`src/main.ts\` compiled, its own process, QUERY_COST_LIMIT ${reports[0] ? Math.round(Number(process.env.QUERY_COST_LIMIT ?? DEFAULT_COST_BUDGET)).toLocaleString('en-US') : '—'}, rate limits off, on a copy of bench:api's cache (demo sample, active ${SERVED_KIND} model).`,
    `/healthz polled every ${options.intervalMs} ms from a worker thread, open-loop; a poll not answered 200 within ${POLL_TIMEOUT_MS} ms is a failure, counted in the percentiles as ${POLL_TIMEOUT_MS} ms. "Event loop alone": the same polls of a path answered 404 without the database (\`${LOOP_PROBE_PATH}\`): slow there, the server's JavaScript thread is the wait; fast there but slow on /healthz, its \`SELECT 1\` waits behind other statements. Load: the 1-minute load average (before → after).`,
    '',
    '| database | phase | /healthz polls | p50 ms | p99 ms | max ms | failed polls | event loop alone p99 ms | corpus req/s | refused (cost) / failed | MB/s answered | load avg | p99 ≤ 100 ms |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const { db, rows } of reports) {
    for (const row of rows) {
      const { latenciesMs, failures, loopMs } = row.polls;
      const p99 = percentile(latenciesMs, 99);
      const corpus = row.corpus;
      lines.push(
        `| ${db} | ${row.phase} | ${latenciesMs.length} | ${ms(percentile(latenciesMs, 50))} | ${ms(p99)} | ${ms(Math.max(...latenciesMs))} | ${failures} | ${ms(percentile(loopMs, 99))} | ` +
          `${corpus ? (corpus.requests / corpus.seconds).toFixed(1) : '—'} | ${corpus ? `${corpus.refused} / ${corpus.failed}` : '—'} | ${corpus ? (corpus.bytes / 1e6 / corpus.seconds).toFixed(1) : '—'} | ${row.load} | ${failures === 0 && p99 <= GOAL_P99_MS ? '**met**' : '**not met**'} |`,
      );
    }
  }
  lines.push(
    '',
    `The corpus: each entry is one field under as many aliases as the estimator lets fit under the budget (at most 30), run alone once (ms alone), then again while the event-loop probe polls every ${ENTRY_PROBE_INTERVAL_MS} ms (loop max: its slowest answer, roughly the entry's longest synchronous stretch).`,
    '',
  );
  lines.push(`| entry | ${reports.map((r) => `${r.db}: aliases · cost · MB · ms alone · loop max ms`).join(' | ')} |`, `|---|${reports.map(() => '---:').join('|')}|`);
  for (const [index, entry] of CORPUS.entries()) {
    const cells = reports.map(({ corpus }) => {
      const c = corpus[index]!;
      return `${c.aliases} · ${Math.round(c.cost).toLocaleString('en-US')} · ${(c.bytes / 1e6).toFixed(2)} · ${ms(c.aloneMs)} · ${ms(c.loopMaxMs)}`;
    });
    lines.push(`| ${entry.name} | ${cells.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const started = performance.now();
  log(`machine: ${describeMachine()}; load average ${load1()}`);
  const schema = await buildGraphQLSchema();
  const reports: DatabaseReport[] = [];
  for (const db of options.dbs) reports.push(await measureDatabase(db, options, schema));
  const markdown = report(options, reports, (performance.now() - started) / 60_000);
  process.stdout.write(markdown);
  if (options.out) writeFileSync(options.out, markdown);
  const corpusRows = reports.flatMap((r) => r.rows.flatMap((row) => (row.corpus ? [row.corpus] : [])));
  if (corpusRows.some((corpus) => corpus.refused > 0)) log('some corpus requests were refused by the cost limit: the corpus no longer sits under the budget');
  if (corpusRows.some((corpus) => corpus.failed > 0)) log('some accepted corpus requests failed under load (see the first one above)');
  if (corpusRows.some((corpus) => corpus.refused + corpus.failed > 0)) process.exitCode = 1;
}

runBenchmark(main);
