/**
 * npm run bench:ingest [-- --synthetic [--rows N] [--pglite-rows N]] [--runs N] [--pglite-timeout-s S]
 *
 * Ingestion speed and memory. Every measured ingest runs in its own child process
 * (bench/ingest-child.ts) on a fresh database, timing only the ingest() call.
 * Default: the shipped 520,609-row sample on PGlite and PostgreSQL, against the ceiling
 * measured in the same run: `psql \copy` of the same rows into a bare table.
 * --synthetic: a generated full-size (7,813,737 rows) Kaggle ratings file on both drivers,
 * to show peak memory does not grow with the file. --pglite-timeout-s limits that PGlite
 * child (counted from its start); a killed run reports how far it got.
 * PostgreSQL: BENCH_POSTGRES_URL, else TEST_POSTGRES_URL, else postgres://postgres@127.0.0.1:5432/postgres.
 */
import { onCleanUp, runBenchChild, runBenchmark } from './lifecycle';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import type { ChildProgress, ChildResult } from './ingest-child';
import { describeMachine } from './machine';
import { BENCH_POSTGRES_URL, createScratchDatabase, query, serverVersion, timePsql } from './postgres';
import { splitRatings, timeSchemaFloor } from './schema-floor';
import { KAGGLE_RATING_ROWS, readAnimeIds, writeSyntheticRatings } from './synthetic';
import { projectPath } from '../src/paths';
import { median, medianBy } from './stats';

const ANIME = projectPath('data', 'anime.csv.gz');
const SAMPLE = projectPath('data', 'rating_sample_5000users.csv.gz');
const CHILD = projectPath('bench', 'ingest-child.ts');
const BARE_TABLE = 'CREATE TABLE bare (user_id int, anime_id int, rating int)';

// ---- cleanup that also runs on Ctrl-C: temp folders, scratch databases, a running child ----


/** Runs `fn` with `resource`, then disposes of it whatever happens (or on Ctrl-C). */
async function using<R, T>(resource: R, dispose: (r: R) => unknown, fn: (r: R) => Promise<T>): Promise<T> {
  const unregister = onCleanUp(() => dispose(resource));
  try {
    return await fn(resource);
  } finally {
    unregister();
    await dispose(resource);
  }
}

const withTempDir = <T>(prefix: string, fn: (dir: string) => Promise<T>) =>
  using(mkdtempSync(join(tmpdir(), prefix)), (dir) => rmSync(dir, { recursive: true, force: true }), fn);

const withScratchDatabase = async <T>(fn: (url: string) => Promise<T>) =>
  using(await createScratchDatabase(BENCH_POSTGRES_URL), (db) => db.drop(), (db) => fn(db.url));

// ---- one ingest in a child process ----

interface ChildRun {
  result?: ChildResult;
  /** The last progress line: how far a killed or failed run got. */
  last?: ChildProgress;
  /** Why there is no result: timeout, crash (with the end of stderr). */
  failure?: string;
}

async function runChild(args: string[], timeoutSeconds?: number): Promise<ChildRun> {
  const run: ChildRun = {};
  const failure = await runBenchChild(CHILD, args, {
    timeoutSeconds,
    // As `npm run ingest` runs (package.json): compiled JavaScript, one malloc arena (BENCHMARKS.md, Memory).
    env: { MALLOC_ARENA_MAX: '1' },
    compiled: true,
    succeeded: () => run.result !== undefined,
    onLine: (text) => {
      const line = JSON.parse(text) as ChildProgress | ChildResult;
      if (line.type === 'result') run.result = line;
      else run.last = line;
    },
  });
  if (failure !== undefined) run.failure = failure;
  return run;
}

function ingestOnPostgres(ratings: string): Promise<ChildRun> {
  return withScratchDatabase((url) => runChild(['--anime', ANIME, '--ratings', ratings, '--url', url]));
}

function ingestOnPglite(ratings: string, timeoutSeconds?: number): Promise<ChildRun> {
  return withTempDir('animerec-bench-pglite-', (dir) => runChild(['--anime', ANIME, '--ratings', ratings, '--data-dir', dir], timeoutSeconds));
}

