/**
 * Users and their ratings through the API: creating a user with a token, rating (upsert) and
 * unrating anime, and folding the user's embedding in right after, so recommendations follow.
 */
import type { Database } from '../db/database';
import { InvalidInputError, NotFoundError } from '../errors';
import type { Logger } from '../logger';
import { MAX_RATING, MIN_RATING } from '../ingest/records';
import { vectorText } from '../versions/publish';
import { foldInUser } from './fold-in';
import { setServedUser, type ModelCache } from './model-cache';
import { issueToken, parseToken, verifySecret, type VerifiedTokens } from './tokens';

export interface UserRecord {
  id: number;
  name: string | null;
  source: string;
  createdAt: Date;
}

export interface RatingRecord {
  userId: number;
  animeId: number;
  rating: number;
  updatedAt: Date;
}

export async function createUser(db: Database, name: string): Promise<{ user: UserRecord; token: string }> {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 100) throw new InvalidInputError('name must have 1 to 100 characters');
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: number; name: string; source: string; created_at: Date }>(
      `INSERT INTO app_user (name, source) VALUES ($1, 'api') RETURNING id, name, source, created_at`,
      [trimmed],
    );
    const row = rows[0]!;
    const issued = await issueToken(row.id);
    await tx.query('UPDATE app_user SET token_hash = $1 WHERE id = $2', [issued.hash, row.id]);
    return { user: { id: row.id, name: row.name, source: row.source, createdAt: row.created_at }, token: issued.token };
  });
}

/** The user a bearer token belongs to, or null for a malformed, forged or revoked one. */
export async function authenticate(db: Database, verified: VerifiedTokens, token: string): Promise<number | null> {
  const parsed = parseToken(token);
  if (!parsed) return null;
  // Read every time (a primary-key lookup): a deleted user's remembered token must not pass.
  const { rows } = await db.query<{ token_hash: string | null }>('SELECT token_hash FROM app_user WHERE id = $1', [parsed.userId]);
  const stored = rows[0]?.token_hash;
  if (!stored) return null;
  if (verified.verified(token, stored)) return parsed.userId;
  if (!(await verifySecret(parsed.secret, stored))) return null;
  verified.remember(token, stored);
  return parsed.userId;
}

export async function findUser(db: Database, id: number): Promise<UserRecord | null> {
  return db.prisma().appUser.findUnique({ where: { id }, select: { id: true, name: true, source: true, createdAt: true } });
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
    [serving.versionId, userId, dim, vectorText(folded.vector, 0, dim), serving.model.hyper.biases ? folded.bias : null],
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
