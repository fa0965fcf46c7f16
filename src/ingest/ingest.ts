/**
 * Loads a dataset's item and rating files into the database in ONE transaction: rows are
 * streamed, validated, bulk-copied into temporary staging tables, checked against the
 * catalog, filtered (the notebook's preprocessing) and merged with upserts. A bad row stops
 * everything with `file:line: what is wrong` and the database is left exactly as it was;
 * with `skipInvalid` bad rows are counted and skipped instead. Re-running is idempotent.
 */
import { quoteIdent, type Database, type Queryable } from '../db/database';
import { InputError } from './input-error';
import { arrayLiteral, copyRow } from './copy-text';
import { fileSize, readTable, type TableRow } from './read-table';
import { NO_FILTERS, type RatingFilters } from './filters';
import { silentProgress, type ProgressSink } from './progress';
import type { AnimeRecord, RatingRecord } from './records';
import type { DatasetFormat, TableFormat } from './table-format';

/** Rows per COPY statement: big enough to amortize a round trip, small enough for constant memory. */
const COPY_CHUNK_ROWS = 50_000;
const INVALID_EXAMPLES = 5;
/**
 * From this many rows on, rating and watched are merged with their foreign keys and secondary
 * indexes dropped and re-created in the same transaction: PostgreSQL checks a foreign key row
 * by row (~8 µs each: 7 s of 9.2 s for the 420k-rating sample), while re-adding it validates
 * all rows in one join. The price: the load holds an exclusive lock on those tables until it
 * commits.
 */
const BULK_FOREIGN_KEY_ROWS = 100_000;

export interface IngestOptions {
  format: DatasetFormat;
  animePath?: string;
  ratingsPath?: string;
  filters?: RatingFilters;
  skipInvalid?: boolean;
  progress?: ProgressSink;
  /** Aborting rolls the whole load back (checked between batches). */
  signal?: AbortSignal;
}

export interface IngestReport {
  anime: { read: number; inserted: number; updated: number };
  ratings: {
    read: number;
    /** Rows the filters removed (preset or options), and repeats of a (user, anime) pair. */
    filtered: number;
    inserted: number;
    updated: number;
    watchedInserted: number;
  };
  users: { inserted: number };
  invalid: { count: number; examples: string[] };
  seconds: number;
}

/** Collects bad rows: rethrows at once unless skipping. */
class InvalidRows {
  count = 0;
  readonly examples: string[] = [];
  constructor(private readonly skip: boolean) {}
  add(error: InputError): void {
    if (!this.skip) throw error;
    this.count++;
    if (this.examples.length < INVALID_EXAMPLES) this.examples.push(error.message);
  }
}

const STAGE_ANIME = `
CREATE TEMP TABLE ingest_anime (
  id integer PRIMARY KEY, name text NOT NULL, genres text[] NOT NULL, type text,
  episodes integer, community_rating real, members integer
) ON COMMIT DROP`;

// members NULL in staging means "the format has none": keep what is there (or count it later).
const UPDATE_ANIME = `
UPDATE anime a SET name = s.name, genres = s.genres, type = s.type, episodes = s.episodes,
  community_rating = s.community_rating, members = COALESCE(s.members, a.members), updated_at = now()
FROM ingest_anime s
WHERE a.id = s.id
  AND (a.name, a.genres, a.type, a.episodes, a.community_rating, a.members)
      IS DISTINCT FROM (s.name, s.genres, s.type, s.episodes, s.community_rating, COALESCE(s.members, a.members))`;

const INSERT_ANIME = `
INSERT INTO anime (id, name, genres, type, episodes, community_rating, members)
SELECT s.id, s.name, s.genres, s.type, s.episodes, s.community_rating, COALESCE(s.members, 0)
FROM ingest_anime s WHERE NOT EXISTS (SELECT 1 FROM anime a WHERE a.id = s.id)`;

const STAGE_RATINGS = `
CREATE TEMP TABLE ingest_rating (line bigint NOT NULL, user_id integer NOT NULL, anime_id integer NOT NULL, rating smallint NOT NULL)
ON COMMIT DROP`;

const UNKNOWN_ANIME = `
SELECT s.line, s.anime_id FROM ingest_rating s
WHERE NOT EXISTS (SELECT 1 FROM anime a WHERE a.id = s.anime_id)
ORDER BY s.line`;

