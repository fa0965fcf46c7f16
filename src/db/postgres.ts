/** Server driver: a PostgreSQL server (with the pgvector extension) through a `pg` pool. */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';
import { ServiceUnavailableError } from '../errors';
import type { Logger } from '../logger';
import { isConnectFailure, isConnectionLoss } from './connection-loss';
import { copyStatement, DatabaseOverQueryable, type AdvisoryLock, type CopyOptions, type Database, type NotificationHandlers, type PoolState, type Queryable, type ReadDatabase, type ReplicaState, type QueryResult, type Subscription } from './database';
import { listenOnPostgres, type ClientSettings } from './pg-listener';
import { ReplicaSet } from './replicas';

/**
 * Pool settings that keep a database outage short and loud: a connect that does not succeed
 * within this long fails (no request hangs on a dead server), and TCP keep-alive notices a
 * silently vanished server on idle connections.
 */
export const CONNECT_TIMEOUT_MS = 3000;

/** Rethrows a lost connection as ServiceUnavailableError (retryable); other errors unchanged. */
function rethrow(error: unknown): never {
  if (isConnectionLoss(error) && !(error instanceof ServiceUnavailableError)) {
    throw new ServiceUnavailableError('the database is unavailable; retry shortly', { cause: error });
  }
  throw error;
}

/**
 * After a failed connect, statements fail at once for this long instead of each waiting on
 * the dead server (up to CONNECT_TIMEOUT_MS, in the pool's queue); then the next one tries.
 */
export const FAIL_FAST_MS = 1000;

/** Remembers a failed connect for FAIL_FAST_MS (a cut connection alone does not count). */
class FailFast {
  private until = 0;

  check(): void {
    if (Date.now() < this.until) throw new ServiceUnavailableError('the database is unavailable; retry shortly');
  }

  /** Rethrows `error` (as rethrow does), noting a failed connect first. */
  failed(error: unknown): never {
    if (isConnectFailure(error)) this.until = Date.now() + FAIL_FAST_MS;
    return rethrow(error);
  }
}

const INT8_OID = 20;
// Counts and sums come back as int8; both drivers return them as numbers (PGlite already does).
const typeParsers = {
  getTypeParser(oid: number, format?: string) {
    if (oid === INT8_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

type PgRunner = pg.Pool | pg.PoolClient;

function queryable(runner: PgRunner, copyClient: () => Promise<{ client: pg.PoolClient; release(): void }>, failFast: FailFast): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      failFast.check();
      const result = await runner.query({ text: sql, values: params as unknown[], types: typeParsers }).catch((error: unknown) => failFast.failed(error));
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      failFast.check();
      await runner.query(sql).catch((error: unknown) => failFast.failed(error));
    },
    async copyFrom(table: string, columns: readonly string[], data: string | Uint8Array, options?: CopyOptions): Promise<void> {
      failFast.check();
      const { client, release } = await copyClient().catch((error: unknown) => failFast.failed(error));
      try {
        const sink = client.query(copyFromStdin(copyStatement(table, columns, 'STDIN', options)));
        await pipeline(Readable.from([data]), sink);
      } finally {
        release();
      }
    },
  };
}

/** Removes the password from a connection string for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

class PostgresDatabase extends DatabaseOverQueryable {
  readonly driver = 'postgres' as const;
  private prismaClient: PrismaClient | undefined;
  protected readonly base: Queryable;
  private readonly failFast = new FailFast();
  /** Read replicas, when DATABASE_REPLICA_URLS names any. */
  replicas: ReplicaSet | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
    private readonly settings: ClientSettings,
  ) {
    super();
    this.base = queryable(
      pool,
      async () => {
        const client = await pool.connect();
        return { client, release: () => client.release() };
      },
      this.failFast,
    );
  }

  get location(): string {
    return redactUrl(this.url);
  }
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.failFast.check();
    const client = await this.pool.connect().catch((error: unknown) => this.failFast.failed(error));
    const tx = queryable(client, async () => ({ client, release: () => undefined }), this.failFast);
    let failed: unknown;
    try {
      await client.query('BEGIN').catch(rethrow);
      const result = await fn(tx);
      // A COMMIT cut off by a lost connection may or may not have committed: the caller is told
      // to retry, which is safe for our writes (upserts and deletes by key).
      await client.query('COMMIT').catch(rethrow);
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      failed = error;
      throw error;
    } finally {
      // A client whose connection broke must not go back to the pool.
      client.release(failed !== undefined && isConnectionLoss(failed));
    }
  }
  prisma(): PrismaClient {
    // Prisma shares our pool (and so its timeouts and error handlers); it does not end it.
    this.prismaClient ??= new PrismaClient({ adapter: new PrismaPg(this.pool) });
    return this.prismaClient;
  }
  listen(channels: readonly string[], handlers: NotificationHandlers): Promise<Subscription> {
    return listenOnPostgres(this.settings, channels, handlers);
  }
  async tryAdvisoryLock(key: number): Promise<AdvisoryLock | null> {
    // A session lock lives as long as its connection: one of its own, so the pool keeps its size.
    const client = new pg.Client(this.settings);
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [key]);
      if (!rows[0]!.locked) {
        await client.end();
        return null;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      return rethrow(error);
    }
    // Ending the session releases its locks (also if the connection is lost first).
    return { release: () => client.end().catch(() => undefined) };
  }
  /** Connects one client and gives it back: fails as the server's refusal says. */
  async connectOnce(): Promise<void> {
    const client = await this.pool.connect();
    client.release();
  }
  override forReads(): ReadDatabase {
    return this.replicas?.reader() ?? this;
  }
  override replicaStates(): ReplicaState[] {
    return this.replicas?.states() ?? [];
  }
  poolState(): PoolState {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }
  async close(): Promise<void> {
    await this.replicas?.close();
    await this.prismaClient?.$disconnect();
    await this.pool.end();
  }
}

/** A database over a new pool for `url`; nothing is connected yet. */
function poolDatabase(url: string, maxConnections: number): PostgresDatabase {
  const settings: ClientSettings = { connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true };
  const pool = new pg.Pool({ ...settings, max: maxConnections });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  // Nor may a busy client's: when the server cuts a connection under a query, the query fails
  // (and is reported), then the client emits "Connection terminated unexpectedly" as an 'error'
  // event that nothing else listens to, which would throw and end the process.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new PostgresDatabase(pool, url, settings);
}

export interface ReplicaOptions {
  /** Streaming replicas of the primary (DATABASE_REPLICA_URLS). */
  urls: string[];
  /** A replica further behind than this takes no reads (REPLICA_MAX_LAG_MS). */
  maxLagMs: number;
  logger?: Logger;
}

/**
 * Connects to the PostgreSQL server at `url` and checks that it answers; with `replicas`, also
 * sends lag-tolerant reads to them (replicas.ts). A replica down at start is only skipped.
 */
export async function openPostgresDatabase(url: string, options: { maxConnections?: number; replicas?: ReplicaOptions } = {}): Promise<Database> {
  const maxConnections = options.maxConnections ?? 10;
  const db = poolDatabase(url, maxConnections);
  await db.connectOnce().catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  if (options.replicas && options.replicas.urls.length > 0) {
    const { urls, maxLagMs, logger } = options.replicas;
    db.replicas = new ReplicaSet(db, urls.map((replicaUrl) => poolDatabase(replicaUrl, maxConnections)), maxLagMs, logger);
    await db.replicas.start();
  }
  return db;
}
