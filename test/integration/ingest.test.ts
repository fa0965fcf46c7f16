/** Ingestion of real slices of the shipped data and of broken files, on both drivers. */
import { gzipSync } from 'node:zlib';
import type { Database } from '../../src/db/database';
import { kaggleFormat } from '../../src/ingest/formats/kaggle';
import { movielensFormat } from '../../src/ingest/formats/movielens';
import { NO_FILTERS, PRESETS } from '../../src/ingest/filters';
import { ingest } from '../../src/ingest/ingest';
import { headLines, SHIPPED_ANIME, SHIPPED_RATINGS, shippedText } from '../helpers/data-slices';
import { describeEachDriver, useDatabaseWithFiles, type TestDatabase } from '../helpers/databases';
import { resolve } from 'node:path';

const RATING_ROWS = 3000;
const MOVIELENS = resolve(__dirname, '../fixtures/movielens');

/** Everything ingestion can change, as one comparable value. */
async function snapshot(db: Database): Promise<Record<string, unknown>> {
  const { rows } = await db.query(`
    SELECT (SELECT count(*) FROM anime) AS anime,
           (SELECT md5(string_agg(id || '|' || name || '|' || array_to_string(genres, ';') || '|' || coalesce(type, '') || '|' ||
                                  coalesce(episodes::text, '') || '|' || coalesce(community_rating::text, '') || '|' || members, ',' ORDER BY id)) FROM anime) AS anime_hash,
           (SELECT count(*) FROM app_user) AS users,
           (SELECT md5(string_agg(user_id || ':' || anime_id || ':' || rating, ',' ORDER BY user_id, anime_id)) FROM rating) AS ratings_hash,
           (SELECT count(*) FROM rating) AS ratings,
           (SELECT count(*) FROM watched) AS watched`);
  return rows[0]!;
}

/** The shipped slice's expected contents, computed from the text independently of the ingester. */
function expectedSlice(text: string) {
  const rows = text.trim().split('\r\n').slice(1).map((line) => line.split(',').map(Number) as [number, number, number]);
  return {
    explicit: rows.filter(([, , r]) => r > 0).length,
    watched: rows.filter(([, , r]) => r === -1).length,
    users: new Set(rows.map(([u]) => u)).size,
  };
}

