/**
 * npm run bench:full-size [-- --db embedded|postgres|both] [--kinds a,b,...] [--epochs N] [--duration S]
 *                         [--scale F] [--out FILE] [--keep]
 *
 * The whole pipeline at the size of the Kaggle data, on a synthetic ratings file: generate,
 * ingest, train every kind, serve. For each database (--db, default both: PostgreSQL at
 * BENCH_POSTGRES_URL / TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres,
 * then the embedded PGlite):
 *
 * 1. Data (once for all databases): a seeded Kaggle-format rating.csv (bench/synthetic.ts) with
 *    --scale (default 1) × the Kaggle data's 73,516 users and 7,813,737 rows, ratings
 *    distributed as in the shipped sample and anime drawn with the sample's popularity skew.
 *    Written to .data/full-size/; removed at the end unless --keep (a kept file is reused).
 * 2. Ingest into a fresh database (a new scratch PostgreSQL database, or a new DATA_DIR) with
 *    the real CLI in a child process, as `npm run ingest` runs it (build/training/ingest.js,
 *    MALLOC_ARENA_MAX=1), with data/anime.csv.gz.
 * 3. Train each kind (--kinds, default all of MODEL_KINDS) with the real CLI in a child process
 *    (build/training/train.js --model KIND --epochs N, default preset, UMAP map: the defaults),
 *    --epochs N (default 1) instead of the default schedule. The served kind (retrieval, what
 *    `npm start` trains) goes last and is trained with --activate, so it is the version served.
 *    A kind that fails is reported with its error and the others go on.
 *    Wall time, peak RSS and CPU time of each child: GNU time (/usr/bin/time) where present,
 *    else VmHWM of /proc/<pid>/status polled every 100 ms.
 * 4. Size of each published model version in the database: pg_column_size of its rows in
 *    model_version, item_embedding, user_embedding and item_map_point, plus its HNSW index
 *    (pg_relation_size; one per version); the same queries on PGlite.
 * 5. Serve: the real server (build/src/main.js, as `npm start` runs it, TRAIN_AT_START=none) on
 *    that database: time from spawn to the first good `recommendations(userId: 1, k: 10)`, RSS
 *    then, after the load and at its peak (VmHWM); then with autocannon (bench/api.bench.ts'
 *    driver and checks), 10 connections, a warm-up (min(--duration, 10) s) and --duration s
 *    (default 10) each: `{ __typename }`, `similarAnime(k: 10)` on the 100 most popular anime,
 *    `recommendations(k: 10)` on users 1..5000 that have a vector.
 * 6. Stops the server and drops the database (also on failure or Ctrl-C).
 *
 * --kinds: a comma-separated subset of MODEL_KINDS. --scale F: a fraction of the full size, to
 * try it small (0.02 takes minutes; 1 takes hours). --out FILE: the report also goes there.
 * The markdown report goes to stdout, progress to stderr. Exits 1 with one line when anything
 * failed (the report is still written).
 */
import { runBenchmark, onCleanUp } from './lifecycle';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { errorCell, errorsOf, int, load, ms, scenarios, setUpPools, type Measurement, type ScenarioName } from './api.bench';
import { cpuSeconds, describeError, graphql, killServers, SERVED_KIND, startServerProcess, waitIdle, type DataTarget } from './api-server';
import { createBenchDatabase, type BenchDatabase, type DatabaseChoice } from './load-server';
import { describeMachine } from './machine';
import { BENCH_POSTGRES_URL, serverVersion } from './postgres';
import { KAGGLE_RATING_ROWS, KAGGLE_USERS, popularityWeights, readAnimeIds, readAnimeRowCounts, writeSyntheticRatings } from './synthetic';
import { acquireDataDirLock } from '../src/db/data-dir-lock';
import { openDatabase } from '../src/db/open';
import { presetHyperparameters } from '../src/models/hyperparameters';
import { isModelKind, MODEL_KINDS, type ModelKind } from '../src/models/kinds';
import { PROJECT_ROOT, projectPath } from '../src/paths';
import { EMBEDDING_TABLES, hnswIndexName } from '../src/versions/embedding-indexes';
import { compiledEntry, compileProject } from '../training/compile';

const ANIME = projectPath('data', 'anime.csv.gz');
const SAMPLE = projectPath('data', 'rating_sample_5000users.csv.gz');
const CACHE_DIR = projectPath('.data', 'full-size');
/** Bumped when the generator's output changes, so a kept file of an older one is not reused. */
const GENERATOR_VERSION = 'skew1';
const SEED = 1;
const CONNECTIONS = 10;
const K = 10;
const QUERIES: ScenarioName[] = ['typename', 'similarAnime', 'recommendations'];
const GNU_TIME = '/usr/bin/time';
/** How long the server may take from spawn to its first good answer. */
const START_TIMEOUT_MS = 30 * 60_000;
const RECOMMENDATIONS = `query ($userId: Int!) { recommendations(userId: $userId, k: ${K}) { anime { id } } }`;

function log(message: string): void {
  process.stderr.write(`[bench:full-size] ${message}\n`);
}

