/**
 * Rating predictions and recommendations from the active model. A retrieval version ranks in
 * two stages (src/ranking/two-stage.ts: candidates by the user's vector and item neighbours,
 * re-ranked by the blend fitted in training); the other kinds rank every item by predicted
 * rating. Seen anime are excluded, a user the model cannot place gets popular titles (marked
 * not personal), and each recommendation says why: the user's rated anime most similar to it.
 */
import type { Database } from '../db/database';
import { NotFoundError } from '../errors';
import type { UserSource } from './users';
import { currentBackend } from '../models/backend';
import type { ServingModel } from './model-cache';
import { foldInRetrieval, rankWithReranking, type ServingReranking } from './reranking';
import { LIKED_FEATURE_RATING } from '../ranking/two-stage';
import { explainRows, type RankRequest, type RankResult } from '../ranking/user-ranker';
import { baselineRating } from '../models/rating';
import { animeFilterSql, isFiltered, type AnimeFilter } from './anime-filter';
import { bestRows } from '../ranking/top-k';
import { predictRowsOn, predictRows } from '../models/predict';

export interface Recommendation {
  animeId: number;
  predictedRating: number;
  /** False for a user the model cannot place yet (no ratings): popular titles instead. */
  personal: boolean;
  /** The user's rated anime most similar to this one, with the user's rating. */
  because: { animeId: number; rating: number; similarity: number } | null;
}

/** Ratings from this up count as "liked" when explaining recommendations. */
const BECAUSE_MIN_RATING = 7;

/**
 * Predicted ratings for (user, anime) pairs, in one batch on the scoring backend (the GPU when
 * serving there), from the version's rating model (a retrieval version's is its re-ranker's).
 * A user that model has no row for gets its baseline; anime unknown to the model give NotFoundError.
 */
export async function predictRatings(serving: ServingModel, pairs: readonly { userId: number; animeId: number }[]): Promise<number[]> {
  const model = serving.reranking?.reranker.ratingModel ?? serving.model;
  const userRows = serving.reranking?.ratingUserRow ?? serving.userRow;
  const itemRows = pairs.map(({ animeId }) => {
    const item = serving.itemRow.get(animeId);
    if (item === undefined) throw new NotFoundError(`anime ${animeId} has no embedding in model version ${serving.versionId}`);
    return item;
  });
  const out = itemRows.map((itemRow) => baselineRating(model, itemRow));
  const known = pairs.flatMap(({ userId }, n) => (userRows.has(userId) ? [n] : []));
  if (known.length === 0) return out;
  const users = Int32Array.from(known, (n) => userRows.get(pairs[n]!.userId)!);
  const items = Int32Array.from(known, (n) => itemRows[n]!);
  const backend = currentBackend()?.scoring;
  const predicted = backend !== undefined ? await predictRowsOn(backend, model, users, items) : predictRows(model, users, items);
  known.forEach((n, k) => (out[n] = predicted[k]!));
  return out;
}

interface UserHistory {
  /** Where the user came from; null when there is no such user. */
  source: UserSource | null;
  /** Rated anime, ascending, and the ratings in the same order. */
  rated: number[];
  ratings: number[];
  /** Watched but not rated. */
  watched: number[];
}

/**
 * The user's source (null: no such user), ratings and watched-but-unrated anime, in one round
 * trip and one row, from the `user_history` function (migrations 20261204000000 and
 * 20261207000000: its plan is kept per session, where planning this as a plain query cost the
 * embedded database as much as running it).
 */
async function userHistory(db: Database, userId: number): Promise<UserHistory> {
  const { rows } = await db.query<UserHistory>('SELECT user_source AS source, rated, ratings, watched FROM user_history($1)', [userId]);
  return rows[0]!;
}

async function allowedAnime(db: Database, filter: AnimeFilter): Promise<Set<number>> {
  const params: unknown[] = [];
  const { rows } = await db.query<{ id: number }>(`SELECT a.id FROM anime a WHERE true${animeFilterSql(filter, params, 'a')}`, params);
  return new Set(rows.map((row) => row.id));
}

/**
 * A ranked list: item rows best first, their predicted ratings in the same order, and whether
 * it is personal; a two-stage ranking also says what explains each row (RankResult).
 */
interface Ranked {
  rows: ArrayLike<number>;
  ratings: ArrayLike<number>;
  personal: boolean;
  explained?: Pick<RankResult, 'because' | 'similarity'>;
}

/**
 * Every item's predicted rating for the user, started before the history is read so that the
 * head pass (on a scoring thread or the GPU) and the queries overlap; null for a user the model
 * has no row for, and for a retrieval version, which scores only its candidates (rankTwoStage).
 */
function predictedRatingsFor(serving: ServingModel, userId: number): Promise<Float32Array> | null {
  if (serving.reranking) return null;
  const { model } = serving;
  const dim = model.hyper.embeddingDim;
  const userRow = serving.userRow.get(userId);
  if (userRow === undefined) return null;
  return serving.scorer.scoreAsync(model.userEmbeddings.subarray(userRow * dim, (userRow + 1) * dim), model.userBias[userRow]!);
}

/** Ranks every eligible item by the model's predicted rating (the kinds without a second stage). */
function rankByRating(ratings: Float32Array | null, k: number, eligible: (row: number) => boolean): Ranked | null {
  if (ratings === null) return null;
  const rows = bestRows(ratings, k, eligible);
  return { rows, ratings: Float32Array.from(rows, (row) => ratings[row]!), personal: true };
}

/**
 * The two-stage ranking of a retrieval version (ranking/user-ranker.ts, on a scoring thread when
 * there is one), from the user's retrieval vector: the stored one, or folded in from the history
 * when the version has none for them; null when there is neither.
 */
