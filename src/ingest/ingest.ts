/**
 * Loads a dataset's item and rating files into the database in ONE transaction: rows are
 * streamed, validated as they are read (fields, then each rating against the catalog and the
 * API's users), and bulk-copied. A first load (no ratings yet) writes straight into `rating`
 * and `watched`; later loads go through temporary staging tables, filtered (the notebook's
 * preprocessing) and merged with upserts. A bad row stops everything with
 * `file:line: what is wrong` and the database is left exactly as it was; with `skipInvalid`
 * bad rows are counted and skipped instead. Re-running is idempotent.
 */
import { InvalidInputError } from '../errors';
import type { Queryable, Database } from '../db/database';
import { InputError } from './input-error';
import { arrayLiteral, copyRow } from './copy-text';
import { CopyLane, type CopyBuffer } from './copy-lane';
import { fileSize, readTable, type TableRow } from './read-table';
import { NO_FILTERS, type RatingFilters } from './filters';
import { silentProgress, type ProgressSink } from '../progress';
import { RatingGate } from './rating-gate';
import { WATCHED_UNRATED, type AnimeRecord, type RatingRecord } from './records';
import type { DatasetFormat, TableFormat } from './table-format';
import { standAlone, withKeysAndIndexesRebuiltAfter } from './table-keys';

const INVALID_EXAMPLES = 5;
/**
 * From this many kept rows on, a merge into non-empty tables runs with their foreign keys and
 * secondary indexes dropped and re-created (see table-keys.ts): PostgreSQL checks a foreign key
 * row by row (~8 µs each: 7 s of 9.2 s for the 420k-rating sample).
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

const RATING_TABLES_EMPTY = `SELECT NOT EXISTS (SELECT 1 FROM rating) AND NOT EXISTS (SELECT 1 FROM watched) AS empty`;

const INSERT_USER_IDS = `
INSERT INTO app_user (id, source) SELECT id, 'ingest' FROM unnest($1::int[]) AS id ON CONFLICT (id) DO NOTHING`;

// First load, rows after the file's order broke: they come later in the file than any row
// already loaded, so each pair they hold replaces what is there.
const DELETE_REPLACED_RATINGS = `
DELETE FROM rating r USING ingest_kept k WHERE r.user_id = k.user_id AND r.anime_id = k.anime_id`;
const DELETE_REPLACED_WATCHED = `
DELETE FROM watched w USING ingest_kept k WHERE w.user_id = k.user_id AND w.anime_id = k.anime_id`;
const INSERT_KEPT_RATINGS = `
INSERT INTO rating (user_id, anime_id, rating) SELECT user_id, anime_id, rating FROM ingest_kept WHERE rating > 0`;
const INSERT_KEPT_WATCHED = `
INSERT INTO watched (user_id, anime_id) SELECT user_id, anime_id FROM ingest_kept WHERE rating = -1`;

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

interface ReadContext {
  format: DatasetFormat;
  invalid: InvalidRows;
  progress: ProgressSink;
  signal?: AbortSignal;
}

/** Where rows go between batches: a CopyLane, or one that also sends other statements. */
interface BatchSink {
  /** Called after each batch: sends what is due. */
  sendFull(): Promise<void>;
  /** Called at the end: sends the rest and waits for it. */
  drain(): Promise<void>;
}

/**
 * Reads `file` row by row into `onRow`, sending the full COPY buffers between batches so the
 * database loads while the next rows are read. Returns the rows read.
 */
async function readInto<T>(
  file: string,
  chooseFormat: (firstLine: string) => TableFormat<T>,
  lane: BatchSink,
  onRow: (row: TableRow<T>) => void,
  { invalid, progress, signal }: ReadContext,
  label: string,
): Promise<number> {
  let rows = 0;
  let bytes = 0;
  progress.start(label, fileSize(file));
  try {
    const batches = readTable(file, chooseFormat, {
      onInvalidRow: (error) => invalid.add(error),
      onBytesRead: (bytesRead) => (bytes = bytesRead),
    });
    for await (const batch of batches) {
      signal?.throwIfAborted();
      for (const row of batch) onRow(row);
      rows += batch.length;
      await lane.sendFull();
      progress.update(bytes, rows);
    }
    await lane.drain();
    progress.update(bytes, rows);
  } finally {
    progress.stop();
  }
  return rows;
}

