/**
 * The one database interface everything above `src/db` talks to. Two drivers implement it:
 * embedded PGlite (`embedded.ts`) and a PostgreSQL server through `pg` (`postgres.ts`).
 * Nothing outside this folder knows which one runs.
 */
import { createHash } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client';

export type DriverKind = 'embedded' | 'postgres';

export interface QueryResult<Row> {
  rows: Row[];
  /** Rows affected by INSERT/UPDATE/DELETE, or returned by SELECT. */
  rowCount: number;
}

export interface CopyOptions {
  freeze?: boolean;
}

/** What can run statements: the database itself or an open transaction. */
export interface Queryable {
  /** One statement with `$n` parameters. int8 values come back as numbers on both drivers. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** Several statements without parameters (migrations, DDL). */
  exec(sql: string): Promise<void>;
  /**
   * Bulk load with COPY: `data` is rows in PostgreSQL's text COPY format (tab-separated,
   * `\N` for null, one row per line), as a string or UTF-8 bytes. Call it repeatedly with chunks to stream a large file.
   * `freeze` writes the rows already frozen (COPY FREEZE): only for a table created or
   * truncated earlier in the same transaction.
   */
  copyFrom(table: string, columns: readonly string[], data: string | Uint8Array, options?: CopyOptions): Promise<void>;
}

/** What a listener is told (see `Database.listen`). */
export interface NotificationHandlers {
  /** A NOTIFY on one of the channels, after the sending transaction committed. */
  onNotification(channel: string, payload: string): void;
  /** The listener lost its connection: notifications may be missed until `onReconnected`. */
  onDisconnected?(): void;
  /** The listener is back after a loss: whatever was notified in between was missed. */
  onReconnected?(): void;
}

/** A running listener. */
export interface Subscription {
  /** False while the listener is reconnecting (callers then poll). */
  readonly connected: boolean;
  close(): Promise<void>;
}

/** Connections of a pool, for monitoring. */
export interface PoolState {
  /** Open connections. */
  total: number;
  idle: number;
  /** Statements waiting for a free connection. */
  waiting: number;
}

/** What reads that tolerate replication lag run on: a read replica, or the primary. */
export type ReadDatabase = Pick<Database, 'query' | 'transaction' | 'prisma'>;

/** A read replica's state, for monitoring. */
export interface ReplicaState {
  /** Its URL without the password. */
  location: string;
  /** Taking reads: answering probes and within the lag bound. */
  healthy: boolean;
  /** Milliseconds behind the primary at the last probe (null: unknown, unreachable). */
  lagMs: number | null;
}

/** A held session-level advisory lock. */
export interface AdvisoryLock {
  release(): Promise<void>;
}

/** The advisory-lock key of a named lock: a stable 31-bit number derived from `animerec:<name>`. */
export function advisoryLockKey(name: string): number {
  return createHash('sha256').update(`animerec:${name}`).digest().readUInt32BE(0) & 0x7fffffff;
}

export interface Database extends Queryable {
  readonly driver: DriverKind;
  /** Human-readable location: the data directory or the URL without its password. */
  readonly location: string;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Prisma Client over the same connection(s), for relational work. Created on first use. */
  prisma(): PrismaClient;
  /**
   * LISTENs on `channels` over a connection of its own (PostgreSQL; reconnected after a loss)
   * or in process (PGlite, where every writer is this process). Send with `pg_notify`.
   */
  listen(channels: readonly string[], handlers: NotificationHandlers): Promise<Subscription>;
  /**
   * Takes the advisory lock `key` for as long as it is held, across every process on this
   * database, or returns null at once when another holder has it.
   */
  tryAdvisoryLock(key: number): Promise<AdvisoryLock | null>;
  /** The connection pool's state; null where there is none (the embedded database). */
  poolState(): PoolState | null;
  /**
   * For reads that tolerate replication lag (anime search, filtered similar anime, model lists):
   * the next fit read replica (DATABASE_REPLICA_URLS), else this database. Never for a user's
   * own data, which must show their writes at once.
   */
  forReads(): ReadDatabase;
  /** The read replicas' states (none without DATABASE_REPLICA_URLS). */
  replicaStates(): ReplicaState[];
  close(): Promise<void>;
}

/** Quotes an SQL identifier (table or column name) built from trusted code, never from input. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The COPY statement both drivers use for `copyFrom`. */
export function copyStatement(table: string, columns: readonly string[], source: string, options: CopyOptions = {}): string {
  return `COPY ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) FROM ${source}${options.freeze ? ' WITH (FREEZE)' : ''}`;
}

/**
 * A driver's Database: the statements run through `base` (the driver's Queryable over its
 * connection or pool); subclasses add transactions, Prisma and closing.
 */
export abstract class DatabaseOverQueryable implements Database {
  abstract readonly driver: DriverKind;
  abstract readonly location: string;
  protected abstract readonly base: Queryable;

  query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    return this.base.query<Row>(sql, params);
  }
  exec(sql: string): Promise<void> {
    return this.base.exec(sql);
  }
  copyFrom(table: string, columns: readonly string[], data: string | Uint8Array, options?: CopyOptions): Promise<void> {
    return this.base.copyFrom(table, columns, data, options);
  }
  abstract transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  abstract prisma(): PrismaClient;
  abstract listen(channels: readonly string[], handlers: NotificationHandlers): Promise<Subscription>;
  abstract tryAdvisoryLock(key: number): Promise<AdvisoryLock | null>;
  abstract poolState(): PoolState | null;
  forReads(): ReadDatabase {
    return this;
  }
  replicaStates(): ReplicaState[] {
    return [];
  }
  abstract close(): Promise<void>;
}