const API_USER_COLLISION = `
SELECT s.line, s.user_id FROM ingest_rating s JOIN app_user u ON u.id = s.user_id AND u.source <> 'ingest'
ORDER BY s.line LIMIT 1`;

/**
 * Dedup keeps the LAST row of a (user, anime) pair in the file, as an upsert would. A file
 * whose pairs strictly increase (the Kaggle files are sorted) has no repeats: the sort is skipped.
 */
function keptRatingsSql(filters: RatingFilters, mayRepeat: boolean): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filters.dropUnrated) conditions.push('s.rating <> -1');
  if (filters.types !== null) {
    params.push(filters.types);
    conditions.push(`s.anime_id IN (SELECT id FROM anime WHERE type = ANY($${params.length}::text[]))`);
  }
  if (filters.minAnimeRatings !== null) {
    params.push(filters.minAnimeRatings);
    conditions.push(
      `s.anime_id IN (SELECT anime_id FROM ingest_rating WHERE rating > 0 GROUP BY anime_id HAVING count(*) > $${params.length})`,
    );
  }
  if (filters.userIdBelow !== null) {
    params.push(filters.userIdBelow);
    conditions.push(`s.user_id < $${params.length}`);
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const sql = mayRepeat
    ? `SELECT DISTINCT ON (s.user_id, s.anime_id) s.user_id, s.anime_id, s.rating FROM ingest_rating s ${where}
       ORDER BY s.user_id, s.anime_id, s.line DESC`
    : `SELECT s.user_id, s.anime_id, s.rating FROM ingest_rating s ${where}`;
  return { sql: `CREATE TEMP TABLE ingest_kept ON COMMIT DROP AS ${sql}`, params };
}

const INSERT_USERS = `
WITH inserted AS (
  INSERT INTO app_user (id, source) SELECT DISTINCT user_id, 'ingest' FROM ingest_kept
  ON CONFLICT (id) DO NOTHING RETURNING 1
) SELECT count(*) AS inserted FROM inserted`;

// API-created users take ids after the largest dataset id.
const ADVANCE_USER_SEQUENCE = `
SELECT setval(pg_get_serial_sequence('app_user', 'id'), GREATEST((SELECT max(id) FROM app_user), 1))`;

const UPDATE_RATINGS = `
UPDATE rating r SET rating = k.rating, updated_at = now()
FROM ingest_kept k
WHERE k.rating > 0 AND r.user_id = k.user_id AND r.anime_id = k.anime_id AND r.rating <> k.rating`;

// Plain INSERT of new pairs (no ON CONFLICT): ~2x faster in bulk; ingest_kept has no repeats.
const INSERT_RATINGS = `
INSERT INTO rating (user_id, anime_id, rating)
SELECT k.user_id, k.anime_id, k.rating FROM ingest_kept k
WHERE k.rating > 0 AND NOT EXISTS (SELECT 1 FROM rating r WHERE r.user_id = k.user_id AND r.anime_id = k.anime_id)`;

// A pair is in at most one of rating and watched: an explicit rating supersedes "watched".
const DROP_SUPERSEDED_WATCHED = `
DELETE FROM watched w USING ingest_kept k
WHERE k.rating > 0 AND w.user_id = k.user_id AND w.anime_id = k.anime_id`;

const INSERT_WATCHED = `
INSERT INTO watched (user_id, anime_id)
SELECT k.user_id, k.anime_id FROM ingest_kept k
WHERE k.rating = -1
  AND NOT EXISTS (SELECT 1 FROM rating r WHERE r.user_id = k.user_id AND r.anime_id = k.anime_id)
  AND NOT EXISTS (SELECT 1 FROM watched w WHERE w.user_id = k.user_id AND w.anime_id = k.anime_id)`;

// Formats without a community size (MovieLens) get it from the data: distinct raters and watchers.
const COUNT_MEMBERS = `
UPDATE anime a SET members = (SELECT count(*) FROM rating r WHERE r.anime_id = a.id)
                           + (SELECT count(*) FROM watched w WHERE w.anime_id = a.id)
WHERE a.id IN (SELECT id FROM ingest_anime WHERE members IS NULL)`;