/** Runs `fn` with a COPY lane; a failure waits for the statement in flight before it propagates (then the rollback). */
async function withLane<T>(tx: Queryable, fn: (lane: CopyLane) => Promise<T>): Promise<T> {
  const lane = new CopyLane(tx);
  try {
    return await fn(lane);
  } catch (error) {
    await lane.settle();
    throw error;
  }
}

async function stageAnime(tx: Queryable, file: string, context: ReadContext): Promise<number> {
  await tx.exec(STAGE_ANIME);
  const firstLineOf = new Map<number, number>();
  return withLane(tx, (lane) => {
    const staged = lane.buffer('ingest_anime', ['id', 'name', 'genres', 'type', 'episodes', 'community_rating', 'members']);
    const onRow = ({ line, record: a }: TableRow<AnimeRecord>) => {
      const first = firstLineOf.get(a.id);
      if (first !== undefined) {
        context.invalid.add(new InputError(file, line, `duplicate anime_id ${a.id} (first on line ${first})`));
        return;
      }
      firstLineOf.set(a.id, line);
      staged.addText(copyRow([a.id, a.name, arrayLiteral(a.genres), a.type, a.episodes, a.communityRating, a.members]));
    };
    return readInto(file, (line) => context.format.animeTable(line), lane, onRow, context, 'anime  ');
  });
}

const RATING_TABLES = ['rating', 'watched'] as const;
const STAGED_RATING_COLUMNS = ['line', 'user_id', 'anime_id', 'rating'] as const;
/** Users are inserted in batches of this many ids while a sorted file is read. */
const USER_BATCH = 50_000;

interface RatingsOutcome {
  read: number;
  filtered: number;
  inserted: number;
  updated: number;
  watchedInserted: number;
  usersInserted: number;
}

/**
 * The users of a first load's rows (the file is sorted: each new user comes once), inserted in
 * batches through the lane while reading goes on; a BatchSink that also sends the lane's COPYs.
 */
class UserInserts implements BatchSink {
  private ids: number[] = [];
  inserted = 0;

  constructor(
    private readonly tx: Queryable,
    private readonly lane: CopyLane,
  ) {}

  add(userId: number): void {
    if (this.ids[this.ids.length - 1] !== userId) this.ids.push(userId);
  }

  async sendFull(): Promise<void> {
    if (this.ids.length >= USER_BATCH) await this.send();
    await this.lane.sendFull();
  }

  async drain(): Promise<void> {
    if (this.ids.length > 0) await this.send();
    await this.lane.drain();
  }

  private async send(): Promise<void> {
    const ids = this.ids;
    this.ids = [];
    // A user whose rows straddle two batches is sent twice: ON CONFLICT keeps one.
    await this.lane.enqueue(async () => {
      this.inserted += (await this.tx.query(INSERT_USER_IDS, [ids])).rowCount;
    });
  }
}

/**
 * True when `rating` and `watched` are empty, checked under a lock that keeps them so until
 * commit (first loads then write straight into them). The cheap unlocked look comes first, so
 * a load into a non-empty database never takes the lock.
 */
async function claimEmptyRatingTables(tx: Queryable): Promise<boolean> {
  const empty = async () => (await tx.query<{ empty: boolean }>(RATING_TABLES_EMPTY)).rows[0]!.empty;
  if (!(await empty())) return false;
  await tx.exec(`LOCK TABLE ${RATING_TABLES.join(', ')} IN ACCESS EXCLUSIVE MODE`);
  return empty();
}

/** One way of loading the ratings file inside the ingest transaction. */
type RatingsLoader = (tx: Queryable, file: string, gate: RatingGate, filters: RatingFilters, context: ReadContext) => Promise<RatingsOutcome>;

/**
 * First load (empty `rating` and `watched`): rows go straight into the final tables, with their
 * keys and indexes rebuilt after, while the file's (user, anime) pairs keep increasing (the
 * Kaggle files are sorted). From the first row that breaks the order on, rows are staged and
 * merged at the end, the last row of a pair winning, as in a general load.
 */
