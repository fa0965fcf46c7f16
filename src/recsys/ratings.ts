/**
 * Ratings through the API: rating (upsert) and unrating anime, and folding the user's
 * embedding in right after, so recommendations follow. Users and tokens are in users.ts.
 */
import type { Database } from '../db/database';
import { InvalidInputError, NotFoundError } from '../errors';
import type { Logger } from '../logger';
import { vectorToSql } from '../versions/vector-codec';
import { foldInUser } from './fold-in';
import { setServedUser, type ModelCache } from './model-cache';
import { MAX_RATING, MIN_RATING } from '../models/rating-scale';

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

/** Re-fits the user's vector in the active model from all their ratings, stores and serves it. */
export async function foldIn(db: Database, models: ModelCache, userId: number): Promise<void> {
  const serving = await models.currentOrLoaded();
  if (!serving) return;
  const { rows } = await db.query<{ anime_id: number; rating: number }>('SELECT anime_id, rating FROM rating WHERE user_id = $1', [userId]);
  const rated = rows.flatMap((r) => {
    const itemRow = serving.itemRow.get(r.anime_id);
    return itemRow === undefined ? [] : [{ itemRow, rating: r.rating }];
  });
  const folded = foldInUser(serving.model, rated);
  const dim = serving.model.hyper.embeddingDim;
  await db.query(
    `INSERT INTO user_embedding (model_version_id, user_id, dim, embedding, bias, updated_at) VALUES ($1, $2, $3, $4, $5, now())
     ON CONFLICT (model_version_id, user_id) DO UPDATE SET embedding = EXCLUDED.embedding, bias = EXCLUDED.bias, updated_at = now()`,
    [serving.versionId, userId, dim, vectorToSql(folded.vector, 0, dim), serving.model.hyper.biases ? folded.bias : null],
  );
  setServedUser(serving, userId, folded.vector, folded.bias);
}

export async function rateAnime(db: Database, models: ModelCache, logger: Logger | undefined, userId: number, animeId: number, rating: number): Promise<RatingRecord> {
  if (!Number.isInteger(rating) || rating < MIN_RATING || rating > MAX_RATING) {
    throw new InvalidInputError(`rating must be an integer from ${MIN_RATING} to ${MAX_RATING}, got ${rating}`);
  }
  const saved = await db.transaction(async (tx) => {
    const anime = await tx.query('SELECT 1 FROM anime WHERE id = $1', [animeId]);
    if (anime.rowCount === 0) throw new NotFoundError(`anime ${animeId} does not exist`);
    const { rows } = await tx.query<{ updated_at: Date }>(
      `INSERT INTO rating (user_id, anime_id, rating) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, anime_id) DO UPDATE SET rating = EXCLUDED.rating, updated_at = now()
       RETURNING updated_at`,
      [userId, animeId, rating],
    );
    await tx.query('DELETE FROM watched WHERE user_id = $1 AND anime_id = $2', [userId, animeId]);
    return { userId, animeId, rating, updatedAt: rows[0]!.updated_at };
  });
  // The rating is stored either way; a failed fold-in only delays its effect to the next training.
  await foldIn(db, models, userId).catch((error: unknown) => logger?.warn({ err: error, userId }, 'fold-in failed'));
  return saved;
}

export async function deleteRating(db: Database, models: ModelCache, logger: Logger | undefined, userId: number, animeId: number): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM rating WHERE user_id = $1 AND anime_id = $2', [userId, animeId]);
  if (rowCount > 0) await foldIn(db, models, userId).catch((error: unknown) => logger?.warn({ err: error, userId }, 'fold-in failed'));
  return rowCount > 0;
}