/** Streams a file into a staging table with COPY, one chunk at a time. Returns rows read. */
async function stageFile<T>(
  tx: Queryable,
  file: string,
  chooseFormat: (firstLine: string) => TableFormat<T>,
  stage: { table: string; columns: readonly string[]; toRow(row: TableRow<T>): string },
  invalid: InvalidRows,
  { progress, signal, label }: { progress: ProgressSink; signal?: AbortSignal; label: string },
): Promise<number> {
  let rows = 0;
  let bytes = 0;
  let chunk: string[] = [];
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    await tx.copyFrom(stage.table, stage.columns, chunk.join(''));
    chunk = [];
  };
  progress.start(label, fileSize(file));
  try {
    const batches = readTable(file, chooseFormat, {
      onInvalidRow: (error) => invalid.add(error),
      onBytesRead: (bytesRead) => (bytes = bytesRead),
    });
    for await (const batch of batches) {
      signal?.throwIfAborted();
      for (const row of batch) chunk.push(stage.toRow(row));
      rows += batch.length;
      if (chunk.length >= COPY_CHUNK_ROWS) await flush();
      progress.update(bytes, rows);
    }
    await flush();
    progress.update(bytes, rows);
  } finally {
    progress.stop();
  }
  return rows;
}

interface StageContext {
  format: DatasetFormat;
  invalid: InvalidRows;
  progress: ProgressSink;
  signal?: AbortSignal;
}

async function stageAnime(tx: Queryable, file: string, { format, invalid, progress, signal }: StageContext) {
  await tx.exec(STAGE_ANIME);
  const firstLineOf = new Map<number, number>();
  return stageFile<AnimeRecord>(
    tx,
    file,
    (line) => format.animeTable(line),
    {
      table: 'ingest_anime',
      columns: ['id', 'name', 'genres', 'type', 'episodes', 'community_rating', 'members'],
      toRow: ({ line, record: a }) => {
        const first = firstLineOf.get(a.id);
        if (first !== undefined) {
          invalid.add(new InputError(file, line, `duplicate anime_id ${a.id} (first on line ${first})`));
          return '';
        }
        firstLineOf.set(a.id, line);
        return copyRow([a.id, a.name, arrayLiteral(a.genres), a.type, a.episodes, a.communityRating, a.members]);
      },
    },
    invalid,
    { progress, signal, label: 'anime  ' },
  );
}

/** Stages the ratings; `mayRepeat` is false when every (user, anime) pair came in increasing order. */
async function stageRatings(tx: Queryable, file: string, { format, invalid, progress, signal }: StageContext) {
  await tx.exec(STAGE_RATINGS);
  let previousUser = -1;
  let previousAnime = -1;
  let mayRepeat = false;
  const rows = await stageFile<RatingRecord>(
    tx,
    file,
    (line) => format.ratingsTable(line),
    {
      table: 'ingest_rating',
      columns: ['line', 'user_id', 'anime_id', 'rating'],
      toRow: ({ line, record: r }) => {
        if (r.userId < previousUser || (r.userId === previousUser && r.animeId <= previousAnime)) mayRepeat = true;
        previousUser = r.userId;
        previousAnime = r.animeId;
        return `${line}\t${r.userId}\t${r.animeId}\t${r.rating}\n`;
      },
    },
    invalid,
    { progress, signal, label: 'ratings' },
  );
  return { rows, mayRepeat };
}

/** Rejects (or, when skipping, removes) ratings whose anime is not in the catalog. */
async function checkRatingReferences(tx: Queryable, file: string, invalid: InvalidRows): Promise<void> {
  const unknown = await tx.query<{ line: number; anime_id: number }>(`${UNKNOWN_ANIME} LIMIT ${INVALID_EXAMPLES}`);
  if (unknown.rows.length > 0) {
    for (const row of unknown.rows) {
      invalid.add(new InputError(file, Number(row.line), `unknown anime_id ${row.anime_id} (not in the anime table)`));
    }
    const removed = await tx.query(
      `DELETE FROM ingest_rating s WHERE NOT EXISTS (SELECT 1 FROM anime a WHERE a.id = s.anime_id)`,
    );
    invalid.count += removed.rowCount - unknown.rows.length;
  }
  const collision = await tx.query<{ line: number; user_id: number }>(API_USER_COLLISION);
  const clash = collision.rows[0];
  if (clash) {
    throw new InputError(file, Number(clash.line), `user_id ${clash.user_id} belongs to a user created through the API`);
  }
}

/**
 * Runs `fn` with `tables`' foreign keys and secondary (non-unique) indexes dropped, then
 * re-creates them: each key is validated for all rows in one join, each index built in one
 * sort. Definitions come from the catalog, so this follows whatever the migrations define.
 */