const mb = (kib: number | null) => (kib === null ? '—' : `${int((kib * 1024) / 1e6)} MB`);
const bytesMb = (bytes: number) => `${((bytes) / 1e6).toFixed(bytes < 10e6 ? 2 : 1)} MB`;
const secs = (s: number | null) => (s === null ? '—' : s < 100 ? s.toFixed(1) : int(s));
const share = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;
/** The first line of an error, for a table cell. */
const oneLine = (text: string) => text.split('\n').find((line) => line.trim() !== '')?.trim().replace(/\|/g, '/').slice(0, 300) ?? '';

// ---- options ----

interface Options {
  dbs: DatabaseChoice[];
  kinds: ModelKind[];
  epochs: number;
  duration: number;
  warmup: number;
  scale: number;
  out: string | undefined;
  keep: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      db: { type: 'string', default: 'both' },
      kinds: { type: 'string', default: MODEL_KINDS.join(',') },
      epochs: { type: 'string', default: '1' },
      duration: { type: 'string', default: '10' },
      scale: { type: 'string', default: '1' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const positive = (name: string, value: string, integer: boolean) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      throw new Error(`--${name} must be ${integer ? 'a whole number' : 'a number'} > 0, got "${value}"`);
    }
    return n;
  };
  const db = values.db!;
  if (db !== 'embedded' && db !== 'postgres' && db !== 'both') throw new Error(`--db must be embedded, postgres or both, got "${db}"`);
  const listed = values.kinds!.split(',').map((kind) => kind.trim()).filter((kind) => kind !== '');
  for (const kind of listed) if (!isModelKind(kind)) throw new Error(`--kinds: unknown kind "${kind}" (${MODEL_KINDS.join(', ')})`);
  if (listed.length === 0) throw new Error('--kinds names no kind');
  // Each kind once; the served kind last, so that it is the active version the server serves.
  const kinds = [...new Set(listed as ModelKind[])].sort((a, b) => Number(a === SERVED_KIND) - Number(b === SERVED_KIND));
  const duration = positive('duration', values.duration!, false);
  return {
    dbs: db === 'both' ? ['postgres', 'embedded'] : [db],
    kinds,
    epochs: positive('epochs', values.epochs!, true),
    duration,
    warmup: Math.min(10, duration),
    scale: positive('scale', values.scale!, false),
    out: values.out,
    keep: values.keep!,
  };
}

// ---- 1. the synthetic ratings file ----

interface DataStats {
  users: number;
  rows: number;
  bytes: number;
  /** Seconds it took to generate (when it was generated, not reused). */
  seconds: number;
  catalog: number;
  animeRated: number;
  /** Rows of the 100 and 1,000 most-rated anime, in the file and (per row) in the shipped sample. */
  top100: number;
  top1000: number;
  sample: { rows: number; animeRated: number; top100: number; top1000: number };
}

function topRows(counts: ArrayLike<number>, n: number): number {
  return Array.from(counts)
    .sort((a, b) => b - a)
    .slice(0, n)
    .reduce((sum, count) => sum + count, 0);
}

/** The ratings file for `scale`: reused from .data/full-size/ when a complete one is there, else generated. */
async function syntheticRatings(options: Options): Promise<{ path: string; stats: DataStats; reused: boolean }> {
  const users = Math.max(1, Math.round(KAGGLE_USERS * options.scale));
  const rows = Math.max(users, Math.round(KAGGLE_RATING_ROWS * options.scale));
  const path = join(CACHE_DIR, `rating_${users}users_${rows}rows_seed${SEED}_${GENERATOR_VERSION}.csv`);
  // The stats file is written after the ratings file is complete: it marks a file fit to reuse.
  const statsPath = `${path}.json`;
  if (!options.keep) {
    onCleanUp(() => {
      rmSync(path, { force: true });
      rmSync(statsPath, { force: true });
    });
  }
  if (existsSync(path) && existsSync(statsPath)) {
    log(`reusing ${relative(PROJECT_ROOT, path)} (kept by an earlier --keep run)`);
    return { path, stats: JSON.parse(readFileSync(statsPath, 'utf8')) as DataStats, reused: true };
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  rmSync(statsPath, { force: true });
  const animeIds = await readAnimeIds(ANIME);
  const sampleCounts = await readAnimeRowCounts(SAMPLE, animeIds);
  const weights = popularityWeights(sampleCounts);
  const sampleRows = sampleCounts.reduce((sum, count) => sum + count, 0);
  log(`generating ${int(rows)} rows for ${int(users)} users into ${relative(PROJECT_ROOT, path)}`);
  const started = performance.now();
  const partial = `${path}.partial`;
  onCleanUp(() => rmSync(partial, { force: true }));
  const written = await writeSyntheticRatings(partial, { rows, users, animeIds, animeWeights: weights, seed: SEED });
  renameSync(partial, path);
  const stats: DataStats = {
    users,
    rows,
    bytes: written.bytes,
    seconds: (performance.now() - started) / 1000,
    catalog: animeIds.length,
    animeRated: written.rowsPerAnime.filter((count) => count > 0).length,
    top100: topRows(written.rowsPerAnime, 100),
    top1000: topRows(written.rowsPerAnime, 1000),
    sample: { rows: sampleRows, animeRated: sampleCounts.filter((count) => count > 0).length, top100: topRows(sampleCounts, 100), top1000: topRows(sampleCounts, 1000) },
  };
  writeFileSync(statsPath, `${JSON.stringify(stats, null, 2)}\n`);
  log(`generated ${bytesMb(stats.bytes)} in ${secs(stats.seconds)} s: ${int(stats.animeRated)} anime rated, the 100 most-rated hold ${share(stats.top100, rows)} of the rows`);
  return { path, stats, reused: false };
}

// ---- 2, 3. a CLI in a child process ----

interface CliRun {
  wallSeconds: number;
  peakRssKiB: number | null;
  cpuSeconds: number | null;
  stdout: string;
  /** Why it failed (one line), or undefined. */
  error?: string;
}

const HAS_GNU_TIME = existsSync(GNU_TIME);
const MEMORY_METHOD = HAS_GNU_TIME
  ? 'GNU time (`/usr/bin/time -f %M`: the maximum resident set size the kernel recorded for the child, all its threads)'
  : 'VmHWM of `/proc/<pid>/status` polled every 100 ms (the peak resident set size, all threads; a peak in the last 100 ms could be missed)';

/** A /proc/<pid>/status field in KiB (VmRSS, VmHWM), or null when the process is gone. */
function procStatusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Our environment without animerec's settings (the database is the bench's), plus `env`. */
function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'DATA_DIR', 'DATABASE_REPLICA_URLS', 'ADMIN_TOKEN', 'TRAIN_AT_START', 'SEED_DEMO_DATA', 'PORT']) delete base[name];
  return { ...base, ...env };
}

