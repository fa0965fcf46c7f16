/**
 * Ratings through the API: rating (upsert) and unrating anime, each scheduling the user's
 * fold-in, so recommendations follow. Users and tokens are in users.ts.
 */
import type { Database } from '../db/database';
import { InvalidInputError, NotFoundError } from '../errors';
import { MAX_RATING, MIN_RATING } from '../models/rating-scale';
import type { ModelCache } from './model-cache';
import { dataChanged } from './catalog';
import { decodeCursor, pageOf, type Page } from './cursor';

export interface RatingRecord {
  userId: number;
  animeId: number;
  rating: number;
  updatedAt: Date;
}

const isRatingKey = (key: readonly unknown[]) => key.length === 2 && typeof key[0] === 'string' && !Number.isNaN(Date.parse(key[0])) && Number.isInteger(key[1]);

/** A page of a user's ratings, newest first, after the cursor of a previous one. */
export async function userRatings(db: Database, userId: number, first: number, after: string | null): Promise<Page<RatingRecord>> {
  const cursor = after === null ? null : decodeCursor<[string, number]>(after, isRatingKey);
  const { rows } = await db.query<{ user_id: number; anime_id: number; rating: number; updated_at: Date }>(
    `SELECT user_id, anime_id, rating, updated_at FROM rating
     WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (updated_at, anime_id) < ($2::timestamptz, $3::int))
     ORDER BY updated_at DESC, anime_id DESC LIMIT $4`,
    [userId, cursor?.[0] ?? null, cursor?.[1] ?? 0, first + 1],
  );
  const records = rows.map((r) => ({ userId: r.user_id, animeId: r.anime_id, rating: r.rating, updatedAt: r.updated_at }));
  return pageOf(records, first, (rating) => [rating.updatedAt.toISOString(), rating.animeId]);
}

/** How many explicit ratings a user has. */
export async function countUserRatings(db: Database, userId: number): Promise<number> {
  const { rows } = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM rating WHERE user_id = $1', [userId]);
  return rows[0]!.count;
}

/**
 * Stores the rating in one statement (the anime must exist; a watched mark becomes a rating)
 * and answers; the user's fold-in follows off the request path (ModelCache.foldIns), and that
 * user's next read waits for it.
 */
const RATE = `WITH target AS (SELECT id FROM anime WHERE id = $2),
  saved AS (
    INSERT INTO rating (user_id, anime_id, rating) SELECT $1, id, $3 FROM target
    ON CONFLICT (user_id, anime_id) DO UPDATE SET rating = EXCLUDED.rating, updated_at = now()
    RETURNING updated_at
  ),
  unwatched AS (DELETE FROM watched WHERE user_id = $1 AND anime_id = $2 AND EXISTS (SELECT 1 FROM saved))
  SELECT updated_at FROM saved`;

export async function rateAnime(db: Database, models: ModelCache, userId: number, animeId: number, rating: number): Promise<RatingRecord> {
  if (!Number.isInteger(rating) || rating < MIN_RATING || rating > MAX_RATING) {
    throw new InvalidInputError(`rating must be an integer from ${MIN_RATING} to ${MAX_RATING}, got ${rating}`);
  }
  const { rows } = await db.query<{ updated_at: Date }>(RATE, [userId, animeId, rating]);
  if (rows.length === 0) throw new NotFoundError(`anime ${animeId} does not exist`);
  dataChanged(db);
  models.foldIns.schedule(userId);
  return { userId, animeId, rating, updatedAt: rows[0]!.updated_at };
}

export async function deleteRating(db: Database, models: ModelCache, userId: number, animeId: number): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM rating WHERE user_id = $1 AND anime_id = $2', [userId, animeId]);
  if (rowCount > 0) dataChanged(db);
  if (rowCount > 0) models.foldIns.schedule(userId);
  return rowCount > 0;
}