describeEachDriver('ingest', (driver) => {
  const env = useDatabaseWithFiles(driver);
  let ratingsSlice: string;
  beforeAll(async () => {
    ratingsSlice = headLines(SHIPPED_RATINGS, RATING_ROWS);
  });

  it('loads the shipped anime file and a real rating slice with the right counts', async () => {
    const ratings = env.files.write('rating.csv', ratingsSlice);
    const report = await ingest(env.test.db, { format: kaggleFormat, animePath: SHIPPED_ANIME, ratingsPath: ratings });
    const expected = expectedSlice(ratingsSlice);
    expect(report.anime).toEqual({ read: 12294, inserted: 12294, updated: 0 });
    expect(report.ratings).toMatchObject({ read: RATING_ROWS, inserted: expected.explicit, watchedInserted: expected.watched, filtered: 0 });
    expect(report.users.inserted).toBe(expected.users);
    expect(await snapshot(env.test.db)).toMatchObject({ anime: 12294, ratings: expected.explicit, watched: expected.watched, users: expected.users });
    if (driver.name === 'embedded') {
      // PGlite has no autovacuum: the load itself gathers the planner's statistics.
      const { rows } = await env.test.db.query<{ tablename: string }>(
        `SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema() AND tablename IN ('anime', 'app_user', 'rating', 'watched') ORDER BY tablename`,
      );
      expect(rows.map((row) => row.tablename)).toEqual(['anime', 'app_user', 'rating', 'watched']);
    }
  });

  it.each([
    // quoted name with a comma, genres list, community rating
    [32281, { name: 'Kimi no Na wa.', genres: ['Drama', 'Romance', 'School', 'Supernatural'], type: 'Movie', episodes: 1, community_rating: 9.37, members: 200630 }],
    // HTML entity in the source name
    [9969, { name: "Gintama'", type: 'TV', episodes: 51 }],
    // `Unknown` episodes (still airing)
    [21, { name: 'One Piece', type: 'TV', episodes: null }],
  ])('keeps anime %i as the source says', async (id, fields) => {
    const { rows } = await env.test.db.query('SELECT name, genres, type, episodes, community_rating, members FROM anime WHERE id = $1', [id]);
    expect(rows[0]).toMatchObject(fields);
    if ('community_rating' in fields) expect(rows[0]!.community_rating).toBeCloseTo(fields.community_rating as number, 5);
  });

  it('reads names with commas and quotes, empty community ratings and empty types', async () => {
    const source = shippedText(SHIPPED_ANIME).split('\r\n').slice(1).filter(Boolean);
    const quotedComma = source.find((line) => /^\d+,"[^"]*,[^"]*",/.test(line))!;
    const id = Number(quotedComma.split(',')[0]);
    const name = quotedComma.match(/^\d+,"((?:[^"]|"")*)"/)![1]!.replace(/""/g, '"');
    const { rows } = await env.test.db.query<{ name: string }>('SELECT name FROM anime WHERE id = $1', [id]);
    expect(rows[0]!.name).toBe(name);
    const noScore = source.filter((line) => /,,\d+$/.test(line)).length;
    const stored = await env.test.db.query<{ n: number }>('SELECT count(*) AS n FROM anime WHERE community_rating IS NULL');
    expect(stored.rows[0]!.n).toBe(noScore);
    const noType = await env.test.db.query<{ n: number }>('SELECT count(*) AS n FROM anime WHERE type IS NULL');
    expect(noType.rows[0]!.n).toBe(25);
  });

  it('keeps -1 rows as watched-unrated pairs, never as ratings', async () => {
    const minusOne = ratingsSlice.split('\r\n').find((line) => line.endsWith(',-1'))!.split(',').map(Number);
    const watched = await env.test.db.query('SELECT 1 FROM watched WHERE user_id = $1 AND anime_id = $2', minusOne.slice(0, 2));
    const rated = await env.test.db.query('SELECT 1 FROM rating WHERE user_id = $1 AND anime_id = $2', minusOne.slice(0, 2));
    expect([watched.rowCount, rated.rowCount]).toEqual([1, 0]);
  });

  it('is idempotent: the same files again change nothing', async () => {
    const before = await snapshot(env.test.db);
    const report = await ingest(env.test.db, { format: kaggleFormat, animePath: SHIPPED_ANIME, ratingsPath: env.files.write('rating.csv', ratingsSlice) });
    expect(report.anime).toMatchObject({ inserted: 0, updated: 0 });
    expect(report.ratings).toMatchObject({ inserted: 0, updated: 0, watchedInserted: 0 });
    expect(report.users.inserted).toBe(0);
    expect(await snapshot(env.test.db)).toEqual(before);
  });

  it('reads gzip files the same as plain ones', async () => {
    const before = await snapshot(env.test.db);
    const report = await ingest(env.test.db, { format: kaggleFormat, ratingsPath: env.files.write('rating.csv.gz', gzipSync(ratingsSlice)) });
    expect(report.ratings.read).toBe(RATING_ROWS);
    expect(await snapshot(env.test.db)).toEqual(before);
  });

  it('updates a changed rating, and an explicit rating replaces watched-unrated', async () => {
    const [user, anime] = ratingsSlice.split('\r\n').find((line) => line.endsWith(',-1'))!.split(',').map(Number);
    const [user2, anime2, old] = ratingsSlice.split('\r\n')[1]!.split(',').map(Number);
    const changed = (old! % 10) + 1;
    const file = env.files.write('update.csv', `user_id,anime_id,rating\r\n${user},${anime},7\r\n${user2},${anime2},${changed}\r\n`);
    const report = await ingest(env.test.db, { format: kaggleFormat, ratingsPath: file });
    expect(report.ratings).toMatchObject({ inserted: 1, updated: 1 });
    const { rows } = await env.test.db.query<{ rating: number }>('SELECT rating FROM rating WHERE user_id = $1 AND anime_id = $2', [user2, anime2]);
    expect(rows[0]!.rating).toBe(changed);
    const watched = await env.test.db.query('SELECT 1 FROM watched WHERE user_id = $1 AND anime_id = $2', [user, anime]);
    expect(watched.rowCount).toBe(0);
  });

  const HEADER = 'user_id,anime_id,rating\r\n';
  const ANIME_HEADER = 'anime_id,name,genre,type,episodes,rating,members\r\n';
  it.each([
    ['a non-numeric rating', 'ratings', `${HEADER}1,20,8\r\n1,21,abc\r\n`, 'bad.csv:3: rating must be an integer, found "abc"'],
    ['an out-of-range rating', 'ratings', `${HEADER}1,20,11\r\n`, 'bad.csv:2: rating must be -1 (watched) or between 1 and 10, found 11'],
    ['a rating of 0', 'ratings', `${HEADER}1,20,0\r\n`, 'bad.csv:2: rating must be -1 (watched) or between 1 and 10, found 0'],
    ['a missing column', 'ratings', `${HEADER}1,20,8\r\n1,21\r\n`, 'bad.csv:3: expected 3 columns, found 2'],
    ['an unknown anime id', 'ratings', `${HEADER}1,20,8\r\n2,999999,5\r\n`, 'bad.csv:3: unknown anime_id 999999 (not in the anime table)'],
    ['a non-numeric user id', 'ratings', `${HEADER}x,20,8\r\n`, 'bad.csv:2: user_id must be an integer, found "x"'],
    ['bad UTF-8', 'anime', Buffer.concat([Buffer.from(`${ANIME_HEADER}1,Fine,Drama,TV,1,7.0,10\r\n2,Bad\xff`, 'latin1'), Buffer.from(',Drama,TV,1,7.0,10\r\n')]), 'bad.csv:3: invalid UTF-8 (the file must be UTF-8 encoded)'],
    ['a truncated quote', 'anime', `${ANIME_HEADER}1,Fine,Drama,TV,1,7.0,10\r\n2,"Never closed,Drama,TV,1,7.0,10\r\n`, 'bad.csv:3: quoted field is not closed (truncated quote)'],
    ['an empty file', 'ratings', '', 'bad.csv: file is empty'],
    ['a wrong header', 'ratings', 'user,anime,score\r\n1,20,8\r\n', 'bad.csv:1: wrong header: expected "user_id,anime_id,rating", found "user,anime,score"'],
    ['a duplicate anime id', 'anime', `${ANIME_HEADER}1,One,Drama,TV,1,7.0,10\r\n1,Again,Drama,TV,1,7.0,10\r\n`, 'bad.csv:3: duplicate anime_id 1 (first on line 2)'],
    ['Unknown members', 'anime', `${ANIME_HEADER}1,One,Drama,TV,1,7.0,Unknown\r\n`, 'bad.csv:2: members must be an integer, found "Unknown"'],
  ])('stops at %s with file:line and leaves the database as it was', async (_case, which, content, message) => {
    const before = await snapshot(env.test.db);
    const bad = env.files.write('bad.csv', content);
    const path = (message: string) => message.replace(/^bad\.csv/, bad);
    const run = ingest(env.test.db, which === 'anime' ? { format: kaggleFormat, animePath: bad } : { format: kaggleFormat, ratingsPath: bad });
    await expect(run).rejects.toThrow(path(message));
    expect(await snapshot(env.test.db)).toEqual(before);
  });

  it('refuses a run with no file as bad input (BAD_USER_INPUT), and a bad row as a bad input file (BAD_INPUT_FILE)', async () => {
    await expect(ingest(env.test.db, { format: kaggleFormat })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: 'nothing to ingest: give an anime file, a ratings file or both' });
    const ratings = env.files.write('eleven.csv', `${HEADER}1,20,eleven\r\n`);
    await expect(ingest(env.test.db, { format: kaggleFormat, ratingsPath: ratings })).rejects.toMatchObject({ code: 'BAD_INPUT_FILE' });
  });

  it('rolls back the anime file too when the ratings file of the same run is bad', async () => {
    const before = await snapshot(env.test.db);
    const anime = env.files.write('anime-changed.csv', `${ANIME_HEADER}5000001,Brand New,Drama,TV,12,7.5,100\r\n`);
    const ratings = env.files.write('bad.csv', `${HEADER}1,5000001,8\r\n1,20,eleven\r\n`);
    await expect(ingest(env.test.db, { format: kaggleFormat, animePath: anime, ratingsPath: ratings })).rejects.toThrow(`${ratings}:3:`);
    expect(await snapshot(env.test.db)).toEqual(before);
  });

  it('skips bad rows with skipInvalid, counting them and showing the first ones', async () => {
    const file = env.files.write(
      'mixed.csv',
      `${HEADER}1,20,8\r\n1,21,abc\r\n1,22\r\n1,2"4,7\r\n1,999999,5\r\n1,23,6\r\n`,
    );
    const report = await ingest(env.test.db, { format: kaggleFormat, ratingsPath: file, skipInvalid: true });
    expect(report.invalid.count).toBe(4);
    expect(report.invalid.examples).toEqual([
      `${file}:3: rating must be an integer, found "abc"`,
      `${file}:4: expected 3 columns, found 2`,
      `${file}:5: a quote appears inside an unquoted field`,
      `${file}:6: unknown anime_id 999999 (not in the anime table)`,
    ]);
    const { rows } = await env.test.db.query<{ anime_id: number; rating: number }>(
      'SELECT anime_id, rating FROM rating WHERE user_id = 1 AND anime_id IN (20, 21, 22, 23) ORDER BY anime_id',
    );
    expect(rows).toEqual([{ anime_id: 20, rating: 8 }, { anime_id: 23, rating: 6 }]);
  });

  it('keeps the last row of a (user, anime) pair repeated in one file', async () => {
    const file = env.files.write('repeat.csv', `${HEADER}2,30,3\r\n2,30,9\r\n`);
    await ingest(env.test.db, { format: kaggleFormat, ratingsPath: file });
    const { rows } = await env.test.db.query<{ rating: number }>('SELECT rating FROM rating WHERE user_id = 2 AND anime_id = 30');
    expect(rows[0]!.rating).toBe(9);
  });
});