/** `psql \copy` of a plain CSV ratings file into a new bare table: the PostgreSQL ceiling. */
async function copyCeiling(url: string, csv: string): Promise<number> {
  await query(url, `DROP TABLE IF EXISTS bare; ${BARE_TABLE}`);
  return timePsql(url, `\\copy bare FROM '${csv}' WITH (FORMAT csv, HEADER true)`);
}

// ---- formatting ----

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (kib: number) => `${int((kib * 1024) / 1e6)} MB`;
const secs = (s: number) => s.toFixed(2);

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Where the time went: reading with COPY overlapped, then statement kinds. */
function breakdown(r: ChildResult): string {
  const parts = Object.entries(r.statements)
    .sort(([, a], [, b]) => b - a)
    .map(([kind, seconds]) => `${kind} ${secs(seconds)}`);
  const cpu = r.cpuSeconds === undefined ? '' : ` The child process used ${secs(r.cpuSeconds)} s of CPU (JavaScript, gunzip, the driver; PGlite's database work too).`;
  return `read files + COPY ${secs(r.stagingSeconds)} s (COPY statements inside it); after reading: ${secs(r.seconds - r.stagingSeconds)} s. Statements: ${parts.join(', ')}.${cpu}`;
}

function summarize(run: ChildRun): string {
  const r = run.result;
  if (r) {
    return `${int(r.ratingRows)} rows in ${secs(r.seconds)} s = ${int(r.ratingRowsPerSecond)} rows/s, peak RSS ${mb(r.maxRssKiB)}, ` +
      `RSS ${mb(r.rssBeforeKiB)} before ingest, ${mb(r.rssDuringMaxKiB)} at most during it (V8 heap ≤ ${mb(r.heapDuringMaxKiB)})\n[bench]     ${breakdown(r)}`;
  }
  return `FAILED (${run.failure}); last progress: ${JSON.stringify(run.last)}`;
}

/** A table row for an ingest; a run without a result shows how far it got. */
function ingestRow(label: string, driver: string, run: ChildRun, extra = ''): string {
  const r = run.result;
  if (r) {
    const after = r.seconds - r.stagingSeconds;
    return `| ${label} | ${driver} | ${int(r.ratingRows)} | ${secs(r.seconds)} (read+COPY ${secs(r.stagingSeconds)} + after ${secs(after)}) | ${int(r.ratingRowsPerSecond)} | ${mb(r.maxRssKiB)} (${mb(r.maxRssBeforeKiB)}) | ${mb(r.rssBeforeKiB)} → ${mb(r.rssDuringMaxKiB)} |${extra}`;
  }
  const p = run.last;
  const partial = p
    ? `${p.done ? `staged all ${int(p.rows)} ${p.phase} rows, merge unfinished` : `${int(p.rows)} ${p.phase} rows staged`} at ${secs(p.seconds)} s`
    : 'no progress reported';
  const rate = p && p.phase === 'ratings' ? int(p.rows / p.seconds) + ' (staging only)' : 'n/a';
  return `| ${label} | ${driver} | **${run.failure}**: ${partial} | — | ${rate} | ≥ ${p ? mb(p.maxRssKiB) : '?'} | — |${extra}`;
}

const INGEST_HEADER = '| Run | Driver | Rating rows | Seconds | Rows/s | Peak RSS of child (before ingest) | RSS before ingest → max during it |';
const INGEST_RULE = '|---|---|---:|---:|---:|---:|---:|';

// ---- the two benchmarks ----

