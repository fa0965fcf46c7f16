/** What every resolver receives: the database, the model cache, the caller, per-request loaders. */
import DataLoader from 'dataloader';
import type { Database } from '../db/database';
import type { Logger } from '../logger';
import type { Anime } from '../recsys/catalog';
import type { AnimeCatalog } from '../recsys/anime-catalog';
import type { ModelCache } from '../recsys/model-cache';
import type { TrainingRuns } from '../jobs/training-runs';
import { authenticate } from '../recsys/ratings';
import { sameSecret, type VerifiedTokens } from '../recsys/tokens';

export interface Caller {
  /** The signed-in user, or null (anonymous, or a token that did not verify). */
  userId: number | null;
  admin: boolean;
  /** A token was presented but did not verify (forged, malformed, or its user is gone). */
  badToken: boolean;
}

export interface GraphQLContext {
  db: Database;
  models: ModelCache;
  trainingRuns: TrainingRuns;
  logger: Logger;
  caller: Caller;
  /** The client's address, as the HTTP server saw it (for per-IP rate limits). */
  clientIp: string;
  /** Batches anime lookups of one request into one query (no N+1). */
  animeLoader: DataLoader<number, Anime | null>;
}

export interface ContextServices {
  db: Database;
  catalog: AnimeCatalog;
  models: ModelCache;
  trainingRuns: TrainingRuns;
  logger: Logger;
  verifiedTokens: VerifiedTokens;
  adminToken: string | undefined;
}

export async function identify(services: ContextServices, authorization: string | undefined): Promise<Caller> {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : undefined;
  if (!token) return { userId: null, admin: false, badToken: false };
  if (services.adminToken !== undefined && sameSecret(token, services.adminToken)) return { userId: null, admin: true, badToken: false };
  const userId = await authenticate(services.db, services.verifiedTokens, token);
  return { userId, admin: false, badToken: userId === null };
}

export async function createContext(services: ContextServices, authorization: string | undefined, clientIp: string): Promise<GraphQLContext> {
  const { db, models, trainingRuns, logger } = services;
  return {
    db,
    models,
    trainingRuns,
    logger,
    caller: await identify(services, authorization),
    clientIp,
    animeLoader: new DataLoader((ids) => services.catalog.find(ids)),
  };
}