/**
 * The notebook's preprocessing on a synthetic file big enough for its real thresholds:
 * drop -1, keep TV, keep anime with more than 5000 explicit ratings, keep user_id < 10000.
 */
describeEachDriver('ingest --preset notebook', (driver) => {
  const env = useDatabaseWithFiles(driver);
  const ANIME = [
    [101, 'Kept TV', 'TV'],
    [102, 'Exactly 5000', 'TV'],
    [103, 'A movie', 'Movie'],
    [104, 'TV with watchers', 'TV'],
  ] as const;
  const rows: [number, number, number][] = [];
  const rate = (user: number, anime: number, rating?: number) => rows.push([user, anime, rating ?? ((user * 7 + anime) % 10) + 1]);
  for (let u = 5000; u <= 10500; u++) rate(u, 101); // 5501 ratings, users above 9999 among them
  for (let u = 1; u <= 5000; u++) rate(u, 102); // exactly 5000 explicit: not MORE than 5000
  for (let u = 5001; u <= 5100; u++) rate(u, 102, -1); // -1 rows do not count
  for (let u = 1; u <= 5500; u++) rate(u, 103); // popular, but not TV
  for (let u = 1; u <= 5001; u++) rate(u, 104);
  for (let u = 6000; u <= 6010; u++) rate(u, 104, -1);

  /** The notebook's steps, written out plainly over the same rows. */
  function notebookExpectation(): string[] {
    const explicit = rows.filter(([, , r]) => r !== -1);
    const tv = new Set(ANIME.filter(([, , type]) => type === 'TV').map(([id]) => id as number));
    const counts = new Map<number, number>();
    for (const [, a] of explicit) counts.set(a, (counts.get(a) ?? 0) + 1);
    return explicit
      .filter(([u, a]) => tv.has(a) && (counts.get(a) ?? 0) > 5000 && u < 10000)
      .map(([u, a, r]) => `${u}:${a}:${r}`)
      .sort();
  }

  beforeAll(async () => {
  });

  it('filters exactly as the notebook does', async () => {
    const anime = env.files.write('anime.csv', `anime_id,name,genre,type,episodes,rating,members\r\n${ANIME.map(([id, name, type]) => `${id},${name},Drama,${type},12,7.0,100`).join('\r\n')}\r\n`);
    const ratings = env.files.write('rating.csv', `user_id,anime_id,rating\r\n${rows.map((r) => r.join(',')).join('\r\n')}\r\n`);
    const report = await ingest(env.test.db, { format: kaggleFormat, animePath: anime, ratingsPath: ratings, filters: PRESETS.notebook });
    const expected = notebookExpectation();
    const { rows: stored } = await env.test.db.query<{ key: string }>(`SELECT user_id || ':' || anime_id || ':' || rating AS key FROM rating`);
    expect(stored.map((r) => r.key).sort()).toEqual(expected);
    expect(expected.length).toBe(5000 + 5001);
    expect(report.ratings).toMatchObject({ read: rows.length, inserted: expected.length, filtered: rows.length - expected.length, watchedInserted: 0 });
    const watched = await env.test.db.query<{ n: number }>('SELECT count(*) AS n FROM watched');
    expect(watched.rows[0]!.n).toBe(0);
    const users = await env.test.db.query<{ max: number }>('SELECT max(id) AS max FROM app_user');
    expect(users.rows[0]!.max).toBe(9999);
  });

  it('has the notebook values', () => {
    expect(PRESETS.notebook).toEqual({ dropUnrated: true, types: ['TV'], minAnimeRatings: 5000, userIdBelow: 10000 });
    expect(NO_FILTERS).toEqual({ dropUnrated: false, types: null, minAnimeRatings: null, userIdBelow: null });
  });
});