const loadIntoEmptyTables: RatingsLoader = async (tx, file, gate, filters, context) => {
  // TRUNCATE (of empty tables) lets COPY write the rows frozen: no later pass sets their hint bits.
  const truncate = await standAlone(tx, RATING_TABLES);
  return withKeysAndIndexesRebuiltAfter(tx, RATING_TABLES, { primaryKeys: truncate }, () =>
    withLane(tx, async (lane) => {
      if (truncate) await tx.exec(`TRUNCATE ${RATING_TABLES.join(', ')}`);
      const freeze = { freeze: truncate };
      const rated = lane.buffer('rating', ['user_id', 'anime_id', 'rating'], freeze);
      const watched = lane.buffer('watched', ['user_id', 'anime_id'], freeze);
      let staged: CopyBuffer | null = null;
      const users = new UserInserts(tx, lane);
      let previousUser = -1;
      let previousAnime = -1;
      let filtered = 0;
      const onRow = ({ line, record: r }: TableRow<RatingRecord>) => {
        const problem = gate.check(line, r);
        if (problem !== null) {
          context.invalid.add(problem);
          return;
        }
        if (staged === null && (r.userId > previousUser || (r.userId === previousUser && r.animeId > previousAnime))) {
          previousUser = r.userId;
          previousAnime = r.animeId;
          if (!gate.keeps(r)) {
            filtered++;
            return;
          }
          if (r.rating === WATCHED_UNRATED) watched.addIntegers(r.userId, r.animeId);
          else rated.addIntegers(r.userId, r.animeId, r.rating);
          users.add(r.userId);
          return;
        }
        staged ??= lane.buffer('ingest_rating', STAGED_RATING_COLUMNS);
        staged.addIntegers(line, r.userId, r.animeId, r.rating);
      };
      await tx.exec(STAGE_RATINGS);
      const read = await readInto(file, (line) => context.format.ratingsTable(line), users, onRow, context, 'ratings');
      const outcome: RatingsOutcome = {
        read,
        filtered,
        inserted: rated.rows,
        updated: 0,
        watchedInserted: watched.rows,
        usersInserted: users.inserted,
      };
      if (staged === null) return outcome;
      // Rows after the order broke: the last row of each pair wins, over the rows loaded before too.
      const later = await keepRatings(tx, filters, true);
      const replacedRatings = (await tx.query(DELETE_REPLACED_RATINGS)).rowCount;
      const replacedWatched = (await tx.query(DELETE_REPLACED_WATCHED)).rowCount;
      const insertedRatings = (await tx.query(INSERT_KEPT_RATINGS)).rowCount;
      const insertedWatched = (await tx.query(INSERT_KEPT_WATCHED)).rowCount;
      const laterUsers = (await tx.query<{ inserted: number }>(INSERT_USERS)).rows[0]!.inserted;
      return {
        read,
        filtered: filtered + later.filtered + replacedRatings + replacedWatched,
        inserted: rated.rows - replacedRatings + insertedRatings,
        updated: 0,
        watchedInserted: watched.rows - replacedWatched + insertedWatched,
        usersInserted: users.inserted + laterUsers,
      };
    }),
  );
};

/**
 * General load (ratings already in the database, or a filter that needs the whole file): every
 * row is staged, then filtered, de-duplicated and merged with upserts.
 */
const loadThroughStaging: RatingsLoader = async (tx, file, gate, filters, context) => {
  await tx.exec(STAGE_RATINGS);
  let previousUser = -1;
  let previousAnime = -1;
  let mayRepeat = false;
  const read = await withLane(tx, (lane) => {
    const staged = lane.buffer('ingest_rating', STAGED_RATING_COLUMNS);
    const onRow = ({ line, record: r }: TableRow<RatingRecord>) => {
      const problem = gate.check(line, r);
      if (problem !== null) {
        context.invalid.add(problem);
        return;
      }
      if (r.userId < previousUser || (r.userId === previousUser && r.animeId <= previousAnime)) mayRepeat = true;
      previousUser = r.userId;
      previousAnime = r.animeId;
      staged.addIntegers(line, r.userId, r.animeId, r.rating);
    };
    return readInto(file, (line) => context.format.ratingsTable(line), lane, onRow, context, 'ratings');
  });
  const kept = await keepRatings(tx, filters, mayRepeat);
  const usersInserted = (await tx.query<{ inserted: number }>(INSERT_USERS)).rows[0]!.inserted;
  const merge = async () => {
    const updated = (await tx.query(UPDATE_RATINGS)).rowCount;
    const inserted = (await tx.query(INSERT_RATINGS)).rowCount;
    await tx.query(DROP_SUPERSEDED_WATCHED);
    const watchedInserted = (await tx.query(INSERT_WATCHED)).rowCount;
    return { updated, inserted, watchedInserted };
  };
  const merged =
    kept.count >= BULK_FOREIGN_KEY_ROWS
      ? await withKeysAndIndexesRebuiltAfter(tx, RATING_TABLES, { primaryKeys: false }, merge)
      : await merge();
  return { read, filtered: kept.filtered, usersInserted, ...merged };
};

