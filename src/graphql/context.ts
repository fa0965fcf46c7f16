/** What every resolver receives: the database, the model cache, the caller, per-request loaders. */
import DataLoader from 'dataloader';
import type { Database } from '../db/database';
import type { Logger } from '../logger';
import type { Anime } from '../recsys/catalog';
import type { AnimeCatalog } from '../recsys/anime-catalog';
import type { ModelCache } from '../recsys/model-cache';
import type { JobRunner } from '../jobs/job-runner';
import { authenticate, userSources, type UserSource } from '../recsys/users';
import { sameSecret, type VerifiedTokens } from '../recsys/tokens';

export interface Caller {
  /** The signed-in user, or null (anonymous, or a token that did not verify). */
  userId: number | null;
  admin: boolean;
  /** A token was presented but did not verify (forged, malformed, expired, revoked, or its user is gone). */
  badToken: boolean;
  /** The presented token was genuine but past its expiry. */
  expiredToken?: boolean;
}

export interface GraphQLContext {
  db: Database;
  models: ModelCache;
  jobs: JobRunner;
  logger: Logger;
  caller: Caller;
  /** The client's address, as the HTTP server saw it (for per-IP rate limits). */
  clientIp: string;
  /** The catalog in memory (the valid genres and types). */
  catalog: AnimeCatalog;
  /** Batches anime lookups of one request into one query (no N+1). */
  animeLoader: DataLoader<number, Anime | null>;
  /** Each user's source ("ingest": public sample, "api": private), null for no such user. */
  userSources: DataLoader<number, UserSource | null>;
  /** Days a token issued in this request stays valid (TOKEN_TTL_DAYS). */
  tokenTtlDays: number;
  /** Users created by this request: its createUser answer may show the new user's own data. */
  createdUsers: Set<number>;
}

export interface ContextServices {
  db: Database;
  catalog: AnimeCatalog;
  models: ModelCache;
  jobs: JobRunner;
  logger: Logger;
  verifiedTokens: VerifiedTokens;
  adminToken: string | undefined;
  tokenTtlDays: number;
}

/** The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive (RFC 9110 §11.1). */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = authorization === undefined ? null : /^bearer\s+(.*)$/is.exec(authorization);
  return match?.[1]!.trim() || undefined;
}

export async function identify(services: ContextServices, authorization: string | undefined): Promise<Caller> {
  const token = bearerToken(authorization);
  if (!token) return { userId: null, admin: false, badToken: false };
  if (services.adminToken !== undefined && sameSecret(token, services.adminToken)) return { userId: null, admin: true, badToken: false };
  const signedIn = await authenticate(services.db, services.verifiedTokens, token);
  if (signedIn.userId !== null) return { userId: signedIn.userId, admin: false, badToken: false };
  return { userId: null, admin: false, badToken: true, expiredToken: signedIn.refused === 'expired' };
}

export async function createContext(services: ContextServices, authorization: string | undefined, clientIp: string): Promise<GraphQLContext> {
  const { db, models, jobs, logger } = services;
  return {
    db,
    models,
    jobs,
    logger,
    caller: await identify(services, authorization),
    clientIp,
    catalog: services.catalog,
    animeLoader: new DataLoader((ids) => services.catalog.find(ids)),
    userSources: new DataLoader((ids) => userSources(db, ids)),
    tokenTtlDays: services.tokenTtlDays,
    createdUsers: new Set(),
  };
}
