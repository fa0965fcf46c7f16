/**
 * npm run faults:pg-restart [-- --clients N] [--outage-s S] [--kind mf] [--epochs N] [--out FILE]
 *
 * PostgreSQL stopped and started again under load, on a private throwaway cluster (initdb in a
 * temp folder, its own port; never the shared server):
 * 1. the cluster gets the demo data and a trained model through a server (src/main.ts, its own
 *    process) on it; 40 API users are created;
 * 2. --clients (default 20) clients send requests one at a time: similarAnime, recommendations
 *    and rateAnime (each user belongs to one client; a write answered "retryable" is retried,
 *    after Retry-After, until acknowledged, as a client is told to do);
 * 3. after 10 s of load the cluster is stopped (`pg_ctl stop -m fast`: every connection is cut),
 *    kept down --outage-s (default 5), and started again; the load goes on 15 s more;
 * 4. checked: every answer during the outage is either a success or SERVICE_UNAVAILABLE with
 *    `retryable: true` (HTTP 503), none takes longer than MAX_ANSWER_MS (no hang), no other 5xx;
 *    the server process never dies; after the restart each operation succeeds again within
 *    seconds (measured: from `pg_ctl start` returning to the first success); and after the run
 *    every acknowledged rating is in the database with its last acknowledged value.
 * Exits 1 when any of that fails. Markdown report to stdout (and --out).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { messageOf } from '../src/errors';
import { gql } from '../test/helpers/graphql';
import type { ServerProcess } from '../test/helpers/processes';
import { onCleanUp, runBenchmark } from './lifecycle';
import { startPrivatePostgres, type PrivatePostgres } from './load-private-postgres';
import { createUsers, servedIds, startTrainedServer } from './load-server';
import { describeMachine } from './machine';

const LOAD_BEFORE_S = 10;
const LOAD_AFTER_S = 15;
const USERS = 40;
/** An answer slower than this during the outage counts as a hang. */
const MAX_ANSWER_MS = 5000;
/** Recovery slower than this (after the database is back) fails the run. */
const MAX_RECOVERY_S = 10;
type Op = 'similarAnime' | 'recommendations' | 'rateAnime' | 'healthz';
const OPS: Op[] = ['similarAnime', 'recommendations', 'rateAnime', 'healthz'];

function log(message: string): void {
  process.stderr.write(`[faults:pg-restart] ${message}\n`);
}

