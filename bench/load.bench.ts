/**
 * npm run bench:load [-- --db embedded,postgres] [--servers N] [--duration S] [--connections N] [--users N]
 *                    [--kind retrieval|hybrid|mf|...] [--epochs N] [--out FILE]
 *
 * Mixed load against a running server, then an audit of every write. For each database (the
 * embedded default and PostgreSQL at BENCH_POSTGRES_URL / TEST_POSTGRES_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres):
 * 1. a fresh database with the demo data and a trained model (--kind, default the kind `npm
 *    start` serves, retrieval: two-stage recommendations; hybrid scores every item instead;
 *    --epochs, default 5: serving cost does not depend on them), served by src/main.ts in its
 *    own process, rate limits off;
 * 2. --users (default 500) API users created through the API, and each signed in once on every
 *    server before the timed run (a server's first check of a token is a scrypt hash);
 *    With --servers N (PostgreSQL only; default 1), N-1 more servers start on the same database,
 *    as behind a balancer, and the clients are spread evenly over all N;
 * 3. --connections (default 50) concurrent clients for --duration s (default 60), one request
 *    at a time each, mixing 45% similarAnime(k: 10), 35% recommendations(k: 10) and 20%
 *    rateAnime by the users (each user belongs to one client, so "the last acknowledged value"
 *    of a (user, anime) pair is well defined); every answer is checked;
 * 4. the server stopped, the database opened directly: every acknowledged rating must be there
 *    exactly once with its last acknowledged value (a request still in flight when the run
 *    ended may have landed too: either value is accepted for its pair), and no other.
 * Exits 1 on any 5xx, lost or wrong write. The markdown report goes to stdout (and --out).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { openDatabase } from '../src/db/open';
import { openPostgresDatabase } from '../src/db/postgres';
import type { ServerProcess } from '../test/helpers/processes';
import { onCleanUp, runBenchmark } from './lifecycle';
import { createBenchDatabase, createUsers, log, servedIds, signInEverywhere, startAnotherServer, startTrainedServer, type DatabaseChoice } from './load-server';
import { describeMachine } from './machine';
import { SERVED_KIND } from './api-server';
import { percentile } from './stats';
import { BENCH_POSTGRES_URL } from './postgres';
import { mulberry32 } from '../src/trainer/random';

const K = 10;
const POPULAR = 100;
const RATED_POOL = 1000;
const DEMO_USERS_PROBED = 2000;
const MIX = { similarAnime: 0.45, recommendations: 0.35, rateAnime: 0.2 } as const;
type Op = keyof typeof MIX;
const OPS = Object.keys(MIX) as Op[];
const REQUEST_TIMEOUT_S = 30;

interface Options {
  dbs: DatabaseChoice[];
  /** Servers sharing the database (PostgreSQL), the clients spread over them. */
  servers: number;
  duration: number;
  connections: number;
  users: number;
  kind: string;
  epochs: number;
  out: string | undefined;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      db: { type: 'string', default: 'embedded,postgres' },
      servers: { type: 'string', default: '1' },
      duration: { type: 'string', default: '60' },
      connections: { type: 'string', default: '50' },
      users: { type: 'string', default: '500' },
      kind: { type: 'string', default: SERVED_KIND },
      epochs: { type: 'string', default: '5' },
      out: { type: 'string' },
    },
  });
  const positive = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a whole number > 0, got "${value}"`);
    return n;
  };
  const dbs = values.db!.split(',').map((d) => d.trim());
  for (const db of dbs) if (db !== 'embedded' && db !== 'postgres') throw new Error(`--db: unknown database "${db}" (embedded, postgres)`);
  const servers = positive('servers', values.servers!);
  // One process owns an embedded data directory.
  if (servers > 1 && dbs.includes('embedded')) throw new Error('--servers above 1 needs --db postgres: one process owns an embedded database');
  return {
    dbs: dbs as DatabaseChoice[],
    servers,
    duration: positive('duration', values.duration!),
    connections: positive('connections', values.connections!),
    users: positive('users', values.users!),
    kind: values.kind!,
    epochs: positive('epochs', values.epochs!),
    out: values.out,
  };
}



// ---- one run ----

interface Sent {
  op: Op;
  sentAt: number;
  key?: string;
  rating?: number;
  check(data: any): string | null;
}

interface Connection {
  index: number;
  random: () => number;
  users: { id: number; token: string }[];
  pending: Sent | null;
}

interface Tally {
  responses: number;
  latencies: number[];
  status5xx: number;
  otherNon2xx: number;
  graphqlErrors: Map<string, number>;
  wrong: number;
}

interface RunResult {
  seconds: number;
  perOp: Record<Op, Tally>;
  timeouts: number;
  connectionErrors: number;
  firstProblem: string | null;
  acknowledged: Map<string, number>;
  /** Writes never answered (timed out, or in flight when the run ended): key → values sent. */
  unanswered: Map<string, Set<number>>;
  /** autocannon's own latency figures, one per server. */
  autocannonP50: number[];
  autocannonP99: number[];
}

const QUERIES: Record<Op, string> = {
  similarAnime: `query ($animeId: Int!) { similarAnime(animeId: $animeId, k: ${K}) { anime { id name } similarity } }`,
  recommendations: `query ($userId: Int!) { recommendations(userId: $userId, k: ${K}) { anime { id } predictedRating } }`,
  rateAnime: 'mutation ($animeId: Int!, $rating: Int!) { rateAnime(input: { animeId: $animeId, rating: $rating }) { rating { userId animeId rating } } }',
};

async function runLoad(urls: string[], options: Options, pools: { anime: number[]; users: number[]; apiUsers: { id: number; token: string }[] }): Promise<RunResult> {
  const perOp = Object.fromEntries(OPS.map((op): [Op, Tally] => [op, { responses: 0, latencies: [], status5xx: 0, otherNon2xx: 0, graphqlErrors: new Map(), wrong: 0 }])) as Record<Op, Tally>;
  const acknowledged = new Map<string, number>();
  const unanswered = new Map<string, Set<number>>();
  const unanswer = (sent: Sent) => unanswered.set(sent.key!, (unanswered.get(sent.key!) ?? new Set()).add(sent.rating!));
  const connections: Connection[] = [];
  let firstProblem: string | null = null;
  const problem = (text: string) => (firstProblem ??= text.slice(0, 400));
  const popular = pools.anime.slice(0, POPULAR);
  const rated = pools.anime.slice(0, RATED_POOL);

  const nextRequest = (c: Connection): { body: string; token?: string; sent: Sent } => {
    const r = c.random();
    const op: Op = r < MIX.similarAnime ? 'similarAnime' : r < MIX.similarAnime + MIX.recommendations ? 'recommendations' : 'rateAnime';
    const pick = <T>(items: T[]) => items[Math.floor(c.random() * items.length)]!;
    if (op === 'similarAnime') {
      const animeId = pick(popular);
      return {
        body: JSON.stringify({ query: QUERIES.similarAnime, variables: { animeId } }),
        sent: { op, sentAt: 0, check: (d) => (Array.isArray(d?.similarAnime) && d.similarAnime.length === K && d.similarAnime.every((s: any) => s.anime.id !== animeId) ? null : 'similarAnime: wrong list') },
      };
    }
    if (op === 'recommendations') {
      const userId = pick(pools.users);
      return {
        body: JSON.stringify({ query: QUERIES.recommendations, variables: { userId } }),
        sent: { op, sentAt: 0, check: (d) => (Array.isArray(d?.recommendations) && d.recommendations.length === K ? null : 'recommendations: wrong list') },
      };
    }
    const user = pick(c.users);
    const animeId = pick(rated);
    const rating = 1 + Math.floor(c.random() * 10);
    return {
      body: JSON.stringify({ query: QUERIES.rateAnime, variables: { animeId, rating } }),
      token: user.token,
      sent: {
        op,
        sentAt: 0,
        key: `${user.id}:${animeId}`,
        rating,
        check: (d) => (d?.rateAnime?.rating?.userId === user.id && d.rateAnime.rating.animeId === animeId && d.rateAnime.rating.rating === rating ? null : `rateAnime answered ${JSON.stringify(d)}`),
      },
    };
  };

  const request: autocannon.Request = {
    method: 'POST',
    path: '/graphql',
    setupRequest: (base, context) => {
      const state = context as { connection?: Connection };
      if (!state.connection) {
        const index = connections.length;
        const connection: Connection = { index, random: mulberry32(1000 + index), users: pools.apiUsers.filter((_, i) => i % options.connections === index), pending: null };
        if (connection.users.length === 0) connection.users = [pools.apiUsers[index % pools.apiUsers.length]!];
        connections.push(connection);
        state.connection = connection;
      }
      const c = state.connection;
      // A request still pending here timed out (autocannon moved on): its write may land later.
      if (c.pending?.op === 'rateAnime') unanswer(c.pending);
      const { body, token, sent } = nextRequest(c);
      sent.sentAt = performance.now();
      c.pending = sent;
      const headers: Record<string, string> = { ...(base.headers as Record<string, string>), 'content-type': 'application/json' };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      return { ...base, headers, body };
    },
    onResponse: (status, body, context) => {
      const c = (context as { connection?: Connection }).connection;
      const sent = c?.pending;
      if (!c || !sent) return;
      c.pending = null;
      const tally = perOp[sent.op];
      tally.responses++;
      tally.latencies.push(performance.now() - sent.sentAt);
      if (status >= 500) {
        tally.status5xx++;
        problem(`HTTP ${status}: ${body}`);
        return;
      }
      if (status < 200 || status > 299) {
        tally.otherNon2xx++;
        problem(`HTTP ${status}: ${body}`);
        return;
      }
      let parsed: any;
      try {
        parsed = JSON.parse(body);
      } catch {
        tally.wrong++;
        problem(`not JSON: ${body}`);
        return;
      }
      if (parsed.errors?.length) {
        const code = String(parsed.errors[0]?.extensions?.code ?? 'none');
        tally.graphqlErrors.set(code, (tally.graphqlErrors.get(code) ?? 0) + 1);
        problem(body);
        return;
      }
      const wrong = sent.check(parsed.data);
      if (wrong) {
        tally.wrong++;
        problem(wrong);
        return;
      }
      if (sent.op === 'rateAnime') acknowledged.set(sent.key!, sent.rating!);
    },
  };

  // One autocannon per server, the clients shared out evenly; they all draw on the same connection list.
  const results = await Promise.all(
    urls.map(
      (url, server) =>
        new Promise<autocannon.Result>((resolveRun, reject) => {
          const share = Math.floor(options.connections / urls.length) + (server < options.connections % urls.length ? 1 : 0);
          autocannon(
            { url: `${url}/graphql`, connections: share, duration: options.duration, pipelining: 1, timeout: REQUEST_TIMEOUT_S, requests: [request] },
            (error: unknown, done: autocannon.Result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolveRun(done)),
          );
        }),
    ),
  );
  for (const c of connections) if (c.pending?.op === 'rateAnime') unanswer(c.pending);
  const timeouts = results.reduce((sum, result) => sum + result.timeouts, 0);
  return {
    seconds: Math.max(...results.map((result) => result.duration)),
    perOp,
    timeouts,
    connectionErrors: Math.max(0, results.reduce((sum, result) => sum + result.errors, 0) - timeouts),
    firstProblem,
    acknowledged,
    unanswered,
    autocannonP50: results.map((result) => result.latency.p50),
    autocannonP99: results.map((result) => result.latency.p99),
  };
}

// ---- the audit of writes ----

interface Audit {
  acknowledged: number;
  found: number;
  duplicates: number;
  wrongValue: number;
  lost: number;
  unexpected: number;
  inFlightLanded: number;
}

async function auditWrites(choice: DatabaseChoice, env: Record<string, string>, userIds: number[], run: RunResult): Promise<Audit> {
  const db = choice === 'embedded' ? await openDatabase({ dataDir: env.DATA_DIR! }) : await openPostgresDatabase(env.DATABASE_URL!);
  try {
    const { rows } = await db.query<{ user_id: number; anime_id: number; rating: number; n: number }>(
      'SELECT user_id, anime_id, min(rating) AS rating, count(*) AS n FROM rating WHERE user_id = ANY($1::int[]) GROUP BY user_id, anime_id',
      [userIds],
    );
    const stored = new Map(rows.map((row) => [`${row.user_id}:${row.anime_id}`, row]));
    const audit: Audit = { acknowledged: run.acknowledged.size, found: 0, duplicates: 0, wrongValue: 0, lost: 0, unexpected: 0, inFlightLanded: 0 };
    for (const [key, rating] of run.acknowledged) {
      const row = stored.get(key);
      if (!row) {
        audit.lost++;
        continue;
      }
      audit.found++;
      if (row.n !== 1) audit.duplicates++;
      const unanswered = run.unanswered.get(key);
      if (row.rating !== rating && !unanswered?.has(row.rating)) audit.wrongValue++;
      else if (row.rating !== rating) audit.inFlightLanded++;
    }
    for (const [key, row] of stored) {
      if (run.acknowledged.has(key)) continue;
      if (run.unanswered.get(key)?.has(row.rating)) audit.inFlightLanded++;
      else audit.unexpected++;
    }
    return audit;
  } finally {
    await db.close();
  }
}

// ---- report ----

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (!Number.isFinite(n) ? '—' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : int(n));

function report(label: string, run: RunResult, audit: Audit, setup: string): string {
  const lines = [`### ${label}`, '', setup, '', '| operation | responses | req/s | p50 ms | p99 ms | 5xx | other non-2xx | GraphQL errors | wrong answers |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
  let total = 0;
  const all: number[] = [];
  for (const op of OPS) {
    const t = run.perOp[op];
    total += t.responses;
    all.push(...t.latencies);
    const sorted = Float64Array.from(t.latencies).sort();
    const errors = [...t.graphqlErrors].map(([code, n]) => `${n} ${code}`).join(', ') || '0';
    lines.push(`| \`${op}\` | ${int(t.responses)} | ${int(t.responses / run.seconds)} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 99))} | ${t.status5xx} | ${t.otherNon2xx} | ${errors} | ${t.wrong} |`);
  }
  const sortedAll = Float64Array.from(all).sort();
  lines.push(`| **all** | ${int(total)} | **${int(total / run.seconds)}** | ${ms(percentile(sortedAll, 50))} | ${ms(percentile(sortedAll, 99))} | ${OPS.reduce((n, op) => n + run.perOp[op].status5xx, 0)} | | | |`);
  lines.push('', `Timeouts (${REQUEST_TIMEOUT_S} s): ${run.timeouts}; connection errors: ${run.connectionErrors}. autocannon's own latency${run.autocannonP50.length > 1 ? ' per server' : ''}: p50 ${run.autocannonP50.join(', ')} ms, p99 ${run.autocannonP99.join(', ')} ms.`);
  lines.push(
    '',
    `Writes: ${int(audit.acknowledged)} (user, anime) pairs acknowledged; found in the database ${int(audit.found)}, exactly once: ${audit.duplicates === 0 ? 'all' : `${audit.duplicates} duplicated`}; with the last acknowledged value: ${int(audit.found - audit.wrongValue - audit.inFlightLanded)} (+${audit.inFlightLanded} overwritten by a later write that timed out or was in flight when the run ended, whose value then landed); **lost: ${audit.lost}**, wrong value: ${audit.wrongValue}, rows never sent: ${audit.unexpected}.`,
  );
  if (run.firstProblem) lines.push('', `First problem: \`${run.firstProblem.replace(/`/g, "'")}\``);
  return lines.join('\n');
}