/**
 * Runs a CLI (training/ingest.ts, training/train.ts) compiled into build/, as its npm script
 * runs it, to its end: wall time from spawn to exit, peak RSS and CPU time.
 */
async function runCli(script: string, args: string[], env: Record<string, string>, label: string): Promise<CliRun> {
  const entry = compiledEntry(projectPath(script));
  const statsDir = mkdtempSync(join(tmpdir(), 'animerec-full-size-'));
  const statsFile = join(statsDir, 'time');
  const [command, commandArgs] = HAS_GNU_TIME
    ? [GNU_TIME, ['-f', '%M %U %S', '-o', statsFile, process.execPath, entry, ...args]]
    : [process.execPath, [entry, ...args]];
  const started = performance.now();
  // Its own process group, so that a clean-up kills the CLI under GNU time too.
  const child = spawn(command, commandArgs as string[], { cwd: PROJECT_ROOT, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const unregister = onCleanUp(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  let polledKiB: number | null = null;
  let polledCpu: number | null = null;
  // Without GNU time: VmHWM only grows, so its last reading is the peak up to then.
  const poll = setInterval(() => {
    if (HAS_GNU_TIME) return;
    polledKiB = procStatusKiB(child.pid!, 'VmHWM') ?? polledKiB;
    polledCpu = cpuSeconds(child.pid!) ?? polledCpu;
  }, 100);
  const heartbeat = setInterval(() => log(`  ${label}: still running, ${int((performance.now() - started) / 1000)} s`), 120_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolveRun) => {
    child.on('error', (error) => {
      stderr += `\n${error.message}`;
      resolveRun([null, null]);
    });
    child.on('close', (exitCode, exitSignal) => resolveRun([exitCode, exitSignal]));
  });
  const wallSeconds = (performance.now() - started) / 1000;
  clearInterval(poll);
  clearInterval(heartbeat);
  unregister();
  let peakRssKiB: number | null = polledKiB;
  let cpuUsed: number | null = polledCpu;
  let killedBy: string | undefined;
  if (HAS_GNU_TIME) {
    const lines = existsSync(statsFile) ? readFileSync(statsFile, 'utf8').trim().split('\n') : [];
    // GNU time writes "Command terminated by signal N" (or "exited with non-zero status N") before its figures.
    const figures = /^(\d+) ([\d.]+) ([\d.]+)$/.exec(lines[lines.length - 1] ?? '');
    if (figures) {
      peakRssKiB = Number(figures[1]);
      cpuUsed = Number(figures[2]) + Number(figures[3]);
    }
    killedBy = lines.map((line) => /terminated by signal (\d+)/.exec(line)?.[1]).find((n) => n !== undefined);
  }
  rmSync(statsDir, { recursive: true, force: true });
  const run: CliRun = { wallSeconds, peakRssKiB, cpuSeconds: cpuUsed, stdout };
  if (code !== 0 || signal !== null) {
    const lines = stderr.split(/\r?\n|\r/).map((line) => line.trim()).filter((line) => line !== '');
    const message = [...lines].reverse().find((line) => line.startsWith('animerec ')) ?? lines[lines.length - 1] ?? '(no output)';
    const how = signal ?? (killedBy !== undefined ? `signal ${killedBy}` : `code ${code}`);
    run.error = `exited with ${how}${how === 'SIGKILL' || killedBy === '9' ? ' (killed: out of memory?)' : ''}: ${message}`;
  }
  return run;
}

// ---- 4. the size of a model version ----

interface VersionSize {
  id: number;
  kind: string;
  active: boolean;
  /** The model_version row (pg_column_size of the whole row), and two of its columns. */
  versionRow: number;
  headWeights: number;
  reranker: number;
  items: number;
  itemBytes: number;
  users: number;
  userBytes: number;
  mapBytes: number;
  /** The version's HNSW indexes (pg_relation_size). */
  indexBytes: number;
  total: number;
  /** The trainer's own seconds per epoch (model_version.history), and its fit seconds (metrics.trainSeconds). */
  epochSeconds: number[];
  fitSeconds: number | null;
}

function sizeSql(id: number): string {
  const rows = (table: string, alias: string) => `(SELECT coalesce(sum(pg_column_size(${alias}.*)), 0) FROM ${table} ${alias} WHERE ${alias}.model_version_id = v.id)`;
  const count = (table: string) => `(SELECT count(*) FROM ${table} WHERE model_version_id = v.id)`;
  const indexes = EMBEDDING_TABLES.map((table) => `coalesce(pg_relation_size(to_regclass('${hnswIndexName(table, id)}')), 0)`).join(' + ');
  return `SELECT v.id, v.kind, v.is_active AS active, pg_column_size(v.*) AS version_row,
      coalesce(pg_column_size(v.head_weights), 0) AS head_weights, coalesce(pg_column_size(v.reranker), 0) AS reranker,
      ${count('item_embedding')} AS items, ${rows('item_embedding', 'e')} AS item_bytes,
      ${count('user_embedding')} AS users, ${rows('user_embedding', 'u')} AS user_bytes,
      ${rows('item_map_point', 'p')} AS map_bytes, ${indexes} AS index_bytes,
      v.history, v.metrics->'trainSeconds' AS fit_seconds
    FROM model_version v WHERE v.id = ${Number(id)}`;
}

/** The sizes of model version `id` (and what the trainer recorded about its epochs), read from the database. */
async function versionSize(db: BenchDatabase, id: number): Promise<VersionSize> {
  const dataDir = db.env.DATA_DIR;
  const lock = dataDir !== undefined ? acquireDataDirLock(dataDir, 'bench:full-size') : undefined;
  try {
    const database = await openDatabase(dataDir !== undefined ? { dataDir } : { databaseUrl: db.env.DATABASE_URL!, dataDir: '' });
    try {
      const { rows } = await database.query<Record<string, unknown>>(sizeSql(id));
      const row = rows[0];
      if (!row) throw new Error(`model version ${id} is not in the database`);
      const n = (name: string) => Number(row[name] ?? 0);
      const parse = (value: unknown) => (typeof value === 'string' ? (JSON.parse(value) as unknown) : value);
      const history = parse(row.history);
      const fit = parse(row.fit_seconds);
      const size: VersionSize = {
        id,
        kind: String(row.kind),
        active: row.active === true,
        versionRow: n('version_row'),
        headWeights: n('head_weights'),
        reranker: n('reranker'),
        items: n('items'),
        itemBytes: n('item_bytes'),
        users: n('users'),
        userBytes: n('user_bytes'),
        mapBytes: n('map_bytes'),
        indexBytes: n('index_bytes'),
        total: 0,
        epochSeconds: Array.isArray(history) ? history.map((epoch: { seconds?: unknown }) => Number(epoch.seconds)).filter(Number.isFinite) : [],
        fitSeconds: typeof fit === 'number' ? fit : null,
      };
      size.total = size.versionRow + size.itemBytes + size.userBytes + size.mapBytes + size.indexBytes;
      return size;
    } finally {
      await database.close();
    }
  } finally {
    lock?.release();
  }
}

// ---- 5. serving ----

interface Serving {
  versionServed: string;
  listeningSeconds: number;
  firstAnswerSeconds: number;
  rssAtFirstAnswerKiB: number | null;
  rssAfterLoadKiB: number | null;
  peakRssKiB: number | null;
  pools: { popular: number; users: number };
  measurements: Measurement[];
}

function targetOf(db: BenchDatabase): DataTarget {
  return db.env.DATA_DIR !== undefined ? { dataDir: db.env.DATA_DIR } : { databaseUrl: db.env.DATABASE_URL! };
}

async function serve(db: BenchDatabase, options: Options): Promise<Serving> {
  compileProject(); // now, so that the timed start finds build/ up to date
  onCleanUp(killServers);
  const started = performance.now();
  const server = await startServerProcess({ target: targetOf(db), trainAtStart: 'none', adminToken: randomBytes(24).toString('hex'), cpus: undefined, echo: false }, START_TIMEOUT_MS);
  try {
    const listeningSeconds = (performance.now() - started) / 1000;
    log(`  server pid ${server.pid} listening after ${secs(listeningSeconds)} s; waiting for its first recommendations`);
    let lastError = '';
    for (;;) {
      try {
        const data = await graphql<{ recommendations: unknown[] }>(server.url, RECOMMENDATIONS, { userId: 1 });
        if (data.recommendations.length === K) break;
        lastError = `${data.recommendations.length} recommendations, expected ${K}`;
      } catch (error) {
        lastError = describeError(error);
      }
      if (performance.now() - started > START_TIMEOUT_MS) throw new Error(`no recommendations within ${START_TIMEOUT_MS / 60_000} min of the start: ${lastError}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
    const firstAnswerSeconds = (performance.now() - started) / 1000;
    const rssAtFirstAnswerKiB = procStatusKiB(server.pid, 'VmRSS');
    log(`  first recommendations after ${secs(firstAnswerSeconds)} s, RSS ${mb(rssAtFirstAnswerKiB)}`);
    const active = await graphql<{ activeModel: { id: number; kind: string } | null }>(server.url, '{ activeModel { id kind } }');
    const versionServed = active.activeModel ? `${active.activeModel.id} (${active.activeModel.kind.toLowerCase().replace(/_/g, '-')})` : 'none';

    const pools = { ...(await setUpPools(server.url)), benchUsers: [] };
    log(`  ${pools.popular.length} popular anime, ${int(pools.users.length)} users 1..5000 with a vector`);
    const all = scenarios(pools, 20261128);
    const measurements: Measurement[] = [];
    for (const name of QUERIES) {
      const scenario = all[name];
      await waitIdle(server.pid);
      log(`  ${name}: warm-up ${options.warmup} s, then ${options.duration} s`);
      await load(server.url, scenario, { connections: CONNECTIONS, rate: undefined }, options.warmup);
      await waitIdle(server.pid);
      const measured = await load(server.url, scenario, { connections: CONNECTIONS, rate: undefined }, options.duration);
      measurements.push(measured);
      await waitIdle(server.pid);
      log(`  ${name}: ${int(measured.rps)} req/s, p50 ${ms(measured.p50)} ms, p99 ${ms(measured.p99)} ms, ${errorsOf(measured)} errors${measured.firstProblem ? ` (${measured.firstProblem.slice(0, 200)})` : ''}`);
    }
    return {
      versionServed,
      listeningSeconds,
      firstAnswerSeconds,
      rssAtFirstAnswerKiB,
      rssAfterLoadKiB: procStatusKiB(server.pid, 'VmRSS'),
      peakRssKiB: procStatusKiB(server.pid, 'VmHWM'),
      pools: { popular: pools.popular.length, users: pools.users.length },
      measurements,
    };
  } finally {
    await server.stop(10_000);
  }
}

// ---- one database ----

interface TrainRun {
  kind: ModelKind;
  run: CliRun;
  versionId: number | null;
  epochsRun: number | null;
  size: VersionSize | null;
  sizeError?: string;
}

interface DatabaseRun {
  choice: DatabaseChoice;
  label: string;
  ingest: CliRun | null;
  trains: TrainRun[];
  /** The train CLI's `data:` line (what it trained on). */
  trainedOn?: string;
  serving: Serving | null;
  problems: string[];
}

async function runOnDatabase(choice: DatabaseChoice, ratings: string, options: Options): Promise<DatabaseRun> {
  const db = await createBenchDatabase(choice, BENCH_POSTGRES_URL);
  const unregister = onCleanUp(() => db.drop());
  const result: DatabaseRun = { choice, label: db.label, ingest: null, trains: [], serving: null, problems: [] };
  const problem = (what: string) => {
    result.problems.push(`${choice}: ${what}`);
    log(`  FAILED: ${what}`);
  };
  try {
    log(`${db.label}: ingest`);
    result.ingest = await runCli('training/ingest.ts', ['--anime', ANIME, '--ratings', ratings, '--quiet'], { ...db.env, MALLOC_ARENA_MAX: '1' }, 'ingest');
    if (result.ingest.error) {
      problem(`ingest ${result.ingest.error}`);
      return result;
    }
    log(`  ingest: ${secs(result.ingest.wallSeconds)} s, peak RSS ${mb(result.ingest.peakRssKiB)}`);

    for (const [index, kind] of options.kinds.entries()) {
      const last = index === options.kinds.length - 1;
      log(`${db.label}: train ${kind} (${options.epochs} epoch${options.epochs === 1 ? '' : 's'}${last ? ', --activate' : ''})`);
      const args = ['--model', kind, '--epochs', String(options.epochs), '--quiet', ...(last ? ['--activate'] : [])];
      const run = await runCli('training/train.ts', args, db.env, `train ${kind}`);
      const versionId = Number(/model version (\d+):/.exec(run.stdout)?.[1] ?? NaN);
      const epochs = /training: (\d+) epochs/.exec(run.stdout)?.[1];
      const train: TrainRun = { kind, run, versionId: Number.isInteger(versionId) ? versionId : null, epochsRun: epochs === undefined ? null : Number(epochs), size: null };
      result.trains.push(train);
      result.trainedOn ??= /^data: .*$/m.exec(run.stdout)?.[0];
      if (run.error) {
        problem(`train ${kind} ${run.error}`);
        continue;
      }
      if (train.versionId === null) {
        problem(`train ${kind}: no "model version N" in its output`);
        continue;
      }
      try {
        train.size = await versionSize(db, train.versionId);
      } catch (error) {
        train.sizeError = oneLine(describeError(error));
        problem(`size of version ${train.versionId}: ${train.sizeError}`);
      }
      log(`  ${kind}: ${secs(run.wallSeconds)} s, peak RSS ${mb(run.peakRssKiB)}, version ${train.versionId}${train.size ? ` (${bytesMb(train.size.total)})` : ''}`);
    }

    if (!result.trains.some((train) => !train.run.error)) {
      problem('no model trained: nothing to serve');
      return result;
    }
    log(`${db.label}: serve`);
    try {
      result.serving = await serve(db, options);
      for (const m of result.serving.measurements) if (errorsOf(m) > 0) problem(`${m.scenario.name}: errors under load (${m.firstProblem ?? 'no response'})`);
    } catch (error) {
      problem(`serve: ${oneLine(describeError(error))}`);
      log(describeError(error));
    }
    return result;
  } finally {
    unregister();
    await db.drop();
  }
}

// ---- report ----

function dataSection(options: Options, data: { path: string; stats: DataStats; reused: boolean }): string[] {
  const s = data.stats;
  const full = options.scale === 1;
  return [
    `Data: a synthetic Kaggle-format rating.csv (bench/synthetic.ts, seed ${SEED}), ${full ? '**full size**' : `**scale ${options.scale}** of the full size`}: ` +
      `${int(s.users)} users (Kaggle: ${int(KAGGLE_USERS)}), ${int(s.rows)} rows (Kaggle: ${int(KAGGLE_RATING_ROWS)}), ${bytesMb(s.bytes)}, ` +
      `${int(s.animeRated)} of the ${int(s.catalog)} catalog anime rated (Kaggle: 11,200). ` +
      `${data.reused ? `Reused from an earlier --keep run (${relative(PROJECT_ROOT, data.path)}).` : `Generated in ${secs(s.seconds)} s.`}`,
    '',
    `- Ratings: -1 (watched, unrated) and 1..10 in the shipped sample's proportions (~19% -1), independent of user and anime (no taste structure: the models' accuracy means nothing here).`,
    `- Popularity skew: anime drawn in proportion to their row counts in the shipped 5,000-user sample (+0.1 each, so that anime the sample lacks appear as rarely as in the full data): ` +
      `the 100 most-rated anime hold ${share(s.top100, s.rows)} of the rows (sample: ${share(s.sample.top100, s.sample.rows)}), the 1,000 most-rated ${share(s.top1000, s.rows)} (sample: ${share(s.sample.top1000, s.sample.rows)}).`,
    `- Users: about ${int(s.rows / s.users)} rows each (rows / users), jittered by up to ±40%; not the real data's long tail of heavy raters (the sample: median 56, up to 1,993).`,
  ];
}

function summaryTable(runs: DatabaseRun[], options: Options): string[] {
  const cell = (run: DatabaseRun, fn: (run: DatabaseRun) => string) => fn(run);
  const row = (label: string, fn: (run: DatabaseRun) => string) => `| ${label} | ${runs.map((run) => cell(run, fn)).join(' | ')} |`;
  const train = (run: DatabaseRun, kind: ModelKind) => run.trains.find((t) => t.kind === kind);
  const p99 = (run: DatabaseRun, name: ScenarioName) => {
    const m = run.serving?.measurements.find((x) => x.scenario.name === name);
    return m ? `${ms(m.p99)} ms${errorsOf(m) > 0 ? ' (errors)' : ''}` : '—';
  };
  const served = (run: DatabaseRun) => train(run, options.kinds[options.kinds.length - 1]!);
  return [
    `| | ${runs.map((run) => run.label).join(' | ')} |`,
    `|---|${runs.map(() => '---:').join('|')}|`,
    row('Ingest: wall s / peak RSS', (run) => (run.ingest ? (run.ingest.error ? '**failed**' : `${secs(run.ingest.wallSeconds)} s / ${mb(run.ingest.peakRssKiB)}`) : '—')),
    ...options.kinds.map((kind) =>
      row(`Train ${kind} (${options.epochs} epoch${options.epochs === 1 ? '' : 's'}): wall s / peak RSS`, (run) => {
        const t = train(run, kind);
        return !t ? '—' : t.run.error ? '**failed**' : `${secs(t.run.wallSeconds)} s / ${mb(t.run.peakRssKiB)}`;
      }),
    ),
    row(`Size of the ${options.kinds[options.kinds.length - 1]} version in the database`, (run) => {
      const size = served(run)?.size;
      return size ? bytesMb(size.total) : '—';
    }),
    row('Server: spawn → first recommendations', (run) => (run.serving ? `${secs(run.serving.firstAnswerSeconds)} s` : '—')),
    row('Server: peak RSS (VmHWM)', (run) => (run.serving ? mb(run.serving.peakRssKiB) : '—')),
    row(`\`similarAnime(k: ${K})\` p99`, (run) => p99(run, 'similarAnime')),
    row(`\`recommendations(k: ${K})\` p99`, (run) => p99(run, 'recommendations')),
  ];
}

function databaseSection(run: DatabaseRun, options: Options): string[] {
  const lines = [`### ${run.label}`, ''];
  const ingest = run.ingest;
  if (ingest) {
    const summary = ingest.stdout.split('\n').filter((line) => /^(anime|ratings|users): /.test(line.trim())).map((line) => line.trim().replace(/\s+/g, ' '));
    lines.push(
      `**Ingest** (\`node build/training/ingest.js --anime data/anime.csv.gz --ratings FILE\`, MALLOC_ARENA_MAX=1, as \`npm run ingest\`; fresh ${run.choice === 'embedded' ? 'DATA_DIR' : 'database'}): ` +
        (ingest.error
          ? `**failed** after ${secs(ingest.wallSeconds)} s: \`${ingest.error}\``
          : `${secs(ingest.wallSeconds)} s wall (process start to exit; the CLI's own: ${/done in ([\d.]+) s/.exec(ingest.stdout)?.[1] ?? '?'} s), ` +
            `peak RSS ${mb(ingest.peakRssKiB)}${run.choice === 'embedded' ? ' (includes PGlite, in process)' : ' (excludes the PostgreSQL server)'}, CPU ${secs(ingest.cpuSeconds)} s. ${summary.join('; ')}.`),
      '',
    );
  }
  if (run.trains.length > 0) {
    const defaults = (kind: ModelKind) => {
      const hyper = presetHyperparameters(kind, 'default');
      return `default: up to ${hyper.epochs}${hyper.earlyStoppingPatience !== null ? `, early stop after ${hyper.earlyStoppingPatience} without improvement` : ''}`;
    };
    lines.push(
      `**Training**, each kind in a fresh process (\`node build/training/train.js --model KIND --epochs ${options.epochs} --quiet\`, default preset, UMAP map; the last with --activate), ` +
        `**${options.epochs} epoch${options.epochs === 1 ? '' : 's'} (--epochs ${options.epochs}), not the default schedule**.${run.trainedOn ? ` The CLI's ${run.trainedOn.replace(/^data: /, 'data: ')}.` : ''}`,
      '',
      '| Kind | Wall s (whole CLI) | Epochs run | s per epoch (trainer\'s own timing) | Fit s (epochs; retrieval: + iALS + blend) | Wall − fit s (load, split, baselines + EASE, evaluation, UMAP, publish) | Peak RSS | CPU s | Version |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const t of run.trains) {
      if (t.run.error) {
        lines.push(`| ${t.kind} | ${secs(t.run.wallSeconds)} | — | — | — | — | ${mb(t.run.peakRssKiB)} | ${secs(t.run.cpuSeconds)} | **failed**: \`${oneLine(t.run.error)}\` |`);
        continue;
      }
      const epochs = t.size?.epochSeconds ?? [];
      const perEpoch = epochs.length > 0 ? epochs.reduce((sum, s) => sum + s, 0) / epochs.length : null;
      const fit = t.size?.fitSeconds ?? null;
      lines.push(
        `| ${t.kind} | ${secs(t.run.wallSeconds)} | ${t.epochsRun ?? '?'} (${defaults(t.kind)}) | ${secs(perEpoch)} | ${secs(fit)} | ${fit === null ? '—' : secs(t.run.wallSeconds - fit)} | ` +
          `${mb(t.run.peakRssKiB)} | ${secs(t.run.cpuSeconds)} | ${t.versionId ?? '?'}${t.size?.active ? ' (activated)' : ''} |`,
      );
    }
    lines.push(
      '',
      `Version: "activated" when it became the active version on publish (the last kind with --activate; the others if their validation RMSE beat the active one's, the CLI's default). ` +
        `s per epoch: the mean of the epoch times the trainer records in model_version.history (for retrieval: its hybrid rating model's epochs; its 16 iALS sweeps and EASE neighbours do not depend on --epochs). ` +
        `Fit s: metrics.trainSeconds. Everything else a run does is paid once per run whatever the epochs, and each CLI run pays it again (no cache across processes).`,
      '',
    );
    const sized = run.trains.filter((t) => t.size !== null);
    if (sized.length > 0) {
      lines.push(
        `**Model versions in the database** (${run.choice === 'embedded' ? 'PGlite, the same queries' : 'PostgreSQL'}): rows as the sum of \`pg_column_size\` of whole rows (data and tuple headers; not page overhead, free space or the shared primary-key B-trees), ` +
          'the HNSW index as `pg_relation_size` (one per version, on item vectors).',
        '',
        '| Version | Kind | model_version row (head weights, reranker) | item_embedding rows | user_embedding rows | item_map_point rows | HNSW index | Total |',
        '|---|---|---:|---:|---:|---:|---:|---:|',
        ...sized.map(({ size: s }) =>
          `| ${s!.id} | ${s!.kind} | ${bytesMb(s!.versionRow)} (${bytesMb(s!.headWeights)}, ${bytesMb(s!.reranker)}) | ${bytesMb(s!.itemBytes)} (${int(s!.items)}) | ` +
            `${bytesMb(s!.userBytes)} (${int(s!.users)}) | ${bytesMb(s!.mapBytes)} | ${bytesMb(s!.indexBytes)} | **${bytesMb(s!.total)}** |`,
        ),
        ...run.trains.filter((t) => t.sizeError).map((t) => `\nVersion ${t.versionId} (${t.kind}): size not measured: ${t.sizeError}`),
        '',
      );
    }
  }
  const serving = run.serving;
  if (serving) {
    lines.push(
      `**Serving** (\`node build/src/main.js\` as \`npm start\` runs it, after its prestart build; NODE_ENV=production, LOG_LEVEL=warn, TRAIN_AT_START=none), model version ${serving.versionServed}: ` +
        `listening ${secs(serving.listeningSeconds)} s and the first good \`recommendations(userId: 1, k: ${K})\` ${secs(serving.firstAnswerSeconds)} s after spawn (polled every 100 ms). ` +
        `RSS ${mb(serving.rssAtFirstAnswerKiB)} at the first answer, ${mb(serving.rssAfterLoadKiB)} after the warm-ups and load, peak (VmHWM) ${mb(serving.peakRssKiB)}` +
        `${run.choice === 'embedded' ? ' (includes PGlite, in process)' : ' (excludes the PostgreSQL server)'}.`,
      '',
      `Load: autocannon, ${CONNECTIONS} connections, one request at a time each, ${options.warmup} s warm-up then ${options.duration} s per query, after the server's CPU is idle. ` +
        `similarAnime: one of the ${serving.pools.popular} most popular anime (by members) with a vector; recommendations: one of the ${int(serving.pools.users)} users among 1..5,000 with a vector. ` +
        'Every response must be HTTP 200 with `data` and no `errors`; one in 10 is checked in full (bench/api.bench.ts\' checks).',
      '',
      '| Query | Responses | req/s | p50 ms | p99 ms | max ms | Errors |',
      '|---|---:|---:|---:|---:|---:|---|',
      ...serving.measurements.map((m) => `| ${m.scenario.label} | ${int(m.responses)} | ${int(m.rps)} | ${ms(m.p50)} | ${ms(m.p99)} | ${ms(m.max)} | ${errorCell(m)} |`),
      '',
    );
  }
  if (run.problems.length > 0) lines.push('**Problems:**', '', ...run.problems.map((p) => `- ${p}`), '');
  return lines;
}

function report(options: Options, machine: string, data: { path: string; stats: DataStats; reused: boolean }, runs: DatabaseRun[], minutes: number): string {
  const flags = process.argv.slice(2).join(' ');
  return [
    '',
    `## Full-size run (${new Date().toISOString().slice(0, 10)})`,
    '',
    `Machine: ${machine}`,
    '',
    `Command: \`npm run bench:full-size${flags ? ` -- ${flags}` : ''}\`; took ${minutes.toFixed(1)} min.`,
    '',
    ...dataSection(options, data),
    '',
    ...summaryTable(runs, options),
    '',
    `Training: **${options.epochs} epoch${options.epochs === 1 ? '' : 's'} per kind (--epochs ${options.epochs})**, not the default schedule; per-epoch figures below. ` +
      `Peak RSS of the CLIs: ${MEMORY_METHOD}. Wall time: spawn to exit of the child process.`,
    '',
    ...runs.flatMap((run) => databaseSection(run, options)),
  ].join('\n');
}

// ---- main ----

async function main(): Promise<void> {
  const options = parseOptions();
  const started = performance.now();
  const extra = options.dbs.includes('postgres') ? [`${await serverVersion(BENCH_POSTGRES_URL)} on ${new URL(BENCH_POSTGRES_URL).host}`] : [];
  const machine = describeMachine(extra);
  log(machine);
  log(`kinds in order: ${options.kinds.join(', ')}; ${options.epochs} epoch(s) each; databases: ${options.dbs.join(', ')}`);
  compileProject();
  const data = await syntheticRatings(options);
  const runs: DatabaseRun[] = [];
  for (const choice of options.dbs) runs.push(await runOnDatabase(choice, data.path, options));
  const markdown = report(options, machine, data, runs, (performance.now() - started) / 60_000);
  process.stdout.write(`${markdown}\n`);
  if (options.out) {
    writeFileSync(options.out, `${markdown}\n`);
    log(`report written to ${options.out}`);
  }
  const problems = runs.flatMap((run) => run.problems);
  if (problems.length > 0) throw new Error(`${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.join('; ')}`);
}

runBenchmark(async () => {
  try {
    await main();
  } catch (error) {
    process.stderr.write(`bench:full-size: ${oneLine(describeError(error))}\n`);
    process.exitCode = 1;
  }
});
