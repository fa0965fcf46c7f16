/**
 * Property-based tests (fast-check) of the CSV ingester through its public entry point
 * (`ingest`): files with a mutated line — a byte changed, removed or inserted (invalid UTF-8,
 * NUL, quotes, separators, line breaks), a line cut short, doubled or swapped for junk — either
 * load completely or leave the database exactly as it was. Never partial data.
 */
import fc from 'fast-check';
import type { Database } from '../../src/db/database';
import { openTemplateCopy } from '../helpers/pglite-template';
import { kaggleFormat } from '../../src/ingest/formats/kaggle';
import { ingest, type IngestReport } from '../../src/ingest/ingest';
import { tempDir, type TempDir } from '../helpers/data-slices';

/** Runs per property: each is one real load into PGlite (tens of milliseconds). */
const RUNS = 40;
const ANIME_HEADER = 'anime_id,name,genre,type,episodes,rating,members';
const RATING_HEADER = 'user_id,anime_id,rating';

/** Everything ingestion can change, as one comparable value. */
async function snapshot(db: Database): Promise<Record<string, unknown>> {
  const { rows } = await db.query(`
    SELECT (SELECT count(*) FROM anime) AS anime,
           (SELECT md5(string_agg(id || '|' || name || '|' || array_to_string(genres, ';') || '|' || coalesce(type, '') || '|' ||
                                  coalesce(episodes::text, '') || '|' || coalesce(community_rating::text, '') || '|' || members, ',' ORDER BY id)) FROM anime) AS anime_hash,
           (SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM app_user) AS users_hash,
           (SELECT count(*) FROM rating) AS ratings,
           (SELECT md5(string_agg(user_id || ':' || anime_id || ':' || rating, ',' ORDER BY user_id, anime_id)) FROM rating) AS ratings_hash,
           (SELECT md5(string_agg(user_id || ':' || anime_id, ',' ORDER BY user_id, anime_id)) FROM watched) AS watched_hash`);
  return rows[0]!;
}

// ---- valid files ----