function failed(run: RunResult, audit: Audit): boolean {
  return OPS.some((op) => run.perOp[op].status5xx > 0 || run.perOp[op].wrong > 0) || audit.lost > 0 || audit.wrongValue > 0 || audit.duplicates > 0 || audit.unexpected > 0;
}

async function benchOne(choice: DatabaseChoice, options: Options): Promise<{ text: string; failed: boolean }> {
  log(`${choice}: preparing a fresh database with the demo data and a ${options.kind} model`);
  const db = await createBenchDatabase(choice, BENCH_POSTGRES_URL);
  const undoDrop = onCleanUp(() => db.drop());
  let server: ServerProcess | undefined;
  const others: ServerProcess[] = [];
  const undoStop = onCleanUp(() => Promise.all([server, ...others].map((s) => s?.stop())));
  try {
    const prepared = performance.now();
    server = await startTrainedServer(db, options.kind, options.epochs);
    for (let n = 1; n < options.servers; n++) others.push(await startAnotherServer(db));
    const ids = await servedIds(server.url, RATED_POOL, DEMO_USERS_PROBED);
    log(`${choice}: ${ids.anime.length} anime and ${ids.users.length} demo users with embeddings; creating ${options.users} API users`);
    const apiUsers = await createUsers(server.url, options.users, `load ${choice}`);
    const urls = [server.url, ...others.map((other) => other.url)];
    await signInEverywhere(urls, apiUsers);
    const setupSeconds = (performance.now() - prepared) / 1000;
    log(`${choice}: ${options.connections} clients for ${options.duration} s (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
    const run = await runLoad(urls, options, { ...ids, apiUsers });
    const healths = await Promise.all([server, ...others].map((s) => fetch(`${s.url}/healthz`).then((r) => r.status, () => 0)));
    const health = healths.find((status) => status !== 200) ?? 200;
    await Promise.all([server, ...others].map((s) => s.stop(30_000)));
    server = undefined;
    others.length = 0;
    const audit = await auditWrites(choice, db.env, apiUsers.map((u) => u.id), run);
    const setup = `${options.servers > 1 ? `${options.servers} servers on the database, the clients spread over them; ` : ''}${options.connections} clients, ${options.duration} s, ${options.users} API users writing; model ${options.kind} (${options.epochs} epochs) trained on the demo data (set-up ${Math.round(setupSeconds)} s). /healthz after the run: ${health}. Load average before: ${loadavg().map((l) => l.toFixed(1)).join(' ')}.`;
    return { text: report(db.label, run, audit, setup), failed: failed(run, audit) || health !== 200 };
  } finally {
    await Promise.all([server, ...others].map((s) => s?.stop()));
    undoStop();
    await db.drop();
    undoDrop();
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  const sections = [`## Load: ${options.connections} clients × ${options.duration} s, reads and writes mixed`, '', `Machine: ${describeMachine()} (shared with other work while measured).`, '', `Mix: ${OPS.map((op) => `${Math.round(MIX[op] * 100)}% \`${op}\``).join(', ')}.`];
  let anyFailed = false;
  for (const choice of options.dbs) {
    const { text, failed: bad } = await benchOne(choice, options);
    anyFailed ||= bad;
    sections.push('', text);
    process.stderr.write(`${text}\n`);
  }
  const markdown = `${sections.join('\n')}\n`;
  process.stdout.write(markdown);
  if (options.out) writeFileSync(options.out, markdown);
  if (anyFailed) {
    log('FAILED: 5xx answers, wrong answers or lost/wrong writes (see the report)');
    process.exitCode = 1;
  }
}

runBenchmark(main);
