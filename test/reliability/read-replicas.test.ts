/**
 * Streaming read replicas (DATABASE_REPLICA_URLS) against a real primary and replica
 * (.ci/replica-cluster.sh starts the pair): lag-tolerant reads go round-robin to the replicas,
 * a replica whose replay is paused beyond the lag bound is skipped, and one that goes away
 * mid-test (a TCP proxy in front of it closes) costs no failed read: the primary answers, and
 * the replica takes reads again when it is back.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import type { Database } from '../../src/db/database';
import { openPostgresDatabase } from '../../src/db/postgres';

const PRIMARY_URL = process.env.TEST_REPLICA_PRIMARY_URL || undefined;
const REPLICA_URL = process.env.TEST_REPLICA_URL || undefined;
const MAX_LAG_MS = 400;

const describeReplicas = PRIMARY_URL && REPLICA_URL ? describe : describe.skip;
if (!PRIMARY_URL || !REPLICA_URL) {
  describe.skip('read replicas [skipped: TEST_REPLICA_PRIMARY_URL and TEST_REPLICA_URL are unset; .ci/replica-cluster.sh start sets up both]', () => it('runs on a primary and its replica', () => undefined));
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A TCP proxy to `target` on a free port that can be shut (cutting its connections) and reopened. */
async function proxyTo(target: URL) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const open = (port: number) =>
    new Promise<number>((done) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port), target.hostname);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => done((server!.address() as { port: number }).port));
    });
  const port = await open(0);
  const url = new URL(target);
  url.port = String(port);
  return {
    url: url.toString(),
    async shut() {
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => server!.close(done));
    },
    reopen: () => open(port),
  };
}

describeReplicas('read replicas', () => {
  let db: Database;
  let direct: pg.Client;
  let proxy: Awaited<ReturnType<typeof proxyTo>>;
  const table = `replica_probe_${process.pid}`;
  const isReplica = async () => (await db.forReads().query<{ replica: boolean }>('SELECT pg_is_in_recovery() AS replica')).rows[0]!.replica;

  beforeAll(async () => {
    proxy = await proxyTo(new URL(REPLICA_URL!));
    db = await openPostgresDatabase(PRIMARY_URL!, { replicas: { urls: [REPLICA_URL!, proxy.url], maxLagMs: MAX_LAG_MS } });
    direct = new pg.Client({ connectionString: REPLICA_URL });
    await direct.connect();
    await db.exec(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (n int)`);
  });
  afterAll(async () => {
    await direct?.query('SELECT pg_wal_replay_resume()').catch(() => undefined);
    await direct?.end();
    await db?.exec(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await db?.close();
    await proxy?.shut().catch(() => undefined);
  });

  it('sends lag-tolerant reads to the replicas, round-robin, and they see the primary\'s writes', async () => {
    await until(() => db.replicaStates().every((state) => state.healthy));
    expect(db.replicaStates()).toHaveLength(2);
    const readers = [db.forReads(), db.forReads(), db.forReads()];
    expect(readers[0]).not.toBe(db);
    for (const reader of readers) expect((await reader.query<{ replica: boolean }>('SELECT pg_is_in_recovery() AS replica')).rows[0]!.replica).toBe(true);
    await db.query(`INSERT INTO ${table} VALUES (1)`);
    // Within the lag bound a replica may not have replayed the table yet: "not yet", not a failure.
    await until(async () => (await db.forReads().query(`SELECT 1 FROM ${table} WHERE n = 1`).catch(() => ({ rowCount: 0 }))).rowCount === 1);
    // Prisma reads take the same route.
    expect(await db.forReads().prisma().$queryRawUnsafe<{ replica: boolean }[]>('SELECT pg_is_in_recovery() AS replica')).toEqual([{ replica: true }]);
  });

  it('skips a replica lagging beyond the bound, and takes it back once it catches up', async () => {
    await direct.query('SELECT pg_wal_replay_pause()');
    // The primary moves on; the paused replica (both entries: the proxy leads to it too) falls behind.
    for (let i = 0; i < 5; i++) await db.query(`INSERT INTO ${table} VALUES ($1)`, [100 + i]);
    await until(() => db.replicaStates().every((state) => !state.healthy));
    expect(db.replicaStates().every((state) => state.lagMs === null || state.lagMs > MAX_LAG_MS)).toBe(true);
    expect(await isReplica()).toBe(false);
    expect((await db.forReads().query(`SELECT 1 FROM ${table} WHERE n = 104`)).rowCount).toBe(1);
    await direct.query('SELECT pg_wal_replay_resume()');
    await until(() => db.replicaStates().every((state) => state.healthy));
    expect(await isReplica()).toBe(true);
  });

  it('a replica that goes away mid-test fails no read: the primary answers until it is back', async () => {
    await until(() => db.replicaStates().every((state) => state.healthy));
    await proxy.shut();
    // Reads right away: whichever lands on the vanished replica is answered by the primary.
    for (let i = 0; i < 6; i++) expect((await db.forReads().query(`SELECT count(*) AS n FROM ${table}`)).rows).toHaveLength(1);
    await until(() => db.replicaStates().filter((state) => state.healthy).length === 1);
    expect(db.replicaStates().find((state) => state.location.includes(new URL(proxy.url).port))!.healthy).toBe(false);
    await proxy.reopen();
    await until(() => db.replicaStates().every((state) => state.healthy));
  });
});
