/** Server driver: a PostgreSQL server (with the pgvector extension) through a `pg` pool. */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';
import { copyStatement, DatabaseOverQueryable, type Database, type Queryable, type QueryResult } from './database';

const INT8_OID = 20;
// Counts and sums come back as int8; both drivers return them as numbers (PGlite already does).
const typeParsers = {
  getTypeParser(oid: number, format?: string) {
    if (oid === INT8_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

type PgRunner = pg.Pool | pg.PoolClient;

function queryable(runner: PgRunner, copyClient: () => Promise<{ client: pg.PoolClient; release(): void }>): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await runner.query({ text: sql, values: params as unknown[], types: typeParsers });
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await runner.query(sql);
    },
    async copyFrom(table: string, columns: readonly string[], data: string): Promise<void> {
      const { client, release } = await copyClient();
      try {
        const sink = client.query(copyFromStdin(copyStatement(table, columns, 'STDIN')));
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

  constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
  ) {
    super();
    this.base = queryable(pool, async () => {
      const client = await pool.connect();
      return { client, release: () => client.release() };
    });
  }

  get location(): string {
    return redactUrl(this.url);
  }
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx = queryable(client, async () => ({ client, release: () => undefined }));
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
  prisma(): PrismaClient {
    this.prismaClient ??= new PrismaClient({ adapter: new PrismaPg({ connectionString: this.url }) });
    return this.prismaClient;
  }
  async close(): Promise<void> {
    await this.prismaClient?.$disconnect();
    await this.pool.end();
  }
}

/** Connects to the PostgreSQL server at `url` and checks that it answers. */
export async function openPostgresDatabase(url: string, options: { maxConnections?: number } = {}): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10 });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const client = await pool.connect();
  client.release();
  return new PostgresDatabase(pool, url);
}
