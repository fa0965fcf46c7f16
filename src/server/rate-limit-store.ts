/**
 * Where rate-limit counters live, so that every server behind a balancer counts the same
 * budget: Redis when REDIS_URL is set, else the PostgreSQL database itself (table
 * `rate_limit`), else (the embedded database: one process) this process's memory. Redis or
 * PostgreSQL trouble never refuses a request by itself: each limiter falls back to a counter
 * in memory until the store answers again (rate-limiter-flexible's insurance limiter).
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Database } from '../db/database';
import type { Logger } from '../logger';

export type RateLimitStoreKind = 'redis' | 'postgres' | 'memory';

export interface LimiterOptions {
  /** What is counted, e.g. "mutations-per-ip"; keys of different limiters never collide. */
  name: string;
  points: number;
  durationSeconds: number;
}

export interface RateLimitStore {
  readonly kind: RateLimitStoreKind;
  limiter(options: LimiterOptions): RateLimiterAbstract;
  close(): Promise<void>;
}

/** How long a Redis call may take before the memory counter answers instead. */
const REDIS_TIMEOUT_MS = 500;

/**
 * Keys start with the database's identity: two deployments that share a Redis (or a test run
 * beside another) count apart.
 */
function keyPrefix(db: Database, name: string): string {
  return `animerec:${createHash('sha256').update(db.location).digest('hex').slice(0, 12)}:${name}`;
}

function memoryLimiter({ name, points, durationSeconds }: LimiterOptions): RateLimiterMemory {
  return new RateLimiterMemory({ keyPrefix: name, points, duration: durationSeconds });
}

export function openRateLimitStore(db: Database, redisUrl: string | undefined, logger: Logger): RateLimitStore {
  if (redisUrl !== undefined) {
    // No offline queue: while Redis is away, calls fail at once and the memory counter answers.
    const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: REDIS_TIMEOUT_MS });
    let warned = false;
    redis.on('error', (error: unknown) => {
      if (!warned) logger.warn({ err: error }, 'rate limits: Redis unavailable, counting in this process until it is back');
      warned = true;
    });
    redis.on('ready', () => (warned = false));
    return {
      kind: 'redis',
      limiter: (options) =>
        new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: keyPrefix(db, options.name),
          points: options.points,
          duration: options.durationSeconds,
          rejectIfRedisNotReady: true,
          insuranceLimiter: memoryLimiter(options),
        }),
      async close() {
        redis.disconnect();
      },
    };
  }
  if (db.driver === 'postgres') {
    // The store's statements run through our driver (its errors, its pool); the table is ours (migration 20261205010000).
    const storeClient = { query: ({ text, values }: { text: string; values?: unknown[] }) => db.query(text, values) };
    return {
      kind: 'postgres',
      limiter: (options) =>
        new RateLimiterPostgres({
          storeClient,
          storeType: 'client',
          tableName: 'rate_limit',
          tableCreated: true,
          keyPrefix: keyPrefix(db, options.name),
          points: options.points,
          duration: options.durationSeconds,
          insuranceLimiter: memoryLimiter(options),
        }),
      async close() {},
    };
  }
  return { kind: 'memory', limiter: memoryLimiter, async close() {} };
}
