/**
 * What the ratings look like, as the notebook's first plots showed them: the distribution of
 * scores (with the "watched, not rated" share), how many ratings each anime has, and the most
 * rated titles. Plain SQL aggregates, used by the catalogStats field resolvers.
 */
import type { Database } from '../db/database';

/** The rating scale: explicit ratings are integers 1..10. */
export const RATING_VALUES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] as const;

export interface RatingCount {
  rating: number;
  count: number;
}

const RATING_HISTOGRAM = 'SELECT rating, count(*)::int AS count FROM rating GROUP BY rating';

/** How many explicit ratings there are of each score 1..10 (zeros included, in order). */
export async function ratingHistogram(db: Database): Promise<RatingCount[]> {
  const { rows } = await db.query<RatingCount>(RATING_HISTOGRAM);
  const byRating = new Map(rows.map((row) => [Number(row.rating), Number(row.count)]));
  return RATING_VALUES.map((rating) => ({ rating, count: byRating.get(rating) ?? 0 }));
}

/** Anime whose number of explicit ratings lies in [min, max]. */
export interface RatingsPerAnimeBin {
  min: number;
  max: number;
  anime: number;
}

// Anime per number of ratings (0 for an anime nobody rated); a few thousand rows at most.
const ANIME_PER_RATING_COUNT = `
SELECT ratings, count(*)::int AS anime
FROM (SELECT a.id, count(r.anime_id)::int AS ratings FROM anime a LEFT JOIN rating r ON r.anime_id = a.id GROUP BY a.id) per_anime
GROUP BY ratings`;

/**
 * The popularity distribution: how many anime have 0 ratings, 1, 2-3, 4-7, … (power-of-two
 * bins, since a few titles have thousands of ratings and most have few). Empty bins between
 * the first and the last are kept, so a chart shows gaps.
 */
export async function ratingsPerAnime(db: Database): Promise<RatingsPerAnimeBin[]> {
  const { rows } = await db.query<{ ratings: number; anime: number }>(ANIME_PER_RATING_COUNT);
  // Bin 0 holds 0 ratings; bin b >= 1 holds [2^(b-1), 2^b - 1].
  const binOf = (ratings: number) => (ratings === 0 ? 0 : 32 - Math.clz32(ratings));
  const counts: number[] = [];
  for (const row of rows) {
    const bin = binOf(Number(row.ratings));
    counts[bin] = (counts[bin] ?? 0) + Number(row.anime);
  }
  return Array.from({ length: counts.length }, (_, bin) => ({
    min: bin === 0 ? 0 : 2 ** (bin - 1),
    max: bin === 0 ? 0 : 2 ** bin - 1,
    anime: counts[bin] ?? 0,
  }));
}

export interface MostRated {
  animeId: number;
  ratings: number;
  /** Mean of the explicit ratings held here (not the community's score). */
  meanRating: number;
}

const MOST_RATED = `
SELECT anime_id AS "animeId", count(*)::int AS ratings, avg(rating)::float8 AS "meanRating"
FROM rating GROUP BY anime_id ORDER BY ratings DESC, anime_id LIMIT $1`;

/** The `k` anime with the most explicit ratings, most first (ties by id). */
export async function mostRatedAnime(db: Database, k: number): Promise<MostRated[]> {
  const { rows } = await db.query<MostRated>(MOST_RATED, [k]);
  return rows.map((row) => ({ animeId: Number(row.animeId), ratings: Number(row.ratings), meanRating: Number(row.meanRating) }));
}
