/**
 * The animerec server as bench/api.bench.ts drives it: a child process (`src/main.ts` compiled
 * into build/, as `npm start` runs it) with its own environment, a small GraphQL client, and
 * the cached data directory holding the demo data and a trained model of the default kind. Internal to bench/.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { GraphQLRequestError, graphqlData } from '../test/helpers/graphql';
import { launchServer } from '../test/helpers/processes';
import { projectPath } from '../src/paths';
import { compiledEntry } from '../training/compile';
import { BENCH_POSTGRES_URL, databaseUrlOf, recreateDatabase } from './postgres';

const MAIN = projectPath('src', 'main.ts');

export function log(message: string): void {
  process.stderr.write(`[bench:api] ${message}\n`);
}

// ---- GraphQL over HTTP ----

/** Requests that carry on through a server busy training (its event loop blocks for seconds). */
const TIMEOUT_MS = 120_000;

/** One POST /graphql; throws on a non-2xx status or any GraphQL error. */
export function graphql<T>(url: string, query: string, variables?: Record<string, unknown>, token?: string): Promise<T> {
  return graphqlData<T>(url, query, variables, token, TIMEOUT_MS);
}

/** The message of a failed fetch with its cause (undici says only "fetch failed"). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}

/**
 * `graphql` for idempotent queries, retried on network errors: a server busy training can block
 * its event loop for seconds, and a kept-alive socket may be closed under a request sent on it.
 */
export async function graphqlRetrying<T>(url: string, query: string, variables?: Record<string, unknown>, token?: string, tries = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await graphql<T>(url, query, variables, token);
    } catch (error) {
      if (error instanceof GraphQLRequestError || attempt >= tries) throw new Error(describeError(error), { cause: error });
      log(`request failed (${describeError(error)}), retrying`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 1000 * attempt));
    }
  }
}

// ---- the server process ----

/** Where the server keeps its data: an embedded data directory or a PostgreSQL database. */
export type DataTarget = { dataDir: string } | { databaseUrl: string };

export interface ServerOptions {
  target: DataTarget;
  /** TRAIN_AT_START: the model trained in the background when none is active; 'none' for never. */
  trainAtStart: typeof SERVED_KIND | 'none';
  adminToken: string;
  /** CPU list for `taskset -c` (e.g. "1"), or undefined for no pinning. */
  cpus: string | undefined;
  /** Forward the server's stderr (logs, progress bars) to ours. */
  echo: boolean;
}

export interface ServerProcess {
  url: string;
  pid: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines the server wrote to stderr (for error messages). */
  tail(): string;
}

const running = new Set<ChildProcess>();

/** Kills servers still running (Ctrl-C, a failed benchmark). */
export function killServers(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export async function startServerProcess(options: ServerOptions, timeoutMs = 180_000): Promise<ServerProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: '0',
    SEED_DEMO_DATA: 'true',
    TRAIN_AT_START: options.trainAtStart,
    ADMIN_TOKEN: options.adminToken,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    // A benchmark sends far more mutations from one address than the default limits allow.
    RATE_LIMIT_MUTATIONS_PER_TOKEN: '0',
    RATE_LIMIT_MUTATIONS_PER_IP: '0',
  };
  if ('databaseUrl' in options.target) env.DATABASE_URL = options.target.databaseUrl;
  else {
    env.DATA_DIR = options.target.dataDir;
    delete env.DATABASE_URL;
  }
  // As `npm start` runs it: the JavaScript compiled into build/.
  const node = [compiledEntry(MAIN)];
  const [command, args] = options.cpus !== undefined ? ['taskset', ['-c', options.cpus, process.execPath, ...node]] : [process.execPath, node];
  const server = await launchServer(command, args as string[], env, {
    timeoutMs,
    onSpawn: (child) => {
      running.add(child);
      child.once('exit', () => running.delete(child));
      if (options.echo) child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    },
  });
  return { url: server.url, pid: server.child.pid!, tail: server.tail, stop: (graceMs = 15_000) => server.stop(graceMs) };
}