describeEachDriver('ingest --format movielens', (driver) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await driver.open();
  });
  afterAll(() => test.dispose());

  it.each([
    ['100k', 'u.item', 'u.data'],
    ['latest', 'movies.csv', 'ratings.csv'],
  ])('loads the %s layout on the 1-10 scale with members counted from ratings', async (layout, items, ratings) => {
    const report = await ingest(test.db, {
      format: movielensFormat,
      animePath: `${MOVIELENS}/${layout}/${items}`,
      ratingsPath: `${MOVIELENS}/${layout}/${ratings}`,
    });
    expect(report.invalid.count).toBe(0);
    expect(report.ratings.inserted).toBeGreaterThan(0);
    const { rows } = await test.db.query<{ bad: number }>(
      `SELECT count(*) AS bad FROM anime a
       WHERE a.members <> (SELECT count(*) FROM rating r WHERE r.anime_id = a.id) + (SELECT count(*) FROM watched w WHERE w.anime_id = a.id)`,
    );
    expect(rows[0]!.bad).toBe(0);
    const range = await test.db.query<{ min: number; max: number }>('SELECT min(rating) AS min, max(rating) AS max FROM rating');
    expect(range.rows[0]!.min).toBeGreaterThanOrEqual(1);
    expect(range.rows[0]!.max).toBeLessThanOrEqual(10);
    const types = await test.db.query<{ type: string }>('SELECT DISTINCT type FROM anime');
    expect(types.rows).toEqual([{ type: 'Movie' }]);
    await test.db.exec('TRUNCATE rating, watched, app_user, anime CASCADE');
  });
});