interface Answer {
  op: Op;
  at: number;
  ms: number;
  /** 'ok', 'SERVICE_UNAVAILABLE' (retryable, 503), or what else came back. */
  outcome: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { clients: { type: 'string', default: '20' }, 'outage-s': { type: 'string', default: '5' }, kind: { type: 'string', default: 'mf' }, epochs: { type: 'string', default: '3' }, out: { type: 'string' } } });
  const clients = Number(values.clients);
  const outageS = Number(values['outage-s']);
  log('starting a private PostgreSQL cluster');
  const cluster: PrivatePostgres = await startPrivatePostgres();
  onCleanUp(() => cluster.destroy());
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE animerec');
  await admin.end();
  const url = cluster.adminUrl.replace(/\/postgres$/, '/animerec');
  const db = { env: { DATABASE_URL: url }, label: 'private PostgreSQL', drop: async () => undefined };
  let server: ServerProcess | undefined;
  onCleanUp(() => server?.stop());
  log(`demo data and a ${values.kind} model on ${url} (minutes)`);
  server = await startTrainedServer(db, values.kind!, Number(values.epochs));
  let serverDied: string | null = null;
  void server.exited.then((how) => (serverDied = String(how)));
  const ids = await servedIds(server.url, 200, 500);
  const users = await createUsers(server.url, USERS, 'restart');

  const answers: Answer[] = [];
  const acknowledged = new Map<string, number>();
  let retriedWrites = 0;
  let stopping = false;
  const t0 = performance.now();
  const now = () => performance.now() - t0;

  async function send(op: Op, body: () => Promise<{ status: number; body: any }>): Promise<Answer> {
    const at = now();
    let outcome: string;
    let retryAfterS = 1;
    try {
      const answer = await body();
      const error = answer.body?.errors?.[0];
      if (op === 'healthz') outcome = answer.status === 200 ? 'ok' : `HTTP ${answer.status}`;
      else if (answer.status === 200 && !error) outcome = 'ok';
      else if (answer.status === 503 && error?.extensions?.code === 'SERVICE_UNAVAILABLE' && error.extensions.retryable === true) {
        outcome = 'SERVICE_UNAVAILABLE';
        retryAfterS = Number(error.extensions.retryAfterSeconds ?? 1);
      } else outcome = `HTTP ${answer.status} ${error?.extensions?.code ?? ''}`.trim();
    } catch (error) {
      outcome = `no answer: ${messageOf(error)}`;
    }
    const answer = { op, at, ms: now() - at, outcome };
    answers.push(answer);
    if (outcome !== 'ok') await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfterS, 1) * 1000));
    return answer;
  }

  const worker = async (index: number) => {
    const mine = users.filter((_, i) => i % clients === index);
    let n = index;
    while (!stopping) {
      n++;
      const kind = n % 5;
      if (kind === 0 || kind === 1) {
        const animeId = ids.anime[n % ids.anime.length]!;
        await send('similarAnime', () => gql(server!.url, `{ similarAnime(animeId: ${animeId}, k: 10) { anime { id } } }`, undefined, undefined, 30_000));
      } else if (kind === 2) {
        const userId = ids.users[n % ids.users.length]!;
        await send('recommendations', () => gql(server!.url, `{ recommendations(userId: ${userId}, k: 10) { anime { id } } }`, undefined, undefined, 30_000));
      } else if (mine.length > 0) {
        const user = mine[n % mine.length]!;
        const animeId = ids.anime[(n * 7) % ids.anime.length]!;
        const rating = 1 + (n % 10);
        // Retried until acknowledged, as the retryable error tells a client to do.
        for (let attempt = 0; ; attempt++) {
          const answer = await send('rateAnime', () => gql(server!.url, `mutation { rateAnime(input: { animeId: ${animeId}, rating: ${rating} }) { rating { rating } } }`, undefined, user.token, 30_000));
          if (answer.outcome === 'ok') {
            acknowledged.set(`${user.id}:${animeId}`, rating);
            break;
          }
          retriedWrites++;
          if (stopping && attempt > 30) break;
        }
      }
    }
  };
  const health = async () => {
    while (!stopping) {
      await send('healthz', async () => {
        const response = await fetch(`${server!.url}/healthz`, { signal: AbortSignal.timeout(30_000) });
        return { status: response.status, body: await response.text() };
      });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  log(`${clients} clients: ${LOAD_BEFORE_S} s of load, then PostgreSQL down for ${outageS} s, then ${LOAD_AFTER_S} s more`);
  const load = Promise.all([...Array.from({ length: clients }, (_, i) => worker(i)), health()]);
  await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_S * 1000));
  const downAt = now();
  cluster.stop('fast');
  const stoppedAt = now();
  log(`PostgreSQL stopped (${Math.round(stoppedAt - downAt)} ms); down for ${outageS} s`);
  await new Promise((resolve) => setTimeout(resolve, outageS * 1000));
  const startAt = now();
  cluster.start();
  const upAt = now();
  log(`PostgreSQL started again (${Math.round(upAt - startAt)} ms)`);
  await new Promise((resolve) => setTimeout(resolve, LOAD_AFTER_S * 1000));
  stopping = true;
  await load;
  const serverAlive = serverDied === null;
  await server.stop(30_000);
  server = undefined;

  // Every acknowledged write, read back from the database directly.
  const check = new pg.Client({ connectionString: url });
  await check.connect();
  const { rows } = await check.query<{ user_id: number; anime_id: number; rating: number }>('SELECT user_id, anime_id, rating FROM rating WHERE user_id = ANY($1::int[])', [users.map((u) => u.id)]);
  await check.end();
  const stored = new Map(rows.map((row) => [`${row.user_id}:${row.anime_id}`, row.rating]));
  let lost = 0;
  let wrong = 0;
  for (const [key, rating] of acknowledged) {
    if (!stored.has(key)) lost++;
    else if (stored.get(key) !== rating) wrong++;
  }

  // Figures.
  const during = answers.filter((a) => a.at + a.ms >= downAt && a.at <= upAt);
  const firstOkAfter = (op: Op) => {
    const ok = answers.filter((a) => a.op === op && a.outcome === 'ok' && a.at >= upAt).sort((a, b) => a.at + a.ms - (b.at + b.ms))[0];
    return ok ? (ok.at + ok.ms - upAt) / 1000 : Infinity;
  };
  const other = answers.filter((a) => a.outcome !== 'ok' && a.outcome !== 'SERVICE_UNAVAILABLE' && !(a.op === 'healthz' && a.outcome === 'HTTP 503'));
  const slowest = during.reduce((max, a) => Math.max(max, a.ms), 0);
  const lines = [
    `## PostgreSQL restarted under load`,
    '',
    `Machine: ${describeMachine()} (shared while measured). ${clients} clients; PostgreSQL (private cluster) stopped with \`pg_ctl stop -m fast\` after ${LOAD_BEFORE_S} s, down ${outageS} s, started again; ${LOAD_AFTER_S} s more load. Model: ${values.kind}.`,
    '',
    '| operation | answers | ok | SERVICE_UNAVAILABLE (503, retryable) | other errors | during the outage: ok / 503 | slowest answer during the outage ms | first success after restart s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const op of OPS) {
    const mine = answers.filter((a) => a.op === op);
    const inOutage = during.filter((a) => a.op === op);
    const unavailable = (a: Answer) => a.outcome === 'SERVICE_UNAVAILABLE' || (op === 'healthz' && a.outcome === 'HTTP 503');
    lines.push(
      `| \`${op}\` | ${mine.length} | ${mine.filter((a) => a.outcome === 'ok').length} | ${mine.filter(unavailable).length} | ${mine.filter((a) => a.outcome !== 'ok' && !unavailable(a)).length} | ${inOutage.filter((a) => a.outcome === 'ok').length} / ${inOutage.filter(unavailable).length} | ${Math.round(inOutage.reduce((m, a) => Math.max(m, a.ms), 0))} | ${firstOkAfter(op).toFixed(2)} |`,
    );
  }
  const recovery = Math.max(...(['similarAnime', 'recommendations', 'rateAnime', 'healthz'] as Op[]).map(firstOkAfter));
  lines.push(
    '',
    `- Server process alive throughout: **${serverAlive ? 'yes' : `no (${serverDied})`}**.`,
    `- Slowest answer while PostgreSQL was down: ${Math.round(slowest)} ms (hang threshold ${MAX_ANSWER_MS} ms).`,
    `- Recovery: every operation succeeded again ${recovery.toFixed(2)} s after PostgreSQL was back (limit ${MAX_RECOVERY_S} s).`,
    `- Writes: ${acknowledged.size} (user, anime) pairs acknowledged, ${retriedWrites} write attempts answered retryable and retried; **lost: ${lost}**, wrong value: ${wrong}.`,
    `- Answers other than success or the retryable 503: ${other.length}${other.length ? ` (first: ${other[0]!.op} ${other[0]!.outcome})` : ''}.`,
  );
  const markdown = `${lines.join('\n')}\n`;
  process.stdout.write(markdown);
  if (values.out) writeFileSync(values.out, markdown);
  const ok = serverAlive && slowest <= MAX_ANSWER_MS && recovery <= MAX_RECOVERY_S && lost === 0 && wrong === 0 && other.length === 0 && during.some((a) => a.outcome === 'SERVICE_UNAVAILABLE');
  if (!ok) {
    log('FAILED (see the report)');
    process.exitCode = 1;
  }
}

runBenchmark(main);
