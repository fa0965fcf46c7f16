/**
 * A synthetic ratings file in the exact Kaggle rating.csv format, for measuring ingestion at
 * full size without shipping the 7.8M-row file: header `user_id,anime_id,rating`, CRLF,
 * sorted by user_id (anime ids ascending within a user, no repeated pair), users 1..73516,
 * anime ids from the real catalog, ratings distributed as in the shipped sample (~19% -1).
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
 */
export async function writeSyntheticRatings(
  path: string,
  { rows, animeIds, users = KAGGLE_USERS, seed = 1 }: { rows: number; animeIds: readonly number[]; users?: number; seed?: number },
): Promise<{ rows: number; bytes: number }> {
  // Jittered users get up to 1.4x the mean, and a user rates each anime at most once.
  if ((rows / users) * 1.5 > animeIds.length) throw new Error(`${rows} rows is too many for ${users} users and ${animeIds.length} anime`);
  const random = mulberry32(seed);
  const rating = ratingSampler(random);
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
      while (picked.size < end - start) picked.add(animeIds[Math.floor(random() * animeIds.length)]!);
      for (const animeId of [...picked].sort((a, b) => a - b)) {
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
  return { rows, bytes };
}
