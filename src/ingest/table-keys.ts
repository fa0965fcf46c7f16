/**
 * Bulk loads run with a table's keys and indexes dropped, then re-created in the same
 * transaction: each index is then built in one sort and each foreign key validated in one
 * join, instead of row by row (PostgreSQL checks a foreign key with a query per row, ~8 µs
 * each; a primary key maintained during a sorted COPY made it 3x slower than COPY plus one
 * index build). The price: the load holds an exclusive lock on the tables until it commits.
 * Definitions come from the catalog, so this follows whatever the migrations define.
 */
import { quoteIdent, type Queryable } from '../db/database';

interface Definition {
  table_name: string;
  name: string;
  definition: string;
}

const FOREIGN_KEYS = `
SELECT conrelid::regclass::text AS table_name, conname AS name, pg_get_constraintdef(oid) AS definition
FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::regclass[]) ORDER BY conname`;

const PRIMARY_KEYS = `
SELECT conrelid::regclass::text AS table_name, conname AS name, pg_get_constraintdef(oid) AS definition
FROM pg_constraint WHERE contype = 'p' AND conrelid = ANY($1::regclass[]) ORDER BY conname`;

const SECONDARY_INDEXES = `
SELECT indrelid::regclass::text AS table_name, indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS definition
FROM pg_index WHERE NOT indisunique AND NOT indisprimary AND indrelid = ANY($1::regclass[]) ORDER BY 2`;

// Another table's foreign key into these ones would stop DROP of their primary keys and TRUNCATE.
const REFERENCED_BY_OTHERS = `
SELECT count(*) AS n FROM pg_constraint WHERE contype = 'f' AND confrelid = ANY($1::regclass[]) AND NOT conrelid = ANY($1::regclass[])`;

/** True when no other table's foreign key points into `tables`: they may be truncated and lose their primary keys for a while. */
export async function standAlone(tx: Queryable, tables: readonly string[]): Promise<boolean> {
  const { rows } = await tx.query<{ n: number }>(REFERENCED_BY_OTHERS, [tables]);
  return rows[0]!.n === 0;
}

/**
 * Runs `fn` with `tables`' foreign keys and secondary (non-unique) indexes dropped, and their
 * primary keys too when `primaryKeys` is set (then `fn` must leave no duplicate key), then
 * re-creates them all: primary keys, indexes, foreign keys.
 */
export async function withKeysAndIndexesRebuiltAfter<T>(
  tx: Queryable,
  tables: readonly string[],
  { primaryKeys }: { primaryKeys: boolean },
  fn: () => Promise<T>,
): Promise<T> {
  const keys = (await tx.query<Definition>(FOREIGN_KEYS, [tables])).rows;
  const indexes = (await tx.query<Definition>(SECONDARY_INDEXES, [tables])).rows;
  const primary = primaryKeys ? (await tx.query<Definition>(PRIMARY_KEYS, [tables])).rows : [];
  for (const key of keys) await tx.exec(`ALTER TABLE ${key.table_name} DROP CONSTRAINT ${quoteIdent(key.name)}`);
  for (const index of indexes) await tx.exec(`DROP INDEX ${index.name}`);
  for (const key of primary) await tx.exec(`ALTER TABLE ${key.table_name} DROP CONSTRAINT ${quoteIdent(key.name)}`);
  const result = await fn();
  for (const key of primary) await tx.exec(`ALTER TABLE ${key.table_name} ADD CONSTRAINT ${quoteIdent(key.name)} ${key.definition}`);
  for (const index of indexes) await tx.exec(index.definition);
  for (const key of keys) await tx.exec(`ALTER TABLE ${key.table_name} ADD CONSTRAINT ${quoteIdent(key.name)} ${key.definition}`);
  return result;
}
