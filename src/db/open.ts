/** Chooses and opens the driver for the configuration: PostgreSQL when a URL is set, else embedded. */
import { join } from 'node:path';
import type { Logger } from '../logger';
import type { Database } from './database';
import { openEmbeddedDatabase } from './embedded';
import { openPostgresDatabase } from './postgres';

export interface DatabaseTarget {
  /** PostgreSQL connection string; undefined selects the embedded database. */
  databaseUrl?: string;
  /** Where the embedded database keeps its files. */
  dataDir: string;
  /** Streaming read replicas of `databaseUrl` for lag-tolerant reads, and their lag bound. */
  replicas?: { urls: string[]; maxLagMs: number };
}

/** The folder inside DATA_DIR that holds PGlite's files. */
export function embeddedDir(dataDir: string): string {
  return join(dataDir, 'pglite');
}

export function openDatabase(target: DatabaseTarget, logger?: Logger): Promise<Database> {
  return target.databaseUrl !== undefined
    ? openPostgresDatabase(target.databaseUrl, { replicas: target.replicas && { ...target.replicas, logger } })
    : openEmbeddedDatabase(embeddedDir(target.dataDir));
}
