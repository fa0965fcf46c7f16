/**
 * Ratings through the API: rating (upsert) and unrating anime, each scheduling the user's
 * fold-in, so recommendations follow. Users and tokens are in users.ts.
 */
import type { Database } from '../db/database';
import { InvalidInputError, NotFoundError } from '../errors';
import { MAX_RATING, MIN_RATING } from '../models/rating-scale';
import type { ModelCache } from './model-cache';
import { dataChanged } from './catalog';

export interface RatingRecord {
  userId: number;
  animeId: number;
  rating: number;
  updatedAt: Date;
}

/** A page of a user's ratings, newest first; `after` is the cursor returned with the previous page. */
export async function userRatings(db: Database, userId: number, first: number, after: string | null): Promise<{ items: RatingRecord[]; nextCursor: string | null }> {
  const cursor = after === null ? null : decodeCursor(after);
  const { rows } = await db.query<{ user_id: number; anime_id: number; rating: number; updated_at: Date }>(
    `SELECT user_id, anime_id, rating, updated_at FROM rating
     WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (updated_at, anime_id) < ($2::timestamptz, $3::int))
     ORDER BY updated_at DESC, anime_id DESC LIMIT $4`,
    [userId, cursor?.updatedAt ?? null, cursor?.animeId ?? 0, first + 1],
  );
  const items = rows.slice(0, first).map((r) => ({ userId: r.user_id, animeId: r.anime_id, rating: r.rating, updatedAt: r.updated_at }));
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > first && last ? encodeCursor(last) : null };
}

function encodeCursor(rating: RatingRecord): string {
  return Buffer.from(JSON.stringify([rating.updatedAt.toISOString(), rating.animeId])).toString('base64url');
}

function decodeCursor(cursor: string): { updatedAt: string; animeId: number } {
  try {
    const [updatedAt, animeId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, number];
    if (Number.isNaN(Date.parse(updatedAt)) || !Number.isInteger(animeId)) throw new Error('bad cursor');
    return { updatedAt, animeId };
  } catch {
    throw new InvalidInputError('after is not a cursor this API returned');
  }
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