/** CPU seconds (user + system) a process has used so far, from /proc; null where there is none. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state; utime and stime are 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** Clock ticks per second of /proc's times: 100 on Linux unless configured otherwise. */
const CLOCK_TICKS = (() => {
  const answer = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(answer.stdout?.trim());
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
})();

/**
 * Waits until the server process is idle: under `maxShare` of a core over two windows in a row.
 * autocannon drops its connections when its time is up, but the server still works through the
 * requests it had (one per connection); the next measurement must not start behind them.
 * Returns the seconds waited (a plain `fallbackMs` sleep where /proc is not readable).
 */
export async function waitIdle(pid: number, options: { windowMs?: number; maxShare?: number; timeoutMs?: number; fallbackMs?: number } = {}): Promise<number> {
  const { windowMs = 300, maxShare = 0.1, timeoutMs = 180_000, fallbackMs = 5000 } = options;
  const started = performance.now();
  const sleep = (waitMs: number) => new Promise((resolveWait) => setTimeout(resolveWait, waitMs));
  let previous = cpuSeconds(pid);
  if (previous === null) {
    await sleep(fallbackMs);
    return fallbackMs / 1000;
  }
  let quiet = 0;
  while (quiet < 2 && performance.now() - started < timeoutMs) {
    await sleep(windowMs);
    const now = cpuSeconds(pid);
    if (now === null) break;
    quiet = now - previous <= (maxShare * windowMs) / 1000 ? quiet + 1 : 0;
    previous = now;
  }
  return (performance.now() - started) / 1000;
}

// ---- the cached database: demo data plus a trained model of the default kind ----

/** The kind `npm start` trains and serves by default (TRAIN_AT_START): what the API benchmark measures. */
export const SERVED_KIND = 'retrieval';
/** Its name in the GraphQL schema's ModelKind enum. */
export const SERVED_KIND_ENUM = 'RETRIEVAL';

/** The PostgreSQL database that holds bench:api's cache (--db postgres); each run copies it. */
export const POSTGRES_CACHE_DATABASE = 'animerec_bench_api_cache';

/** Where the cache's data lives: `db/` in the cache folder, or POSTGRES_CACHE_DATABASE. */
export function cacheTarget(cacheDir: string, db: 'embedded' | 'postgres'): DataTarget {
  return db === 'embedded' ? { dataDir: cachePaths(cacheDir).db } : { databaseUrl: databaseUrlOf(BENCH_POSTGRES_URL, POSTGRES_CACHE_DATABASE) };
}

export interface CachedModel {
  modelVersionId: number;
  kind: string;
  preparedAt: string;
  /** How long the first start took (demo data load and training), seconds. */
  seconds: number;
}

interface ModelState {
  activeModel: { id: number; kind: string } | null;
  trainingRuns: { nodes: { id: number; kind: string; status: string; phase: string; progress: number; error: string | null }[] };
}

const MODEL_STATE = '{ activeModel { id kind } trainingRuns { nodes { id kind status phase progress error } } }';
const START_TRAINING = `mutation { startTraining(input: { kind: ${SERVED_KIND_ENUM}, preset: DEFAULT, activate: true, map: UMAP }) { trainingRun { id } } }`;

/** Folder layout of the cache: `db/` is DATA_DIR (embedded), `model.json` says it is ready. */
export function cachePaths(cacheDir: string) {
  return { db: join(cacheDir, 'db'), marker: join(cacheDir, 'model.json') };
}

export function readCachedModel(cacheDir: string): CachedModel | null {
  const { db, marker } = cachePaths(cacheDir);
  if (!existsSync(db) || !existsSync(marker)) return null;
  try {
    const cached = JSON.parse(readFileSync(marker, 'utf8')) as CachedModel;
    return cached.kind === SERVED_KIND && Number.isInteger(cached.modelVersionId) ? cached : null;
  } catch {
    return null;
  }
}

/**
 * Makes sure `cacheDir` holds the demo data and an active model of SERVED_KIND: the first start of a
 * server on an empty folder loads the demo data and (TRAIN_AT_START) trains in the
 * background; this waits for it (or starts a run itself through the admin API if none runs).
 */