async function sampleBenchmark(runs: number, dir: string): Promise<string[]> {
  const csv = join(dir, 'rating_sample.csv');
  await pipeline(createReadStream(SAMPLE), createGunzip(), createWriteStream(csv));

  log('PGlite: sample ingest');
  const pglite = await ingestOnPglite(SAMPLE);
  log(`  ${summarize(pglite)}`);

  const split = await splitRatings(SAMPLE, dir);
  // Ours, \copy and the schema floor alternate so that drift in the machine's speed hits all alike.
  const ours: ChildRun[] = [];
  const copies: number[] = [];
  const floors: number[] = [];
  await withScratchDatabase(async (url) => {
    for (let i = 1; i <= runs; i++) {
      log(`PostgreSQL run ${i}/${runs}: psql \\copy, the schema floor, then ingest`);
      copies.push(await copyCeiling(url, csv));
      log(`  \\copy ${secs(copies[copies.length - 1]!)} s`);
      floors.push(await withScratchDatabase((floorUrl) => timeSchemaFloor(floorUrl, ANIME, split, dir)));
      log(`  schema floor ${secs(floors[floors.length - 1]!)} s`);
      const run = await ingestOnPostgres(SAMPLE);
      if (!run.result) throw new Error(`PostgreSQL ingest failed: ${run.failure}`);
      ours.push(run);
      log(`  ingest ${summarize(run)}`);
    }
  });

  const medianRun = medianBy(ours, (run) => run.result!.seconds)!;
  const rows = medianRun.result!.ratingRows;
  const copySeconds = median(copies);
  const ratio = medianRun.result!.ratingRowsPerSecond / (rows / copySeconds);
  const pairRatios = ours.map((run, i) => copies[i]! / run.result!.seconds);
  return [
    `### 520,609-row sample (data/rating_sample_5000users.csv.gz + data/anime.csv.gz)`,
    '',
    `${INGEST_HEADER} vs \\copy |`,
    `${INGEST_RULE}---:|`,
    ingestRow(`ingest(), median of ${runs}`, 'PostgreSQL', medianRun, ` **${median(pairRatios).toFixed(2)}x** (paired) |`),
    `| psql \\copy into bare table, median of ${runs} | PostgreSQL | ${int(rows)} | ${secs(copySeconds)} | ${int(rows / copySeconds)} | — | — | 1.00x |`,
    `| psql: the same rows into rating and watched as a first load does (schema floor), median of ${runs} | PostgreSQL | ${int(rows)} | ${secs(median(floors))} | ${int(rows / median(floors))} | — | — | ${(copySeconds / median(floors)).toFixed(2)}x |`,
    ingestRow('ingest(), 1 run', 'PGlite', pglite, ` ${pglite.result ? (pglite.result.ratingRowsPerSecond / (rows / copySeconds)).toFixed(2) + 'x' : '—'} |`),
    '',
    `All PostgreSQL runs: ingest ${ours.map((r) => secs(r.result!.seconds)).join(', ')} s; \\copy ${copies.map(secs).join(', ')} s.`,
    `Schema floor runs: ${floors.map(secs).join(', ')} s (ratio of each to its \\copy: ${floors.map((f, i) => (copies[i]! / f).toFixed(2)).join(', ')}); ours against the floor of the same run: ${ours.map((r, i) => (floors[i]! / r.result!.seconds).toFixed(2)).join(', ')}.`,
    `Ratio of each run with the \\copy just before it: ${pairRatios.map((r) => r.toFixed(2)).join(', ')} (median ${median(pairRatios).toFixed(2)}x, spread ${Math.min(...pairRatios).toFixed(2)}–${Math.max(...pairRatios).toFixed(2)}).`,
    `**ratio = \\copy seconds / ingest seconds, each run against the \\copy just before it: median ${median(pairRatios).toFixed(2)}x** (goal ≥ 0.5x); the ratio of the two medians is ${ratio.toFixed(2)}x.`,
    '',
    `Where the median PostgreSQL run's time went: ${breakdown(medianRun.result!)}`,
    pglite.result ? `Where the PGlite run's time went: ${breakdown(pglite.result)}` : '',
  ];
}

