/**
 * The training data: every explicit rating, re-indexed to dense user and item rows (as the
 * notebook does), the items' metadata, and the seeded split into train, validation and test.
 */
import { AppError } from '../errors';
import type { Database } from '../db/database';
import type { ItemMetadata } from '../models/features';
import { mulberry32, shuffleInPlace } from './random';

export interface RatingsDataset {
  /** Database id of each user row / item row, ascending. */
  userIds: Int32Array;
  itemIds: Int32Array;
  /** One entry per rating: user row, item row, rating 1..10. */
  users: Int32Array;
  items: Int32Array;
  ratings: Float32Array;
  /** Per item row. */
  itemMetadata: ItemMetadata[];
  /**
   * "Watched, not rated" pairs of the dataset's users and items: implicit positives for the
   * ranking models, never rating targets. Absent where a source has none.
   */
  watched?: { users: Int32Array; items: Int32Array };
}

export interface DatasetSplit {
  /** Indices into the dataset's ratings. */
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/** Training asked for with no ratings loaded: the user must ingest first. */
export class EmptyDatasetError extends AppError {
  override readonly name = 'EmptyDatasetError';
  readonly code = 'NO_RATINGS';
  constructor() {
    super('there are no ratings to train on: load some first (npm run ingest, or start the server once for the demo data)');
  }
}

const RATINGS = 'SELECT user_id, anime_id, rating FROM rating ORDER BY user_id, anime_id';
const WATCHED = 'SELECT user_id, anime_id FROM watched ORDER BY user_id, anime_id';
const ITEMS = `
SELECT id, episodes, members, genres, type FROM anime
WHERE id IN (SELECT DISTINCT anime_id FROM rating) ORDER BY id`;

/** Rows of a sorted id list, by binary search. */
function rowOf(sortedIds: Int32Array, id: number): number {
  let low = 0;
  let high = sortedIds.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const value = sortedIds[mid]!;
    if (value === id) return mid;
    if (value < id) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}

export async function loadRatingsDataset(db: Database): Promise<RatingsDataset> {
  const { rows } = await db.query<{ user_id: number; anime_id: number; rating: number }>(RATINGS);
  if (rows.length === 0) throw new EmptyDatasetError();
  const items = await db.query<{ id: number; episodes: number | null; members: number; genres: string[]; type: string | null }>(ITEMS);
  const itemIds = Int32Array.from(items.rows, (item) => item.id);
  const userIds = Int32Array.from(new Set(rows.map((row) => row.user_id))).sort();
  const dataset: RatingsDataset = {
    userIds,
    itemIds,
    users: new Int32Array(rows.length),
    items: new Int32Array(rows.length),
    ratings: new Float32Array(rows.length),
    itemMetadata: items.rows.map((item) => ({ episodes: item.episodes, members: item.members, genres: item.genres, type: item.type })),
  };
  rows.forEach((row, k) => {
    dataset.users[k] = rowOf(userIds, row.user_id);
    dataset.items[k] = rowOf(itemIds, row.anime_id);
    dataset.ratings[k] = row.rating;
  });
  dataset.watched = await loadWatched(db, userIds, itemIds);
  return dataset;
}

/** Watched pairs whose user and item both have rows (others cannot be placed in the matrix). */
async function loadWatched(db: Database, userIds: Int32Array, itemIds: Int32Array): Promise<{ users: Int32Array; items: Int32Array }> {
  const { rows } = await db.query<{ user_id: number; anime_id: number }>(WATCHED);
  const users: number[] = [];
  const items: number[] = [];
  for (const row of rows) {
    const user = rowOf(userIds, row.user_id);
    const item = rowOf(itemIds, row.anime_id);
    if (user < 0 || item < 0) continue;
    users.push(user);
    items.push(item);
  }
  return { users: Int32Array.from(users), items: Int32Array.from(items) };
}

/**
 * The notebook's split: a seeded shuffle, the last `testFraction` for test; then, as Keras'
 * validation_split, the last `validationSplit` of the training part for validation.
 */
export function splitDataset(count: number, options: { testFraction: number; validationSplit: number; seed: number }): DatasetSplit {
  const order = shuffleInPlace(Int32Array.from({ length: count }, (_, k) => k), mulberry32(options.seed));
  const testSize = Math.round(count * options.testFraction);
  const trainAll = order.subarray(0, count - testSize);
  const validationSize = Math.round(trainAll.length * options.validationSplit);
  return {
    train: trainAll.subarray(0, trainAll.length - validationSize),
    validation: trainAll.subarray(trainAll.length - validationSize),
    test: order.subarray(count - testSize),
  };
}

/** The ratings at `indices` as parallel arrays. */
export function pick(dataset: RatingsDataset, indices: Int32Array): { users: Int32Array; items: Int32Array; ratings: Float32Array } {
  const users = new Int32Array(indices.length);
  const items = new Int32Array(indices.length);
  const ratings = new Float32Array(indices.length);
  indices.forEach((index, k) => {
    users[k] = dataset.users[index]!;
    items[k] = dataset.items[index]!;
    ratings[k] = dataset.ratings[index]!;
  });
  return { users, items, ratings };
}
