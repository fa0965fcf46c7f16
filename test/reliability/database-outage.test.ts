/**
 * A lost PostgreSQL connection becomes ServiceUnavailableError (SERVICE_UNAVAILABLE, retryable)
 * and the pool recovers by itself: connections are terminated server-side with
 * pg_terminate_backend (what a restart does to them: SQLSTATE 57P01), on a test database of the
 * shared server, which itself is never restarted. A refused connection (nothing listening)
 * fails fast with the same error. A TCP proxy in front of the server plays a server that goes
 * away and comes back. The full restart under load is bench/faults-pg-restart.ts.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import type { Database } from '../../src/db/database';
import { FAIL_FAST_MS, openPostgresDatabase } from '../../src/db/postgres';
import { ServiceUnavailableError } from '../../src/errors';
import { createPostgresTestDatabase, TEST_POSTGRES_URL } from '../helpers/databases';

const describePostgres = TEST_POSTGRES_URL ? describe : describe.skip;
if (!TEST_POSTGRES_URL) describe.skip('database outage [postgres: skipped, TEST_POSTGRES_URL is unset]', () => it('runs on PostgreSQL', () => undefined));

describePostgres('database outage [postgres]', () => {
  let created: { url: string; drop(): Promise<void> };
  let db: Database;
  let admin: pg.Client;
  beforeAll(async () => {
    created = await createPostgresTestDatabase(TEST_POSTGRES_URL!);
    db = await openPostgresDatabase(created.url);
    admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await db?.close();
    await admin?.end();
    await created?.drop();
  });

  const terminateAll = () =>
    admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [new URL(created.url).pathname.slice(1)]);

  async function whenRunning(sql: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const { rows } = await admin.query('SELECT 1 FROM pg_stat_activity WHERE query = $1 AND state = $2', [sql, 'active']);
      if (rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`${sql} never ran`);
  }

  it('a query cut off by a terminated connection fails with SERVICE_UNAVAILABLE; the next one succeeds', async () => {
    const sleeping = db.query('SELECT pg_sleep(10)');
    await whenRunning('SELECT pg_sleep(10)');
    await terminateAll();
    const error = await sleeping.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 });
    expect((await db.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('a transaction cut off mid-way fails with SERVICE_UNAVAILABLE and leaves nothing; the pool recovers', async () => {
    await db.exec('CREATE TABLE outage_probe (n int PRIMARY KEY)');
    const tx = db.transaction(async (q) => {
      await q.query('INSERT INTO outage_probe VALUES (1)');
      await q.query('SELECT pg_sleep(10)');
    });
    await whenRunning('SELECT pg_sleep(10)');
    await terminateAll();
    await expect(tx).rejects.toBeInstanceOf(ServiceUnavailableError);
    // Idle pooled connections were cut too: the next statements must still work.
    for (let i = 0; i < 12; i++) await db.query('SELECT 1');
    expect((await db.query('SELECT * FROM outage_probe')).rows).toEqual([]);
    await db.transaction(async (q) => q.query('INSERT INTO outage_probe VALUES (2)'));
    expect((await db.query('SELECT n FROM outage_probe')).rows).toEqual([{ n: 2 }]);
  });

  it('a server that goes away: SERVICE_UNAVAILABLE at once (no wait per statement), and back to work when it returns', async () => {
    const target = new URL(created.url);
    const sockets = new Set<Socket>();
    const listen = (port: number) =>
      new Promise<Server>((done) => {
        const proxy = createServer((client) => {
          const upstream = connect(Number(target.port || 5432), target.hostname);
          for (const socket of [client, upstream]) {
            sockets.add(socket);
            socket.on('error', () => undefined);
            socket.on('close', () => sockets.delete(socket));
          }
          client.pipe(upstream).pipe(client);
        });
        proxy.listen(port, '127.0.0.1', () => done(proxy));
      });
    let proxy = await listen(0);
    const port = (proxy.address() as { port: number }).port;
    const url = new URL(created.url);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    const viaProxy = await openPostgresDatabase(url.toString());
    try {
      expect((await viaProxy.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
      // The server "goes away": nothing listens, every connection is cut.
      await new Promise<void>((done) => {
        proxy.close(() => done());
        for (const socket of sockets) socket.destroy();
      });
      await expect(viaProxy.query('SELECT 1')).rejects.toBeInstanceOf(ServiceUnavailableError);
      await expect(viaProxy.query('SELECT 1')).rejects.toBeInstanceOf(ServiceUnavailableError);
      // Now refused without even trying: many statements, no waiting.
      const started = performance.now();
      for (let i = 0; i < 50; i++) await expect(viaProxy.transaction(async (q) => q.query('SELECT 1'))).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(performance.now() - started).toBeLessThan(FAIL_FAST_MS);
      // It comes back: within FAIL_FAST_MS (and a connect) statements work again, by themselves.
      proxy = await listen(port);
      const back = performance.now();
      for (;;) {
        const ok = await viaProxy.query('SELECT 1 AS ok').then(() => true, (error: unknown) => (error instanceof ServiceUnavailableError ? false : Promise.reject(error)));
        if (ok) break;
        expect(performance.now() - back).toBeLessThan(FAIL_FAST_MS + 3000);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await viaProxy.close().catch(() => undefined);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => proxy.close(() => done()));
    }
  });

  it('nothing listening: the statement fails fast with SERVICE_UNAVAILABLE, not a hang', async () => {
    // A port that was free a moment ago: connections are refused at once.
    const port = await new Promise<number>((done) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => done(free));
      });
    });
    const url = new URL(created.url);
    url.port = String(port);
    await expect(openPostgresDatabase(url.toString())).rejects.toThrow(/ECONNREFUSED|connect/);
  });
});
