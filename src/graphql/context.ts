/** What every resolver receives: the database, the model cache and per-request loaders. */
import DataLoader from 'dataloader';
import type { Database } from '../db/database';
import { findAnimeByIds, type Anime } from '../recsys/catalog';
import type { ModelCache } from '../recsys/model-cache';

export interface GraphQLContext {
  db: Database;
  models: ModelCache;
  /** Batches anime lookups of one request into one query (no N+1). */
  animeLoader: DataLoader<number, Anime | null>;
}

export function createContext(db: Database, models: ModelCache): GraphQLContext {
  return { db, models, animeLoader: new DataLoader((ids) => findAnimeByIds(db, ids)) };
}