const animeLine = fc
  .record({
    id: fc.integer({ min: 1, max: 60 }),
    name: fc.oneof(fc.stringMatching(/^[A-Za-z0-9 !?.:']{1,20}$/), fc.constant('"Quoted, with comma"'), fc.constant('Gintama&#039;')),
    genres: fc.subarray(['Action', 'Comedy', 'Drama', 'Romance', 'Sci-Fi'], { minLength: 0, maxLength: 3 }),
    type: fc.constantFrom('TV', 'Movie', 'OVA', ''),
    episodes: fc.oneof(fc.integer({ min: 1, max: 500 }).map(String), fc.constant('Unknown')),
    rating: fc.oneof(fc.integer({ min: 100, max: 1000 }).map((n) => (n / 100).toFixed(2)), fc.constant('')),
    members: fc.integer({ min: 0, max: 1_000_000 }),
  })
  .map((a) => ({ id: a.id, text: `${a.id},${a.name},"${a.genres.join(', ')}",${a.type},${a.episodes},${a.rating},${a.members}` }));

/** Anime lines with distinct ids (a repeated anime id is itself an error of the file). */
const animeFile = fc.uniqueArray(animeLine, { minLength: 1, maxLength: 15, selector: (a) => a.id });

function ratingLines(animeIds: number[]) {
  return fc.array(
    fc.tuple(fc.integer({ min: 1, max: 40 }), fc.constantFrom(...animeIds), fc.oneof(fc.integer({ min: 1, max: 10 }), fc.constant(-1))).map(([u, a, r]) => `${u},${a},${r}`),
    { minLength: 1, maxLength: 40 },
  );
}

const lineBreak = fc.constantFrom('\r\n', '\n');

// ---- mutations of one line ----

const nastyChar = fc.constantFrom(',', '"', '\r', '\n', '\u0000', '-', ' ', 'x', '9', 'é', '\uFFFD', '\t', '\\');

type Mutation = (line: string) => Buffer;
const mutation: fc.Arbitrary<{ name: string; apply: Mutation }> = fc.oneof(
  fc.tuple(fc.nat(), nastyChar).map(([at, c]) => ({ name: `replace a char with ${JSON.stringify(c)}`, apply: (l: string) => Buffer.from(l.slice(0, at % (l.length + 1)) + c + l.slice((at % (l.length + 1)) + 1)) })),
  fc.tuple(fc.nat(), nastyChar).map(([at, c]) => ({ name: `insert ${JSON.stringify(c)}`, apply: (l: string) => Buffer.from(l.slice(0, at % (l.length + 1)) + c + l.slice(at % (l.length + 1))) })),
  fc.nat().map((at) => ({ name: 'delete a char', apply: (l: string) => Buffer.from(l.slice(0, at % Math.max(1, l.length)) + l.slice((at % Math.max(1, l.length)) + 1)) })),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([at, bytes]) => ({
    name: `insert bytes ${Buffer.from(bytes).toString('hex')}`,
    apply: (l: string) => {
      const b = Buffer.from(l);
      const i = at % (b.length + 1);
      return Buffer.concat([b.subarray(0, i), Buffer.from(bytes), b.subarray(i)]);
    },
  })),
  fc.nat().map((at) => ({ name: 'cut the line short', apply: (l: string) => Buffer.from(l.slice(0, at % Math.max(1, l.length))) })),
  fc.constant({ name: 'double the line', apply: (l: string) => Buffer.from(`${l}\n${l}`) }),
  fc.string({ maxLength: 30 }).map((junk) => ({ name: `replace the line by ${JSON.stringify(junk)}`, apply: () => Buffer.from(junk) })),
);

/** The file with line `index` (1 = first data line; 0 = the header) mutated. */
function mutated(header: string, lines: string[], index: number, apply: Mutation, eol: string): Buffer {
  const all = [header, ...lines];
  const at = index % all.length;
  return Buffer.concat(all.map((line, i) => Buffer.concat([i === at ? apply(line) : Buffer.from(line), Buffer.from(eol)])));
}

const filePlan = animeFile.chain((anime) =>
  fc.record({
    anime: fc.constant(anime),
    ratings: ratingLines(anime.map((a) => a.id)),
    target: fc.constantFrom('anime', 'ratings'),
    index: fc.nat(),
    eol: lineBreak,
    mutation,
    skipInvalid: fc.boolean(),
  }),
);

describe('ingest under mutated lines (fast-check)', () => {
  let db: Database;
  let files: TempDir;
  let run = 0;
  beforeAll(async () => {
    db = await openTemplateCopy({ migrated: true });
    files = tempDir('animerec-ingest-props-');
  });
  afterAll(async () => {
    await db?.close();
    files?.remove();
  });

  it('a load either completes, matching its report, or leaves the database exactly as it was', async () => {
    let failed = 0;
    let loaded = 0;
    await fc.assert(
      fc.asyncProperty(filePlan, async (plan) => {
        run++;
        const animeLines = plan.anime.map((a) => a.text);
        const animeBytes = plan.target === 'anime' ? mutated(ANIME_HEADER, animeLines, plan.index, plan.mutation.apply, plan.eol) : Buffer.from([ANIME_HEADER, ...animeLines, ''].join(plan.eol));
        const ratingBytes = plan.target === 'ratings' ? mutated(RATING_HEADER, plan.ratings, plan.index, plan.mutation.apply, plan.eol) : Buffer.from([RATING_HEADER, ...plan.ratings, ''].join(plan.eol));
        const animePath = files.write(`anime-${run}.csv`, animeBytes);
        const ratingsPath = files.write(`rating-${run}.csv`, ratingBytes);

        const before = await snapshot(db);
        let report: IngestReport | undefined;
        let error: unknown;
        try {
          report = await ingest(db, { format: kaggleFormat, animePath, ratingsPath, skipInvalid: plan.skipInvalid });
        } catch (caught) {
          error = caught;
        }
        const after = await snapshot(db);
        if (error !== undefined) {
          failed++;
          // A refused load names what is wrong and changes nothing at all.
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).not.toBe('');
          expect(after).toEqual(before);
        } else {
          loaded++;
          // A completed load did exactly what it reports: no row more, no row less.
          expect(Number(after.anime) - Number(before.anime)).toBe(report!.anime.inserted);
          expect(Number(after.ratings) - Number(before.ratings)).toBe(report!.ratings.inserted);
          // Loading the same files again is a no-op (the first load was whole).
          const again = await ingest(db, { format: kaggleFormat, animePath, ratingsPath, skipInvalid: plan.skipInvalid });
          expect(again.anime).toMatchObject({ inserted: 0, updated: 0 });
          expect(again.ratings).toMatchObject({ inserted: 0, updated: 0, watchedInserted: 0 });
          expect(await snapshot(db)).toEqual(after);
        }
      }),
      { numRuns: RUNS, seed: 20261128 },
    );
    process.stderr.write(`ingest properties: ${RUNS} mutated file pairs, ${failed} refused with nothing changed, ${loaded} loaded whole\n`);
    // Both outcomes happened: the mutations are neither all harmless nor all fatal.
    expect(failed).toBeGreaterThan(0);
    expect(loaded).toBeGreaterThan(0);
  }, 120_000);
});
