/**
 * The PostgreSQL floor for our schema: what the server alone needs to put the same rows into
 * `rating` and `watched` the way a first load does (keys and indexes dropped, TRUNCATE, COPY
 * FREEZE from two pre-split CSV files, keys and indexes rebuilt, one transaction), run by psql
 * with no JavaScript in the way. Measured beside the bare-table \copy ceiling, it splits our
 * distance from the ceiling into what the schema costs and what the ingester adds.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { join } from 'node:path';
import pg from 'pg';
import { kaggleFormat } from '../src/ingest/formats/kaggle';
import { ingest } from '../src/ingest/ingest';
import { migrate } from '../src/db/migrate';
import { openPostgresDatabase } from '../src/db/postgres';
import { timePsql } from './postgres';

export interface SplitRatings {
  rated: string;
  watched: string;
  users: number[];
}

/** Splits a Kaggle ratings file (plain or .gz) into `user,anime,rating` and `user,anime` CSV files without headers. */
export async function splitRatings(source: string, dir: string): Promise<SplitRatings> {
  const rated = join(dir, 'floor-rated.csv');
  const watched = join(dir, 'floor-watched.csv');
  const ratedOut = createWriteStream(rated);
  const watchedOut = createWriteStream(watched);
  const users = new Set<number>();
  const input = createReadStream(source);
  const lines = createInterface({ input: source.endsWith('.gz') ? input.pipe(createGunzip()) : input, crlfDelay: Infinity });
  let first = true;
  for await (const line of lines) {
    if (first || line === '') {
      first = false;
      continue;
    }
    const [user, anime, rating] = line.split(',');
    users.add(Number(user));
    const out = rating === '-1' ? watchedOut : ratedOut;
    if (!out.write(rating === '-1' ? `${user},${anime}\n` : `${user},${anime},${rating}\n`)) await once(out, 'drain');
  }
  ratedOut.end();
  watchedOut.end();
  await Promise.all([once(ratedOut, 'close'), once(watchedOut, 'close')]);
  return { rated, watched, users: [...users] };
}

const DEFINITIONS = `
SELECT kind, table_name, name, definition FROM (
  SELECT 'f' AS kind, conrelid::regclass::text AS table_name, conname AS name, pg_get_constraintdef(oid) AS definition
  FROM pg_constraint WHERE contype = 'f' AND conrelid IN ('rating'::regclass, 'watched'::regclass)
  UNION ALL
  SELECT 'p', conrelid::regclass::text, conname, pg_get_constraintdef(oid)
  FROM pg_constraint WHERE contype = 'p' AND conrelid IN ('rating'::regclass, 'watched'::regclass)
  UNION ALL
  SELECT 'i', indrelid::regclass::text, indexrelid::regclass::text, pg_get_indexdef(indexrelid)
  FROM pg_index WHERE NOT indisunique AND NOT indisprimary AND indrelid IN ('rating'::regclass, 'watched'::regclass)
) d ORDER BY kind, name`;

/**
 * Prepares `url` (migrated, the anime file loaded, the users inserted: not timed), then times
 * psql loading the split files into rating and watched as a first load does. Returns seconds.
 */
export async function timeSchemaFloor(url: string, animePath: string, split: SplitRatings, dir: string): Promise<number> {
  const db = await openPostgresDatabase(url, { maxConnections: 1 });
  try {
    await migrate(db);
    await ingest(db, { format: kaggleFormat, animePath });
    await db.query(`INSERT INTO app_user (id, source) SELECT unnest($1::int[]), 'ingest'`, [split.users]);
  } finally {
    await db.close();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const defs = (await client.query<{ kind: string; table_name: string; name: string; definition: string }>(DEFINITIONS)).rows;
  await client.end();
  const of = (kind: string) => defs.filter((d) => d.kind === kind);
  const script = [
    'BEGIN;',
    ...of('f').map((d) => `ALTER TABLE ${d.table_name} DROP CONSTRAINT "${d.name}";`),
    ...of('i').map((d) => `DROP INDEX ${d.name};`),
    ...of('p').map((d) => `ALTER TABLE ${d.table_name} DROP CONSTRAINT "${d.name}";`),
    'TRUNCATE rating, watched;',
    `\\copy rating (user_id, anime_id, rating) FROM '${split.rated}' WITH (FORMAT csv, FREEZE)`,
    `\\copy watched (user_id, anime_id) FROM '${split.watched}' WITH (FORMAT csv, FREEZE)`,
    ...of('p').map((d) => `ALTER TABLE ${d.table_name} ADD CONSTRAINT "${d.name}" ${d.definition};`),
    ...of('i').map((d) => `${d.definition};`),
    ...of('f').map((d) => `ALTER TABLE ${d.table_name} ADD CONSTRAINT "${d.name}" ${d.definition};`),
    'COMMIT;',
  ].join('\n');
  const file = join(dir, 'floor.sql');
  const out = createWriteStream(file);
  out.end(script);
  await once(out, 'close');
  return timePsql(url, `\\i ${file}`);
}
