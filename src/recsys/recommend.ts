/**
 * Rating predictions and recommendations from the active model: every candidate is scored by
 * the model (head or dot) in one batch, seen anime are excluded, and each recommendation says
 * why: the user's rated anime most similar to it.
 */
import type { Database } from '../db/database';
import { ModelNotReadyError, NotFoundError } from '../errors';
import { currentBackend } from '../models/backend';
import { predictRowsOn } from '../models/head-scoring';
import { dot, predictRows } from '../models/model';
import type { ServingModel } from './model-cache';
import type { AnimeFilter } from './similar';
import { topRows } from './top-rows';

export interface Recommendation {
  animeId: number;
  predictedRating: number;
  /** The user's rated anime most similar to this one, with the user's rating. */
  because: { animeId: number; rating: number; similarity: number } | null;
}

/** Ratings from this up count as "liked" when explaining recommendations. */
const LIKED_RATING = 7;

function userRowOf(serving: ServingModel, userId: number): number {
  const row = serving.userRow.get(userId);
  if (row === undefined) throw new ModelNotReadyError(`user ${userId} has no embedding in model version ${serving.versionId} yet`);
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

/** The user's ratings and watched-but-unrated anime (rating null), in one round trip. */
async function ratedOrWatched(db: Database, userId: number): Promise<{ anime_id: number; rating: number | null }[]> {
  // UNION ALL: a (user, anime) pair is in at most one of the two tables.
  const { rows } = await db.query<{ anime_id: number; rating: number | null }>(
    'SELECT anime_id, rating FROM rating WHERE user_id = $1 UNION ALL SELECT anime_id, NULL FROM watched WHERE user_id = $1',
    [userId],
  );
  return rows;
}

async function allowedAnime(db: Database, filter: AnimeFilter): Promise<Set<number>> {
  const { rows } = await db.query<{ id: number }>(
    `SELECT id FROM anime WHERE ($1::text[] IS NULL OR genres @> $1::text[])
       AND ($2::text[] IS NULL OR type = ANY($2::text[])) AND ($3::int IS NULL OR members >= $3)`,
    [filter.genres?.length ? filter.genres : null, filter.types?.length ? filter.types : null, filter.minMembers ?? null],
  );
  return new Set(rows.map((row) => row.id));
}

export async function recommend(
  db: Database,
  serving: ServingModel,
  userId: number,
  options: { k: number; excludeSeen: boolean; filter?: AnimeFilter },
): Promise<Recommendation[]> {
  const userRow = userRowOf(serving, userId);
  const { model } = serving;
  const dim = model.hyper.embeddingDim;
  // The head pass (on a scoring thread or the GPU) and the queries overlap.
  const [scores, history, allowed] = await Promise.all([
    serving.scorer.scoreAsync(model.userEmbeddings.subarray(userRow * dim, (userRow + 1) * dim), model.userBias[userRow]!),
    ratedOrWatched(db, userId),
    options.filter ? allowedAnime(db, options.filter) : null,
  ]);
  const seen = options.excludeSeen ? new Set(history.map((row) => row.anime_id)) : new Set<number>();
  const rows = topRows(scores, options.k, (row) => {
    const id = model.itemIds[row]!;
    return !seen.has(id) && (allowed === null || allowed.has(id));
  });

  const rated = history.filter((row): row is { anime_id: number; rating: number } => row.rating !== null);
  // A title the user liked explains a recommendation; fall back to all ratings when none is.
  const liked = rated.filter((r) => r.rating >= LIKED_RATING);
  const explainers = liked.length > 0 ? liked : rated;
  return rows.map((row) => {
    let because: Recommendation['because'] = null;
    for (const { anime_id: ratedId, rating } of explainers) {
      const ratedRow = serving.itemRow.get(ratedId);
      if (ratedRow === undefined || ratedRow === row) continue;
      const similarity = dot(serving.unitItems, row * dim, serving.unitItems, ratedRow * dim, dim);
      if (because === null || similarity > because.similarity) because = { animeId: ratedId, rating, similarity };
    }
    return { animeId: model.itemIds[row]!, predictedRating: scores[row]!, because };
  });
}