async function rankTwoStage(
  serving: ServingModel,
  reranking: ServingReranking,
  userId: number,
  request: Omit<RankRequest, 'userVector' | 'ratingUserRow'>,
): Promise<Ranked | null> {
  const { model } = serving;
  const dim = model.hyper.embeddingDim;
  const userRow = serving.userRow.get(userId);
  // A copy, not a view: a view would send the whole embedding matrix to the thread.
  const userVector = userRow !== undefined ? model.userEmbeddings.slice(userRow * dim, (userRow + 1) * dim) : request.interacted.length > 0 ? foldInRetrieval(reranking, request.interacted) : null;
  if (userVector === null) return null;
  const result = await rankWithReranking(reranking, { ...request, userVector, ratingUserRow: reranking.ratingUserRow.get(userId) ?? -1 });
  return { rows: result.rows, ratings: result.ratings, personal: true, explained: result };
}

/** The served items' rows by MyAnimeList members, most first; read once per served version. */
const popularRowsOf = new WeakMap<ServingModel['itemRow'], Promise<Int32Array>>();

function popularRows(db: Database, serving: ServingModel): Promise<Int32Array> {
  let rows = popularRowsOf.get(serving.itemRow);
  if (rows === undefined) {
    rows = db.query<{ id: number }>('SELECT id FROM anime ORDER BY members DESC, id').then((result) =>
      Int32Array.from(result.rows.flatMap(({ id }) => {
        const row = serving.itemRow.get(id);
        return row === undefined ? [] : [row];
      })),
    );
    // A failed read is not kept: the next request tries again.
    rows.catch(() => popularRowsOf.delete(serving.itemRow));
    popularRowsOf.set(serving.itemRow, rows);
  }
  return rows;
}

/** Popular titles (by MyAnimeList members) for a user the model cannot place, with the model's baseline ratings. */
async function rankByPopularity(db: Database, serving: ServingModel, k: number, eligible: (row: number) => boolean): Promise<Ranked> {
  const ranked: number[] = [];
  for (const row of await popularRows(db, serving)) {
    if (ranked.length === k) break;
    if (eligible(row)) ranked.push(row);
  }
  const model = serving.reranking?.reranker.ratingModel ?? serving.model;
  return { rows: ranked, ratings: ranked.map((row) => baselineRating(model, row)), personal: false };
}

/**
 * The user's recommendations; NotFoundError for an unknown user. `authorize`, when given, is
 * called with the user's source before anything of theirs is used, and throws to refuse: the
 * access check shares the history's round trip to the database.
 */
export async function recommend(
  db: Database,
  serving: ServingModel,
  userId: number,
  options: { k: number; excludeSeen: boolean; filter?: AnimeFilter; authorize?: (source: UserSource) => void },
): Promise<Recommendation[]> {
  const { model } = serving;
  const [history, allowed, ratings] = await Promise.all([userHistory(db, userId), isFiltered(options.filter) ? allowedAnime(db, options.filter) : null, predictedRatingsFor(serving, userId)]);
  if (history.source === null) throw new NotFoundError(`user ${userId} does not exist`);
  options.authorize?.(history.source);

  const interacted = rowsOf(serving, history.rated, history.watched);
  // Rows the ranking skips: seen anime, and with a filter every anime outside it.
  const skipped = new Uint8Array(model.itemIds.length).fill(allowed === null ? 0 : 1);
  if (allowed !== null) for (const row of rowsOf(serving, [...allowed])) skipped[row] = 0;
  if (options.excludeSeen) for (const row of interacted) skipped[row] = 1;
  const eligible = (row: number) => skipped[row] === 0;
  // A title the user liked explains a recommendation; fall back to all ratings when none is.
  // Explainers are positions in history.rated, so each keeps its rating.
  const positions = history.rated.map((_, n) => n);
  const liked = positions.filter((n) => history.ratings[n]! >= BECAUSE_MIN_RATING);
  const explainers = (liked.length > 0 ? liked : positions).filter((n) => serving.itemRow.has(history.rated[n]!));
  const twoStage = {
    interacted,
    liked: rowsOf(serving, history.rated.filter((_, n) => history.ratings[n]! >= LIKED_FEATURE_RATING)),
    skipped,
    k: options.k,
    explainers: rowsOf(serving, explainers.map((n) => history.rated[n]!)),
  };
  const ranked =
    (serving.reranking ? await rankTwoStage(serving, serving.reranking, userId, twoStage) : rankByRating(ratings, options.k, eligible)) ??
    (await rankByPopularity(db, serving, options.k, eligible));
  const { because, similarity } = ranked.explained ?? explainRows(serving.unitItems, ranked.rows, twoStage.explainers);
  return Array.from(ranked.rows, (row, n) => {
    const explainer = explainers[because[n]!];
    return {
      animeId: model.itemIds[row]!,
      predictedRating: ranked.ratings[n]!,
      personal: ranked.personal,
      because: explainer === undefined ? null : { animeId: history.rated[explainer]!, rating: history.ratings[explainer]!, similarity: similarity[n]! },
    };
  });
}

/** The served item rows of these anime ids, in order; ids the version has no row for are left out. */
function rowsOf(serving: ServingModel, ...idLists: number[][]): Int32Array {
  const rows = new Int32Array(idLists.reduce((sum, ids) => sum + ids.length, 0));
  let count = 0;
  for (const ids of idLists) {
    for (const id of ids) {
      const row = serving.itemRow.get(id);
      if (row !== undefined) rows[count++] = row;
    }
  }
  return rows.slice(0, count);
}
