/**
 * One measured ingest, run by bench/ingest.bench.ts in a fresh process so that peak RSS
 * belongs to this load alone.
 *   node -r @swc-node/register bench/ingest-child.ts --anime FILE --ratings FILE (--url POSTGRES_URL | --data-dir DIR)
 * --url: a fresh PostgreSQL database; --data-dir: an empty folder for a new PGlite database.
 * The parent creates and removes both, so they are cleaned up even when it kills this process.
 * Only the ingest() call is timed. stdout gets JSON lines: `progress` now and then (so a run
 * killed for taking too long still tells how far it got), then one `result`.
 */
import { parseArgs } from 'node:util';
import type { Database, Queryable } from '../src/db/database';
import { openDatabase } from '../src/db/open';
import { migrate } from '../src/db/migrate';
import { kaggleFormat } from '../src/ingest/formats/kaggle';
import { ingest } from '../src/ingest/ingest';
import type { ProgressSink } from '../src/progress';

export interface ChildProgress {
  type: 'progress';
  phase: string;
  rows: number;
  /** Seconds since ingest() started. */
  seconds: number;
  maxRssKiB: number;
  /** The phase's file has been read to its end (staging done). */
  done: boolean;
}

export interface ChildResult {
  type: 'result';
  driver: 'embedded' | 'postgres';
  animeRows: number;
  ratingRows: number;
  seconds: number;
  /** Seconds spent reading files and COPYing them into staging; the rest is SQL merging. */
  stagingSeconds: number;
  ratingRowsPerSecond: number;
  /** Whole process, from the kernel: for PGlite this includes its WebAssembly heap. */
  maxRssKiB: number;
  /** The same just before ingest() (after opening and migrating): what the load itself adds is the difference. */
  maxRssBeforeKiB: number;
  /** RSS just before ingest(), and the largest RSS sampled every 20 ms during it (the peak of the load itself). */
  rssBeforeKiB: number;
  rssDuringMaxKiB: number;
  /** Largest V8 heap in use sampled during ingest(). */
  heapDuringMaxKiB: number;
  /** CPU seconds (user + system) of this process during ingest(): JavaScript's share, the rest of the wall time is waiting. */
  cpuSeconds: number;
  /** Seconds per kind of statement (see statementKind); COPY runs while the file is read. */
  statements: Record<string, number>;
}

/** Groups the load's statements for the breakdown: what rebuilding keys costs, what COPY costs. */
function statementKind(sql: string): string {
  if (/PRIMARY KEY/.test(sql)) return 'primary keys';
  if (/^\s*CREATE INDEX/.test(sql)) return 'indexes';
  if (/FOREIGN KEY/.test(sql)) return 'foreign keys';
  if (/\banime\b/.test(sql) && /^\s*(INSERT|UPDATE)/.test(sql)) return 'anime merge';
  return 'other SQL';
}

/** The database with every statement of its transactions timed into `seconds`. */
function timedDatabase(db: Database, seconds: Record<string, number>): Database {
  const add = (kind: string, started: number) => (seconds[kind] = (seconds[kind] ?? 0) + (performance.now() - started) / 1000);
  const timed = (tx: Queryable): Queryable => ({
    async query(sql, params) {
      const started = performance.now();
      try {
        return await tx.query(sql, params);
      } finally {
        add(statementKind(sql), started);
      }
    },
    async exec(sql) {
      const started = performance.now();
      try {
        await tx.exec(sql);
      } finally {
        add(statementKind(sql), started);
      }
    },
    async copyFrom(table, columns, data, options) {
      const started = performance.now();
      try {
        await tx.copyFrom(table, columns, data, options);
      } finally {
        add(`COPY ${table}`, started);
      }
    },
  });
  return Object.assign(Object.create(db) as Database, {
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => db.transaction((tx) => fn(timed(tx))),
  });
}

/** Samples RSS and V8 heap every 20 ms until stopped: the peaks of one phase. */
function memorySampler() {
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    rss = Math.max(rss, usage.rss);
    heap = Math.max(heap, usage.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 20);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { rssKiB: rss / 1024, heapKiB: heap / 1024 };
    },
  };
}

const PROGRESS_EVERY_MS = 5000;

function emit(line: ChildProgress | ChildResult): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Reports progress as JSON lines and adds up the time spent staging. */
function jsonProgress(started: number) {
  let phase = '';
  let phaseStart = 0;
  let lastEmit = 0;
  let rows = 0;
  let stagingMs = 0;
  const report = (done: boolean) =>
    emit({
      type: 'progress',
      phase,
      rows,
      seconds: (performance.now() - started) / 1000,
      maxRssKiB: process.resourceUsage().maxRSS,
      done,
    });
  const sink: ProgressSink = {
    start(label) {
      phase = label.trim();
      phaseStart = performance.now();
      rows = 0;
    },
    update(_bytes, rowsSoFar) {
      rows = rowsSoFar;
      if (performance.now() - lastEmit >= PROGRESS_EVERY_MS) {
        lastEmit = performance.now();
        report(false);
      }
    },
    stop() {
      stagingMs += performance.now() - phaseStart;
      report(true);
    },
  };
  return { sink, stagingSeconds: () => stagingMs / 1000 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { anime: { type: 'string' }, ratings: { type: 'string' }, url: { type: 'string' }, 'data-dir': { type: 'string' } },
  });
  if (values.anime === undefined || values.ratings === undefined) throw new Error('give --anime and --ratings');
  if ((values.url === undefined) === (values['data-dir'] === undefined)) throw new Error('give exactly one of --url, --data-dir');
  const db = await openDatabase({ databaseUrl: values.url, dataDir: values['data-dir'] ?? '' });
  try {
    await migrate(db);
    const maxRssBeforeKiB = process.resourceUsage().maxRSS;
    const rssBeforeKiB = process.memoryUsage().rss / 1024;
    const statements: Record<string, number> = {};
    const memory = memorySampler();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const progress = jsonProgress(started);
    const report = await ingest(timedDatabase(db, statements), {
      format: kaggleFormat,
      animePath: values.anime,
      ratingsPath: values.ratings,
      progress: progress.sink,
    });
    const seconds = (performance.now() - started) / 1000;
    const during = memory.stop();
    const cpu = process.cpuUsage(cpuBefore);
    emit({
      type: 'result',
      driver: db.driver,
      animeRows: report.anime.read,
      ratingRows: report.ratings.read,
      seconds,
      stagingSeconds: progress.stagingSeconds(),
      ratingRowsPerSecond: report.ratings.read / seconds,
      maxRssKiB: process.resourceUsage().maxRSS,
      maxRssBeforeKiB,
      rssBeforeKiB,
      rssDuringMaxKiB: during.rssKiB,
      heapDuringMaxKiB: during.heapKiB,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      statements,
    });
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