async function syntheticBenchmark(rows: number, pgliteRows: number, pgliteTimeout: number, dir: string): Promise<string[]> {
  const animeIds = await readAnimeIds(ANIME);
  const generate = async (n: number) => {
    const file = join(dir, `synthetic_${n}.csv`);
    const started = performance.now();
    const { bytes } = await writeSyntheticRatings(file, { rows: n, animeIds });
    log(`generated ${int(n)} rows (${int(bytes / 1e6)} MB) in ${secs((performance.now() - started) / 1000)} s: ${file}`);
    return file;
  };
  const big = await generate(rows);

  log('PostgreSQL: sample ingest');
  const pgSample = await ingestOnPostgres(SAMPLE);
  log(`  ${summarize(pgSample)}`);
  log(`PostgreSQL: synthetic ${int(rows)} rows`);
  const pgBig = await ingestOnPostgres(big);
  log(`  ${summarize(pgBig)}`);
  log('PostgreSQL: psql \\copy of the synthetic file');
  const copySeconds = await withScratchDatabase((url) => copyCeiling(url, big));
  log(`  ${secs(copySeconds)} s`);

  log('PGlite: sample ingest');
  const liteSample = await ingestOnPglite(SAMPLE);
  log(`  ${summarize(liteSample)}`);
  const liteFile = pgliteRows === rows ? big : await generate(pgliteRows);
  log(`PGlite: synthetic ${int(pgliteRows)} rows (killed after ${pgliteTimeout} s)`);
  const liteBig = await ingestOnPglite(liteFile, pgliteTimeout);
  log(`  ${summarize(liteBig)}`);
  if (liteFile !== big) rmSync(liteFile, { force: true });

  const label = (n: number) => (n === KAGGLE_RATING_ROWS ? `synthetic, full size (${int(n)})` : `synthetic, **${int(n)} rows** (not full size)`);
  return [
    `### Synthetic full-size ratings file (seeded, Kaggle format) vs the sample`,
    '',
    INGEST_HEADER,
    INGEST_RULE,
    ingestRow('sample (520,609)', 'PostgreSQL', pgSample),
    ingestRow(label(rows), 'PostgreSQL', pgBig),
    `| psql \\copy of the synthetic file into bare table, 1 run | PostgreSQL | ${int(rows)} | ${secs(copySeconds)} | ${int(rows / copySeconds)} | — | — |`,
    ingestRow('sample (520,609)', 'PGlite', liteSample),
    ingestRow(label(pgliteRows), 'PGlite', liteBig),
    '',
    pgBig.result ? `PostgreSQL ingest / \\copy on the synthetic file: ${(copySeconds / pgBig.result.seconds).toFixed(2)}x.` : '',
    '',
    ...[
      ['PostgreSQL, sample', pgSample],
      ['PostgreSQL, synthetic', pgBig],
      ['PGlite, sample', liteSample],
      ['PGlite, synthetic', liteBig],
    ].flatMap(([label, run]) => ((run as ChildRun).result ? [`- ${label as string}: ${breakdown((run as ChildRun).result!)}`] : [])),
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      synthetic: { type: 'boolean', default: false },
      rows: { type: 'string', default: String(KAGGLE_RATING_ROWS) },
      'pglite-rows': { type: 'string' },
      runs: { type: 'string', default: '3' },
      'pglite-timeout-s': { type: 'string', default: '480' },
    },
  });
  const positive = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${value}"`);
    return n;
  };
  const rows = positive('rows', values.rows!);
  const pgliteRows = values['pglite-rows'] === undefined ? rows : positive('pglite-rows', values['pglite-rows']);
  const runs = positive('runs', values.runs!);
  const pgliteTimeout = positive('pglite-timeout-s', values['pglite-timeout-s']!);

  const machine = describeMachine([`${await serverVersion(BENCH_POSTGRES_URL)} on ${new URL(BENCH_POSTGRES_URL).host}`]);
  log(machine);
  const lines = await withTempDir('animerec-bench-', (dir) =>
    values.synthetic ? syntheticBenchmark(rows, pgliteRows, pgliteTimeout, dir) : sampleBenchmark(runs, dir),
  );
  process.stdout.write(
    [
      '',
      `## Ingestion (${new Date().toISOString().slice(0, 10)})`,
      '',
      `Machine: ${machine}`,
      '',
      ...lines,
      '',
      'Seconds: the ingest() call only (anime file + ratings file, one transaction), in a fresh child process on a fresh database.',
      'Rows/s: rating rows / those seconds (the 12,294 anime rows load in the same time but are not counted).',
      'Peak RSS: maxRSS of the whole child process; for PGlite it includes the WebAssembly PostgreSQL heap, for PostgreSQL it excludes the server.',
      'In parentheses: the peak already reached before ingest() (Node, modules, opening and migrating the database).',
      'RSS before ingest → max during it: RSS just before ingest(), then the largest RSS sampled every 20 ms during it (what the load itself holds).',
      '',
    ].join('\n'),
  );
}

runBenchmark(main);
