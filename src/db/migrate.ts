/**
 * Applies the SQL migrations under prisma/migrations in name order, recording each in
 * Prisma's `_prisma_migrations` table exactly as `prisma migrate deploy` would, so the two
 * agree wherever Prisma's CLI can run (it cannot here: it downloads its engine first).
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from './database';
import { AppError } from '../errors';
import { projectPath } from '../paths';

export const MIGRATIONS_DIR = projectPath('prisma', 'migrations');

// Same key Prisma's schema engine uses, so our runner and `prisma migrate deploy` exclude each other.
const PRISMA_ADVISORY_LOCK_KEY = 72707369;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface Migration {
  name: string;
  sql: string;
  /** sha256 of the file's bytes, hex: what Prisma stores as `checksum`. */
  checksum: string;
}

/** The database's migrations disagree with this build's (changed or half-applied): an operator must resolve it. */
export class MigrationError extends AppError {
  override readonly name = 'MigrationError';
  readonly code = 'MIGRATION_FAILED';
}

/** Reads the migrations from disk, sorted by folder name (their timestamp prefix). */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const bytes = readFileSync(join(dir, name, 'migration.sql'));
      return { name, sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') };
    });
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: number;
}

/**
 * Brings the database up to date. All pending migrations and their `_prisma_migrations`
 * rows run in one transaction, so a failure leaves the database exactly as it was.
 * An applied migration whose file changed since is an error (as in Prisma).
 */
export async function migrate(db: Database, migrations: Migration[] = readMigrations()): Promise<MigrateResult> {
  return db.transaction(async (tx) => {
    // Transaction-scoped: released at COMMIT/ROLLBACK. Taken first so concurrent runners
    // (two servers starting at once) queue here instead of racing on CREATE TABLE.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
    await tx.exec(CREATE_MIGRATIONS_TABLE);
    const { rows } = await tx.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
    );
    const recorded = new Map(rows.map((row) => [row.migration_name, row]));
    const applied: string[] = [];
    for (const migration of migrations) {
      const row = recorded.get(migration.name);
      if (row) {
        if (row.finished_at === null) {
          throw new MigrationError(`migration ${migration.name} started earlier and never finished; resolve it by hand`);
        }
        if (row.checksum !== migration.checksum) {
          throw new MigrationError(`migration ${migration.name} was changed after it was applied (checksum differs)`);
        }
        continue;
      }
      await tx.exec(migration.sql);
      await tx.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count, started_at)
         VALUES ($1, $2, now(), $3, 1, now())`,
        [randomUUID(), migration.checksum, migration.name],
      );
      applied.push(migration.name);
    }
    return { applied, alreadyApplied: migrations.length - applied.length };
  });
}