async function withKeysAndIndexesRebuiltAfter<T>(tx: Queryable, tables: readonly string[], fn: () => Promise<T>): Promise<T> {
  const { rows: keys } = await tx.query<{ table_name: string; name: string; definition: string }>(
    `SELECT conrelid::regclass::text AS table_name, conname AS name, pg_get_constraintdef(oid) AS definition
     FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::regclass[])`,
    [tables],
  );
  const { rows: indexes } = await tx.query<{ name: string; definition: string }>(
    `SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS definition
     FROM pg_index WHERE NOT indisunique AND NOT indisprimary AND indrelid = ANY($1::regclass[])`,
    [tables],
  );
  for (const key of keys) await tx.exec(`ALTER TABLE ${key.table_name} DROP CONSTRAINT ${quoteIdent(key.name)}`);
  for (const index of indexes) await tx.exec(`DROP INDEX ${index.name}`);
  const result = await fn();
  for (const index of indexes) await tx.exec(index.definition);
  for (const key of keys) {
    await tx.exec(`ALTER TABLE ${key.table_name} ADD CONSTRAINT ${quoteIdent(key.name)} ${key.definition}`);
  }
  return result;
}

async function mergeRatings(tx: Queryable, filters: RatingFilters, mayRepeat: boolean) {
  const stagedRows = (await tx.query<{ n: number }>('SELECT count(*) AS n FROM ingest_rating')).rows[0]!.n;
  const kept = keptRatingsSql(filters, mayRepeat);
  await tx.query(kept.sql, kept.params);
  const keptCount = (await tx.query<{ n: number }>('SELECT count(*) AS n FROM ingest_kept')).rows[0]!.n;
  const users = (await tx.query<{ inserted: number }>(INSERT_USERS)).rows[0]!;
  await tx.query(ADVANCE_USER_SEQUENCE);
  const merge = async () => {
    const updated = (await tx.query(UPDATE_RATINGS)).rowCount;
    const ratings = { updated, inserted: (await tx.query(INSERT_RATINGS)).rowCount };
    await tx.query(DROP_SUPERSEDED_WATCHED);
    const watched = { inserted: (await tx.query(INSERT_WATCHED)).rowCount };
    return { ratings, watched };
  };
  const { ratings, watched } =
    keptCount >= BULK_FOREIGN_KEY_ROWS ? await withKeysAndIndexesRebuiltAfter(tx, ['rating', 'watched'], merge) : await merge();
  return { keptCount, filtered: stagedRows - keptCount, users, ratings, watched };
}

/** Ingests the given files; see the module comment for the guarantees. */
export async function ingest(db: Database, options: IngestOptions): Promise<IngestReport> {
  const started = performance.now();
  const { format, animePath, ratingsPath } = options;
  const filters = options.filters ?? NO_FILTERS;
  const progress = options.progress ?? silentProgress;
  if (animePath === undefined && ratingsPath === undefined) {
    throw new Error('nothing to ingest: give an anime file, a ratings file or both');
  }
  const invalid = new InvalidRows(options.skipInvalid ?? false);
  const stage: StageContext = { format, invalid, progress, signal: options.signal };
  const report = await db.transaction(async (tx) => {
    const result: Omit<IngestReport, 'invalid' | 'seconds'> = {
      anime: { read: 0, inserted: 0, updated: 0 },
      ratings: { read: 0, filtered: 0, inserted: 0, updated: 0, watchedInserted: 0 },
      users: { inserted: 0 },
    };
    if (animePath !== undefined) {
      result.anime.read = await stageAnime(tx, animePath, stage);
      result.anime.updated = (await tx.query(UPDATE_ANIME)).rowCount;
      result.anime.inserted = (await tx.query(INSERT_ANIME)).rowCount;
    }
    if (ratingsPath !== undefined) {
      const staged = await stageRatings(tx, ratingsPath, stage);
      result.ratings.read = staged.rows;
      await checkRatingReferences(tx, ratingsPath, invalid);
      const merged = await mergeRatings(tx, filters, staged.mayRepeat);
      result.ratings.filtered = merged.filtered;
      result.ratings.inserted = merged.ratings.inserted;
      result.ratings.updated = merged.ratings.updated;
      result.ratings.watchedInserted = merged.watched.inserted;
      result.users.inserted = merged.users.inserted;
    }
    if (animePath !== undefined) await tx.query(COUNT_MEMBERS);
    return result;
  });
  return { ...report, invalid: { count: invalid.count, examples: invalid.examples }, seconds: (performance.now() - started) / 1000 };
}
