/**
 * Rating predictions and recommendations from the active model: every candidate is scored by
 * the model (head or dot) in one batch, seen anime are excluded, and each recommendation says
 * why: the user's rated anime most similar to it.
 */
import type { Database } from '../db/database';
import { ModelNotReadyError, NotFoundError } from '../errors';
import { currentBackend } from '../models/backend';
import type { ServingModel } from './model-cache';
import type { AnimeFilter } from './similar';
import { topRows } from './top-rows';
import { predictRowsOn, predictRows } from '../models/predict';
import { dot } from '../models/rating';

export interface Recommendation {
  animeId: number;
  predictedRating: number;
  /** The user's rated anime most similar to this one, with the user's rating. */
  because: { animeId: number; rating: number; similarity: number } | null;
}

/** Ratings from this up count as "liked" when explaining recommendations. */
const LIKED_RATING = 7;

function noUserRow(serving: ServingModel, userId: number): ModelNotReadyError {
  return new ModelNotReadyError(`user ${userId} has no embedding in model version ${serving.versionId} yet`);
}

function userRowOf(serving: ServingModel, userId: number): number {
  const row = serving.userRow.get(userId);
  if (row === undefined) throw noUserRow(serving, userId);
  return row;
}

/**
 * Predicted ratings for (user, anime) pairs, in one batch on the scoring backend (the GPU when
 * serving there); anime unknown to the model give NotFoundError.
 */
export async function predictRatings(serving: ServingModel, pairs: readonly { userId: number; animeId: number }[]): Promise<number[]> {
  const users = new Int32Array(pairs.length);
  const items = new Int32Array(pairs.length);
  pairs.forEach(({ userId, animeId }, k) => {
    users[k] = userRowOf(serving, userId);
    const item = serving.itemRow.get(animeId);
    if (item === undefined) throw new NotFoundError(`anime ${animeId} has no embedding in model version ${serving.versionId}`);
    items[k] = item;
  });
  const backend = currentBackend()?.scoring;
  return Array.from(backend !== undefined ? await predictRowsOn(backend, serving.model, users, items) : predictRows(serving.model, users, items));
}

interface UserHistory {
  /** Whether the user exists at all. */
  known: boolean;
  /** Rated anime, ascending, and the ratings in the same order. */
  rated: number[];
  ratings: number[];
  /** Watched but not rated. */
  watched: number[];
}

/**
 * Whether the user exists, their ratings and their watched-but-unrated anime, in one round trip
 * and one row, from the `user_history` function (migration 20261204000000: its plan is kept per
 * session, where planning this as a plain query cost the embedded database as much as running it).
 */
async function userHistory(db: Database, userId: number): Promise<UserHistory> {
  const { rows } = await db.query<UserHistory>('SELECT known, rated, ratings, watched FROM user_history($1)', [userId]);
  return rows[0]!;
}

async function allowedAnime(db: Database, filter: AnimeFilter): Promise<Set<number>> {
  const { rows } = await db.query<{ id: number }>(
    `SELECT id FROM anime WHERE ($1::text[] IS NULL OR genres @> $1::text[])
       AND ($2::text[] IS NULL OR type = ANY($2::text[])) AND ($3::int IS NULL OR members >= $3)`,
    [filter.genres?.length ? filter.genres : null, filter.types?.length ? filter.types : null, filter.minMembers ?? null],
  );
  return new Set(rows.map((row) => row.id));
}

/** The user's recommendations; NotFoundError for an unknown user, ModelNotReadyError for one the model has no row for. */
export async function recommend(
  db: Database,
  serving: ServingModel,
  userId: number,
  options: { k: number; excludeSeen: boolean; filter?: AnimeFilter },
): Promise<Recommendation[]> {
  const { model } = serving;
  const dim = model.hyper.embeddingDim;
  const userRow = serving.userRow.get(userId);
  // The head pass (on a scoring thread or the GPU) and the queries overlap.
  const [scores, history, allowed] = await Promise.all([
    userRow === undefined ? null : serving.scorer.scoreAsync(model.userEmbeddings.subarray(userRow * dim, (userRow + 1) * dim), model.userBias[userRow]!),
    userHistory(db, userId),
    options.filter ? allowedAnime(db, options.filter) : null,
  ]);
  if (!history.known) throw new NotFoundError(`user ${userId} does not exist`);
  if (scores === null) throw noUserRow(serving, userId);

  // Rows the ranking skips: seen anime, and with a filter every anime outside it.
  const skipped = new Uint8Array(model.itemIds.length).fill(allowed === null ? 0 : 1);
  if (allowed !== null) for (const id of allowed) markRow(serving, skipped, id, 0);
  if (options.excludeSeen) for (const id of [...history.rated, ...history.watched]) markRow(serving, skipped, id, 1);
  const rows = topRows(scores, options.k, (row) => skipped[row] === 0);

  // A title the user liked explains a recommendation; fall back to all ratings when none is.
  const rated = history.rated.map((animeId, n) => ({ animeId, rating: history.ratings[n]! }));
  const liked = rated.filter((r) => r.rating >= LIKED_RATING);
  const explainers = liked.length > 0 ? liked : rated;
  return rows.map((row) => {
    let because: Recommendation['because'] = null;
    for (const { animeId: ratedId, rating } of explainers) {
      const ratedRow = serving.itemRow.get(ratedId);
      if (ratedRow === undefined || ratedRow === row) continue;
      const similarity = dot(serving.unitItems, row * dim, serving.unitItems, ratedRow * dim, dim);
      if (because === null || similarity > because.similarity) because = { animeId: ratedId, rating, similarity };
    }
    return { animeId: model.itemIds[row]!, predictedRating: scores[row]!, because };
  });
}

function markRow(serving: ServingModel, rows: Uint8Array, animeId: number, value: number): void {
  const row = serving.itemRow.get(animeId);
  if (row !== undefined) rows[row] = value;
}