/** Fills ingest_kept from ingest_rating: filtered, and de-duplicated when pairs may repeat. */
async function keepRatings(tx: Queryable, filters: RatingFilters, mayRepeat: boolean): Promise<{ count: number; filtered: number }> {
  const staged = (await tx.query<{ n: number }>('SELECT count(*) AS n FROM ingest_rating')).rows[0]!.n;
  const kept = keptRatingsSql(filters, mayRepeat);
  await tx.query(kept.sql, kept.params);
  const count = (await tx.query<{ n: number }>('SELECT count(*) AS n FROM ingest_kept')).rows[0]!.n;
  return { count, filtered: staged - count };
}

async function loadRatings(tx: Queryable, file: string, filters: RatingFilters, context: ReadContext): Promise<RatingsOutcome> {
  const gate = await RatingGate.load(tx, file, filters);
  const direct = filters.minAnimeRatings === null && (await claimEmptyRatingTables(tx));
  const outcome = direct
    ? await loadIntoEmptyTables(tx, file, gate, filters, context)
    : await loadThroughStaging(tx, file, gate, filters, context);
  await tx.query(ADVANCE_USER_SEQUENCE);
  return outcome;
}

/** Ingests the given files; see the module comment for the guarantees. */
export async function ingest(db: Database, options: IngestOptions): Promise<IngestReport> {
  const started = performance.now();
  const { format, animePath, ratingsPath } = options;
  const filters = options.filters ?? NO_FILTERS;
  const progress = options.progress ?? silentProgress;
  if (animePath === undefined && ratingsPath === undefined) {
    throw new InvalidInputError('nothing to ingest: give an anime file, a ratings file or both');
  }
  const invalid = new InvalidRows(options.skipInvalid ?? false);
  const context: ReadContext = { format, invalid, progress, signal: options.signal };
  const report = await db.transaction(async (tx) => {
    // PGlite's sorts for the index builds touch up to maintenance_work_mem of its WebAssembly
    // memory, which never shrinks: PostgreSQL's 64MB default left ~90 MB more RSS after a
    // 7.8M-row load than 16MB, and 16MB ~8 MB more than 8MB, at the same speed (BENCHMARKS.md,
    // Memory).
    if (db.driver === 'embedded') await tx.query("SET LOCAL maintenance_work_mem = '8MB'");
    const result: Omit<IngestReport, 'invalid' | 'seconds'> = {
      anime: { read: 0, inserted: 0, updated: 0 },
      ratings: { read: 0, filtered: 0, inserted: 0, updated: 0, watchedInserted: 0 },
      users: { inserted: 0 },
    };
    if (animePath !== undefined) {
      result.anime.read = await stageAnime(tx, animePath, context);
      result.anime.updated = (await tx.query(UPDATE_ANIME)).rowCount;
      result.anime.inserted = (await tx.query(INSERT_ANIME)).rowCount;
    }
    if (ratingsPath !== undefined) {
      const { usersInserted, ...ratings } = await loadRatings(tx, ratingsPath, filters, context);
      result.ratings = ratings;
      result.users.inserted = usersInserted;
    }
    if (animePath !== undefined) await tx.query(COUNT_MEMBERS);
    return result;
  });
  // PGlite runs no autovacuum, so nothing else would ever gather the planner's statistics
  // (on PostgreSQL, autovacuum analyzes the tables after a load).
  if (db.driver === 'embedded') await db.query('ANALYZE anime, app_user, rating, watched');
  return { ...report, invalid: { count: invalid.count, examples: invalid.examples }, seconds: (performance.now() - started) / 1000 };
}