/**
 * The two ways ratings reach the tables: a first load (empty rating and watched) writes
 * straight into them while the file's pairs increase, staging the rest once the order breaks;
 * any later load stages everything and merges. Both must give what "the last row of a pair
 * wins" gives, computed here from the rows themselves.
 */
describeEachDriver('ingest: first load and merge', (driver) => {
  const env = useDatabaseWithFiles(driver);
  const HEADER = 'user_id,anime_id,rating\r\n';
  const ANIME = `anime_id,name,genre,type,episodes,rating,members\r\n${[1, 2, 3, 4, 5]
    .map((id) => `${id},Anime ${id},Drama,${id === 5 ? 'Movie' : 'TV'},12,7.0,100`)
    .join('\r\n')}\r\n`;
  // A sorted run, then rows that break the order: repeats that change a rating, turn a rating
  // into -1 and back, and new pairs (some for users met before).
  const ROWS: [number, number, number][] = [
    [1, 1, 5], [1, 2, -1], [1, 3, 7], [2, 1, 4], [2, 5, 9], [3, 2, -1], [3, 4, 2],
    [1, 3, 8], [2, 1, -1], [1, 2, 6], [4, 4, 4], [2, 2, 3], [3, 2, -1], [1, 1, 5], [2, 1, 10],
  ];
  const ratingsText = (rows: [number, number, number][]) => HEADER + rows.map((r) => `${r.join(',')}\r\n`).join('');

  /** Last row of each pair wins; returns sorted `user:anime:rating` keys of rating and watched. */
  function lastWins(rows: [number, number, number][], keep: (row: [number, number, number]) => boolean = () => true) {
    const last = new Map<string, number>();
    for (const row of rows.filter(keep)) last.set(`${row[0]}:${row[1]}`, row[2]);
    const entries = [...last].sort(([a], [b]) => a.localeCompare(b));
    return {
      rated: entries.filter(([, r]) => r > 0).map(([pair, r]) => `${pair}:${r}`),
      watched: entries.filter(([, r]) => r === -1).map(([pair]) => pair),
    };
  }

  async function stored(db: Database) {
    const rated = await db.query<{ key: string }>(`SELECT user_id || ':' || anime_id || ':' || rating AS key FROM rating ORDER BY 1`);
    const watched = await db.query<{ key: string }>(`SELECT user_id || ':' || anime_id AS key FROM watched ORDER BY 1`);
    return { rated: rated.rows.map((r) => r.key), watched: watched.rows.map((r) => r.key) };
  }

  /** Keys, indexes and checks of the rating tables, which a first load drops and re-creates. */
  async function definitions(db: Database): Promise<string[]> {
    const { rows } = await db.query<{ def: string }>(`
      SELECT conname || ' ' || pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid IN ('rating'::regclass, 'watched'::regclass)
      UNION ALL SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid IN ('rating'::regclass, 'watched'::regclass)
      ORDER BY 1`);
    return rows.map((r) => r.def);
  }

  beforeAll(async () => {
    await ingest(env.test.db, { format: kaggleFormat, animePath: env.files.write('anime.csv', ANIME) });
  });
  // Every test starts from the catalog alone: no ratings, no users.
  beforeEach(() => env.test.db.exec('TRUNCATE rating, watched, app_user CASCADE'));

  it('a first load of a file whose order breaks gives the last row of every pair, and keeps keys and indexes', async () => {
    const before = await definitions(env.test.db);
    expect(before.length).toBeGreaterThanOrEqual(7);
    const report = await ingest(env.test.db, { format: kaggleFormat, ratingsPath: env.files.write('r.csv', ratingsText(ROWS)) });
    const expected = lastWins(ROWS);
    expect(await stored(env.test.db)).toEqual(expected);
    expect(report.ratings).toEqual({
      read: ROWS.length,
      filtered: ROWS.length - expected.rated.length - expected.watched.length,
      inserted: expected.rated.length,
      updated: 0,
      watchedInserted: expected.watched.length,
    });
    expect(report.users.inserted).toBe(4);
    expect(await definitions(env.test.db)).toEqual(before);
    // The same file again goes through the merge: nothing changes.
    const again = await ingest(env.test.db, { format: kaggleFormat, ratingsPath: env.files.write('r.csv', ratingsText(ROWS)) });
    expect(again.ratings).toMatchObject({ inserted: 0, updated: 0, watchedInserted: 0 });
    expect(await stored(env.test.db)).toEqual(expected);
  });

  it('a first load and a merge into a non-empty database agree, filters included', async () => {
    const filters = { dropUnrated: false, types: ['TV'], minAnimeRatings: null, userIdBelow: 4 };
    const keep = ([user, anime]: [number, number, number]) => user < 4 && anime !== 5;
    await ingest(env.test.db, { format: kaggleFormat, ratingsPath: env.files.write('r.csv', ratingsText(ROWS)), filters });
    const first = await stored(env.test.db);
    expect(first).toEqual(lastWins(ROWS, keep));
    // Merge path: the tables already hold another user's rating, kept apart from the comparison.
    await env.test.db.exec('TRUNCATE rating, watched');
    await env.test.db.exec(`INSERT INTO app_user (id, source) VALUES (9, 'ingest') ON CONFLICT DO NOTHING; INSERT INTO rating (user_id, anime_id, rating) VALUES (9, 1, 1)`);
    const report = await ingest(env.test.db, { format: kaggleFormat, ratingsPath: env.files.write('r.csv', ratingsText(ROWS)), filters });
    expect(report.ratings.inserted).toBe(first.rated.length);
    const merged = await stored(env.test.db);
    expect({ ...merged, rated: merged.rated.filter((key) => !key.startsWith('9:')) }).toEqual(first);
    // dropUnrated on a first load
    await env.test.db.exec('TRUNCATE rating, watched');
    await ingest(env.test.db, { format: kaggleFormat, ratingsPath: env.files.write('r.csv', ratingsText(ROWS)), filters: { ...filters, dropUnrated: true } });
    expect(await stored(env.test.db)).toEqual(lastWins(ROWS, (row) => keep(row) && row[2] !== -1));
  });

  it('a first load that fails late leaves the tables, keys and indexes as they were', async () => {
    const before = await definitions(env.test.db);
    const rows = Array.from({ length: 3000 }, (_, i) => `${1 + Math.floor(i / 4)},${1 + (i % 4)},${1 + (i % 10)}`);
    const bad = env.files.write('bad.csv', `${HEADER}${rows.join('\r\n')}\r\n9999,1,11\r\n`);
    await expect(ingest(env.test.db, { format: kaggleFormat, ratingsPath: bad })).rejects.toThrow(`${bad}:3002: rating must be`);
    expect(await stored(env.test.db)).toEqual({ rated: [], watched: [] });
    expect(await definitions(env.test.db)).toEqual(before);
    const users = await env.test.db.query<{ n: number }>('SELECT count(*) AS n FROM app_user');
    expect(users.rows[0]!.n).toBe(0);
  });

  it.each([
    ['a first load', false],
    ['a merge', true],
  ])('refuses, in %s, a user id that belongs to an API user, naming its line', async (_path, seeded) => {
    if (seeded) await ingest(env.test.db, { format: kaggleFormat, ratingsPath: env.files.write('seed.csv', `${HEADER}1,1,5\r\n`) });
    const { rows } = await env.test.db.query<{ id: number }>(`INSERT INTO app_user (name, source) VALUES ('Ada', 'api') RETURNING id`);
    const apiUser = rows[0]!.id;
    const file = env.files.write('r.csv', `${HEADER}${apiUser + 1},2,7\r\n${apiUser},3,8\r\n`);
    await expect(ingest(env.test.db, { format: kaggleFormat, ratingsPath: file, skipInvalid: true })).rejects.toThrow(
      `${file}:3: user_id ${apiUser} belongs to a user created through the API`,
    );
  });
});
