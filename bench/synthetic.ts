/**
 * A synthetic ratings file in the exact Kaggle rating.csv format, for measuring ingestion at
 * full size without shipping the 7.8M-row file: header `user_id,anime_id,rating`, CRLF,
 * sorted by user_id (anime ids ascending within a user, no repeated pair), users 1..73516,
 * anime ids from the real catalog, ratings distributed as in the shipped sample (~19% -1).
 * Anime are drawn uniformly, or (with `animeWeights`: popularityWeights of the shipped sample's
 * row counts) with the real data's popularity skew.
 * Streamed with a seeded PRNG: constant memory, same file for the same seed and size.
 */
import { mulberry32 } from '../src/trainer/random';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { kaggleFormat } from '../src/ingest/formats/kaggle';
import { readTable } from '../src/ingest/read-table';

export const KAGGLE_USERS = 73_516;
export const KAGGLE_RATING_ROWS = 7_813_737;

/** Row counts per rating in data/rating_sample_5000users.csv.gz: -1, then 1..10. */
const RATING_WEIGHTS: ReadonlyArray<readonly [rating: number, rows: number]> = [
  [-1, 100_666], [1, 1_278], [2, 1_702], [3, 2_889], [4, 6_847], [5, 19_077],
  [6, 42_433], [7, 91_136], [8, 108_782], [9, 83_242], [10, 62_557],
];

/**
 * Weight of every catalog anime on top of its row count in the sample (popularityWeights):
 * the 5,000-user sample rates 7,390 of the 12,294 anime, the full data 11,200. At full size an
 * anime the sample never rated then gets 0.1 × 7.8M / 0.52M ≈ 1.5 rows on average, so ~78% of
 * the 4,904 such anime appear: ~11,200 rated anime in all, as in the real file.
 */
const UNSEEN_ANIME_WEIGHT = 0.1;

/** The anime ids of an anime file, read with the ingester's own parser. */
export async function readAnimeIds(animePath: string): Promise<number[]> {
  const ids: number[] = [];
  const table = readTable(animePath, (line) => kaggleFormat.animeTable(line), {
    onInvalidRow: (error) => {
      throw error;
    },
  });
  for await (const batch of table) for (const row of batch) ids.push(row.record.id);
  return ids;
}

/**
 * Each anime's row count (same order as `animeIds`) in a Kaggle-format ratings file (the
 * shipped sample), read with the ingester's own parser; rows of other anime are ignored.
 */
export async function readAnimeRowCounts(ratingsPath: string, animeIds: readonly number[]): Promise<number[]> {
  const index = new Map(animeIds.map((id, i) => [id, i]));
  const rows = new Array<number>(animeIds.length).fill(0);
  const table = readTable(ratingsPath, (line) => kaggleFormat.ratingsTable(line), {
    onInvalidRow: (error) => {
      throw error;
    },
  });
  for await (const batch of table) {
    for (const row of batch) {
      const at = index.get(row.record.animeId);
      if (at !== undefined) rows[at]!++;
    }
  }
  return rows;
}

/** Popularity weights for writeSyntheticRatings from the sample's row counts (readAnimeRowCounts): each plus UNSEEN_ANIME_WEIGHT. */
export function popularityWeights(rowCounts: readonly number[]): number[] {
  return rowCounts.map((count) => count + UNSEEN_ANIME_WEIGHT);
}

/** Draws an index into the anime list: uniformly, or in proportion to `weights` (binary search over their running sums). */
function animeSampler(random: () => number, count: number, weights: readonly number[] | undefined): () => number {
  if (weights === undefined) return () => Math.floor(random() * count);
  if (weights.length !== count) throw new Error(`${weights.length} anime weights for ${count} anime`);
  const sums = new Float64Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (!(weights[i]! >= 0)) throw new Error(`anime weight ${weights[i]} is not a number >= 0`);
    sums[i] = total += weights[i]!;
  }
  if (!(total > 0)) throw new Error('the anime weights sum to 0');
  return () => {
    const pick = random() * total;
    let low = 0;
    let high = count - 1;
    // The first index whose running sum exceeds `pick` (an anime of weight 0 is never drawn).
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (sums[middle]! > pick) high = middle;
      else low = middle + 1;
    }
    return low;
  };
}

function ratingSampler(random: () => number): () => number {
  const total = RATING_WEIGHTS.reduce((sum, [, rows]) => sum + rows, 0);
  return () => {
    let pick = random() * total;
    for (const [rating, rows] of RATING_WEIGHTS) if ((pick -= rows) < 0) return rating;
    return RATING_WEIGHTS[RATING_WEIGHTS.length - 1]![0];
  };
}

/**
 * Writes `rows` rating rows to `path`. Users get about rows/users rows each (jittered by up
 * to ±40%, exact total); only one user's rows and a ~64 KiB text buffer are held at a time.
 * Anime are drawn uniformly, or in proportion to `animeWeights` (same order as `animeIds`);
 * without weights the file is the same as before weights existed. `rowsPerAnime` (same order
 * as `animeIds`) says how many rows each anime got.
 */
export async function writeSyntheticRatings(
  path: string,
  {
    rows,
    animeIds,
    animeWeights,
    users = KAGGLE_USERS,
    seed = 1,
  }: { rows: number; animeIds: readonly number[]; animeWeights?: readonly number[]; users?: number; seed?: number },
): Promise<{ rows: number; bytes: number; rowsPerAnime: Uint32Array }> {
  // Jittered users get up to 1.4x the mean, and a user rates each anime at most once.
  if ((rows / users) * 1.5 > animeIds.length) throw new Error(`${rows} rows is too many for ${users} users and ${animeIds.length} anime`);
  const random = mulberry32(seed);
  const rating = ratingSampler(random);
  const drawAnime = animeSampler(random, animeIds.length, animeWeights);
  const rowsPerAnime = new Uint32Array(animeIds.length);
  const perUser = rows / users;
  const jitter = Math.floor(0.4 * perUser);
  // User u's rows end at boundary(u): the even split, moved by a bounded jitter so sizes vary.
  const boundary = (u: number) =>
    u === 0 ? 0 : u === users ? rows : Math.round(perUser * u) + Math.floor((random() * 2 - 1) * jitter);

  const out = createWriteStream(path);
  const closed = once(out, 'close');
  let buffer = 'user_id,anime_id,rating\r\n';
  let bytes = 0;
  const write = async (text: string) => {
    bytes += text.length; // ASCII only
    if (!out.write(text)) await once(out, 'drain');
  };
  try {
    let end = 0;
    for (let user = 1; user <= users; user++) {
      const start = end;
      end = Math.max(start, Math.min(rows, boundary(user)));
      const picked = new Set<number>();
      while (picked.size < end - start) picked.add(drawAnime());
      for (const at of picked) rowsPerAnime[at]!++;
      for (const animeId of Array.from(picked, (at) => animeIds[at]!).sort((a, b) => a - b)) {
        buffer += `${user},${animeId},${rating()}\r\n`;
        if (buffer.length >= 1 << 16) {
          await write(buffer);
          buffer = '';
        }
      }
    }
    await write(buffer);
  } finally {
    out.end();
    await closed;
  }
  return { rows, bytes, rowsPerAnime };
}