export async function prepareCache(cacheDir: string, options: { db: 'embedded' | 'postgres'; fresh: boolean; trainTimeoutS: number; cpus: string | undefined }): Promise<CachedModel> {
  const paths = cachePaths(cacheDir);
  if (options.fresh) rmSync(cacheDir, { recursive: true, force: true });
  if (options.db === 'postgres' && !existsSync(paths.marker)) await recreateDatabase(BENCH_POSTGRES_URL, POSTGRES_CACHE_DATABASE);
  const cached = readCachedModel(cacheDir);
  if (cached) {
    log(`reusing ${cacheDir} (model version ${cached.modelVersionId}, ${cached.kind}, prepared ${cached.preparedAt}); --fresh rebuilds it`);
    return cached;
  }
  rmSync(paths.marker, { force: true });
  mkdirSync(options.db === 'embedded' ? paths.db : cacheDir, { recursive: true });
  log(`preparing ${cacheDir}: demo data and a trained ${SERVED_KIND} model (first time: several minutes)`);
  const started = performance.now();
  const adminToken = randomBytes(24).toString('hex');
  const server = await startServerProcess({ target: cacheTarget(cacheDir, options.db), trainAtStart: SERVED_KIND, adminToken, cpus: options.cpus, echo: true }, 600_000);
  try {
    const deadline = performance.now() + options.trainTimeoutS * 1000;
    let startedRun: number | null = null;
    let lastNote = 0;
    for (;;) {
      const state = await graphqlRetrying<ModelState>(server.url, MODEL_STATE, undefined, adminToken);
      const runningRun = state.trainingRuns.nodes.find((run) => run.status === 'RUNNING');
      if (state.activeModel?.kind === SERVED_KIND_ENUM && !runningRun) {
        const model: CachedModel = {
          modelVersionId: state.activeModel.id,
          kind: SERVED_KIND,
          preparedAt: new Date().toISOString(),
          seconds: Math.round((performance.now() - started) / 1000),
        };
        log(`model version ${model.modelVersionId} (${SERVED_KIND}) is active after ${model.seconds} s`);
        await server.stop();
        writeFileSync(paths.marker, `${JSON.stringify(model, null, 2)}\n`);
        return model;
      }
      const failed = state.trainingRuns.nodes.find((run) => run.status === 'FAILED' && (startedRun === null || run.id === startedRun));
      if (failed && startedRun !== null) throw new Error(`training run ${failed.id} failed: ${failed.error}`);
      if (!runningRun) {
        // No model of the served kind and nothing training (TRAIN_AT_START unsupported, or another kind active): start one.
        if (startedRun !== null) throw new Error(`training run ${startedRun} finished but no ${SERVED_KIND} model is active`);
        const answer = await graphql<{ startTraining: { trainingRun: { id: number } } }>(server.url, START_TRAINING, undefined, adminToken);
        startedRun = answer.startTraining.trainingRun.id;
        log(`started training run ${startedRun} (${SERVED_KIND}, default preset) through the admin API`);
      } else if (performance.now() - lastNote > 30_000) {
        lastNote = performance.now();
        const fraction = runningRun.progress >= 0 && runningRun.progress <= 1 ? ` ${(runningRun.progress * 100).toFixed(0)}%` : '';
        log(`training run ${runningRun.id} (${runningRun.kind}): ${runningRun.phase}${fraction}, ${Math.round((performance.now() - started) / 1000)} s so far`);
      }
      if (performance.now() > deadline) throw new Error(`no ${SERVED_KIND} model after ${options.trainTimeoutS} s (--train-timeout-s)`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
    }
  } finally {
    await server.stop();
  }
}

/**
 * A throwaway copy of the cached database for one benchmark run, so the users and ratings it
 * writes never reach the cache (each run starts from the same data). Returns the copy's path.
 */
export function copyForRun(cacheDir: string): string {
  const { db } = cachePaths(cacheDir);
  const copy = join(cacheDir, `run-${process.pid}`);
  rmSync(copy, { recursive: true, force: true });
  cpSync(db, copy, { recursive: true, filter: (source) => basename(source) !== 'animerec.lock' });
  return copy;
}
