/**
 * The fold-in of a batch of users: re-fits each user's vector in the active model from all
 * their ratings (fold-in.ts), stores the batch in one statement that also announces it to the
 * other servers, and serves the new vectors here. Runs off the request path (UserWorkQueue).
 */
import type { Database } from '../db/database';
import { vectorToSql } from '../versions/vector-codec';
import { foldInUser, type RatedItem } from './fold-in';
import { setServedUser, type ModelCache, type ServingModel } from './model-cache';
import { kindDefinition } from '../models/kinds';
import { foldInRetrievalBatch } from './reranking';
import { foldedUsersPayload, USERS_FOLDED_CHANNEL } from './model-sync';

// One round trip for the batch's ratings, and watched titles when the version learns from them ($2).
const HISTORIES_OF_USERS = `SELECT folded.user_id, rated.anime_ids, rated.ratings, seen.anime_ids AS watched_ids
  FROM unnest($1::int[]) AS folded(user_id)
  LEFT JOIN LATERAL (SELECT array_agg(anime_id) AS anime_ids, array_agg(rating::int) AS ratings FROM rating WHERE user_id = folded.user_id) AS rated ON true
  LEFT JOIN LATERAL (SELECT array_agg(anime_id) AS anime_ids FROM watched WHERE $2 AND user_id = folded.user_id) AS seen ON true`;

// One round trip: the upsert and its announcement, delivered when the statement commits.
const STORE_AND_ANNOUNCE = `WITH stored AS (
    INSERT INTO user_embedding (model_version_id, user_id, dim, embedding, bias, updated_at)
    SELECT $1, folded.user_id, $2, folded.embedding::vector, folded.bias, now()
      FROM unnest($3::int[], $4::text[], $5::real[]) AS folded(user_id, embedding, bias)
      JOIN app_user ON app_user.id = folded.user_id -- a user deleted meanwhile is skipped
    ON CONFLICT (model_version_id, user_id) DO UPDATE SET embedding = EXCLUDED.embedding, bias = EXCLUDED.bias, updated_at = now()
    RETURNING 1
  )
  SELECT pg_notify($6, $7) FROM (SELECT count(*) FROM stored) AS done`;

/** Item rows a user rated or watched, each once. */
function interactedRows(serving: ServingModel, rated: readonly RatedItem[], watched: readonly number[]): number[] {
  const rows = new Set(rated.map(({ itemRow }) => itemRow));
  for (const animeId of watched) {
    const row = serving.itemRow.get(animeId);
    if (row !== undefined) rows.add(row);
  }
  return [...rows];
}

/** Folds `userIds` into the active model (nothing when none is active). */
export async function foldInUsers(db: Database, models: ModelCache, userIds: readonly number[]): Promise<void> {
  const serving = await models.currentOrLoaded();
  if (!serving) return;
  // A retrieval version learns from every interaction: watched titles count as much as rated ones.
  const { rows } = await db.query<{ user_id: number; anime_ids: number[] | null; ratings: number[] | null; watched_ids: number[] | null }>(HISTORIES_OF_USERS, [
    userIds,
    serving.reranking !== null,
  ]);
  const historyBy = new Map(rows.map((row) => [row.user_id, row]));
  const dim = serving.model.hyper.embeddingDim;
  const ratedBy = userIds.map((userId) => {
    const row = historyBy.get(userId);
    const rated: RatedItem[] = [];
    row?.anime_ids?.forEach((animeId, k) => {
      const itemRow = serving.itemRow.get(animeId);
      if (itemRow !== undefined) rated.push({ itemRow, rating: row.ratings![k]! });
    });
    return rated;
  });
  const reranking = serving.reranking;
  let folded: { vector: Float32Array; bias: number }[];
  if (reranking) {
    const histories = userIds.map((userId, n) => Int32Array.from(interactedRows(serving, ratedBy[n]!, historyBy.get(userId)?.watched_ids ?? [])));
    folded = (await foldInRetrievalBatch(reranking, histories)).map((vector) => ({ vector, bias: 0 }));
  } else {
    folded = ratedBy.map((rated) => foldInUser(serving.model, rated));
  }
  const withBias = kindDefinition(serving.model.hyper.kind).biases && serving.model.hyper.biases;
  const vectors = folded.map((user) => vectorToSql(user.vector, 0, dim));
  const biases = folded.map((user) => (withBias ? user.bias : null));
  await db.query(STORE_AND_ANNOUNCE, [serving.versionId, dim, userIds, vectors, biases, USERS_FOLDED_CHANNEL, foldedUsersPayload(models.origin, serving.versionId, userIds)]);
  userIds.forEach((userId, k) => setServedUser(serving, userId, folded[k]!.vector, folded[k]!.bias));
}
