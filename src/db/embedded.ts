/** Embedded driver: PGlite (PostgreSQL in WebAssembly, in-process) with pgvector, persisted in a directory. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client';
import { initializeInChild, isInitialized } from './embedded-init';
import { PgliteCopySource } from './pglite-copy-source';
import { copyStatement, DatabaseOverQueryable, type AdvisoryLock, type CopyOptions, type Database, type NotificationHandlers, type Queryable, type QueryResult, type Subscription } from './database';

/** Settings every embedded database opens with (openPGliteHere: here and in the init child). */
const EMBEDDED_SETTINGS = [
  // PostgreSQL's default is 128MB, all of it in PGlite's never-shrinking WebAssembly memory once
  // touched (a load touches it all). Reads that miss still come from the OS page cache, so
  // queries measured the same (BENCHMARKS.md, Memory).
  'shared_buffers=16MB',
];

type PgliteRunner = Pick<PGlite, 'query' | 'exec'> | Transaction;

function queryable(runner: PgliteRunner, copySource: PgliteCopySource): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await runner.query<Row>(sql, params as unknown[]);
      // PGlite reports affectedRows 0 for SELECT; pg reports the rows returned.
      return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await runner.exec(sql);
    },
    async copyFrom(table: string, columns: readonly string[], data: string | Uint8Array, options?: CopyOptions): Promise<void> {
      // PGlite has no COPY ... FROM STDIN; its fastest bulk path reads a Blob as a virtual file.
      await runner.query(copyStatement(table, columns, "'/dev/blob'", options), [], { blob: copySource.blobOf(data) });
    },
  };
}

export class EmbeddedDatabase extends DatabaseOverQueryable {
  readonly driver = 'embedded' as const;
  private prismaClient: PrismaClient | undefined;
  private readonly copySource = new PgliteCopySource();
  protected readonly base: Queryable;
  /** Advisory locks held: PGlite is one session, where pg_try_advisory_lock always succeeds. */
  private readonly heldLocks = new Set<number>();

  constructor(
    private readonly pglite: PGlite,
    readonly location: string,
  ) {
    super();
    this.base = queryable(pglite, this.copySource);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pglite.transaction((tx) => fn(queryable(tx, this.copySource)));
  }
  prisma(): PrismaClient {
    this.prismaClient ??= new PrismaClient({ adapter: new PrismaPGlite(this.pglite) });
    return this.prismaClient;
  }
  async listen(channels: readonly string[], handlers: NotificationHandlers): Promise<Subscription> {
    // PGlite delivers NOTIFYs of its own session, after commit; the connection is never lost.
    const stops = await Promise.all(channels.map((channel) => this.pglite.listen(channel, (payload) => handlers.onNotification(channel, payload))));
    return {
      connected: true,
      close: async () => {
        if (!this.pglite.closed) for (const stop of stops) await stop();
      },
    };
  }
  async tryAdvisoryLock(key: number): Promise<AdvisoryLock | null> {
    // One process owns the data directory (data-dir-lock.ts), so a lock in memory is enough.
    if (this.heldLocks.has(key)) return null;
    this.heldLocks.add(key);
    return { release: async () => void this.heldLocks.delete(key) };
  }
  poolState(): null {
    return null;
  }
  async close(): Promise<void> {
    await this.prismaClient?.$disconnect();
    await this.pglite.close();
  }
  /** All of the database's files as one tarball, which openPGliteHere's `image` starts from. */
  dumpImage(): Promise<Blob> {
    return this.pglite.dumpDataDir('none');
  }
}

/**
 * PGlite with our extensions and settings, opened in this process (initdb too when the folder
 * is new): what openEmbeddedDatabase and the init child (embedded-init.child.ts) both open.
 * With `image` (a dumpImage tarball) a new database starts as a copy of that one, without
 * initdb: how tests copy one migrated template instead of creating a database per file.
 */
export async function openPGliteHere(dataDir: string | undefined, { image }: { image?: Blob } = {}): Promise<EmbeddedDatabase> {
  const pglite = await PGlite.create({ dataDir, loadDataDir: image, extensions: { vector }, postgresqlconf: EMBEDDED_SETTINGS });
  return new EmbeddedDatabase(pglite, dataDir ?? 'memory://');
}

/**
 * Opens the embedded database in `dataDir` (created and migrated in a child process when new,
 * see embedded-init.ts), or an in-memory one when
 * `dataDir` is undefined. One process may own a data directory at a time (see data-dir-lock.ts).
 */
export async function openEmbeddedDatabase(dataDir: string | undefined): Promise<Database> {
  if (dataDir !== undefined) {
    mkdirSync(dirname(dataDir), { recursive: true });
    if (!isInitialized(dataDir)) await initializeInChild(dataDir);
  }
  return openPGliteHere(dataDir);
}
