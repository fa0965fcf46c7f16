/**
 * Rate limits on mutations, per signed-in token (its user) and per client IP, as an Apollo
 * plugin: queries are never limited here; a request of N mutation fields costs N. Over budget,
 * the request fails before any resolver runs, with RATE_LIMITED (HTTP 429, Retry-After).
 *
 * Counters live in the rate-limit store (rate-limit-store.ts): Redis or PostgreSQL, so that
 * several servers behind a balancer share one budget; this process's memory on the embedded
 * database.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config';
import { RateLimitedError } from '../errors';
import type { GraphQLContext } from '../graphql/context';
import { parseToken, sameSecret } from '../recsys/tokens';
import type { RateLimitStore } from './rate-limit-store';

/** Root fields of a mutation (aliases count once each; fragments are rare here and count one). */
function mutationCost(operation: OperationDefinitionNode): number {
  return Math.max(1, operation.selectionSet.selections.filter((s) => s.kind === Kind.FIELD || s.kind === Kind.INLINE_FRAGMENT || s.kind === Kind.FRAGMENT_SPREAD).length);
}

/** Consumes `points` from `limiter` for `key`; throws RateLimitedError when over budget. */
async function spend(limiter: RateLimiterAbstract, key: string, points: number, what: string): Promise<void> {
  try {
    await limiter.consume(key, points);
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    throw new RateLimitedError(`too many mutations from this ${what}: at most ${limiter.points} per ${limiter.duration} s; retry after ${retryAfterSeconds} s`, retryAfterSeconds);
  }
}

export function mutationRateLimitPlugin(limits: Config['rateLimit'], store: RateLimitStore): ApolloServerPlugin<GraphQLContext> {
  const durationSeconds = limits.windowSeconds;
  const perToken = limits.mutationsPerToken > 0 ? store.limiter({ name: 'mutations-per-token', points: limits.mutationsPerToken, durationSeconds }) : null;
  const perIp = limits.mutationsPerIp > 0 ? store.limiter({ name: 'mutations-per-ip', points: limits.mutationsPerIp, durationSeconds }) : null;
  return {
    async requestDidStart() {
      if (!perToken && !perIp) return;
      return {
        async didResolveOperation({ operation, contextValue }) {
          if (operation?.operation !== 'mutation') return;
          const cost = mutationCost(operation);
          if (perIp) await spend(perIp, contextValue.clientIp, cost, 'address');
          const { caller } = contextValue;
          const who = caller.admin ? 'admin' : caller.userId !== null ? `user:${caller.userId}` : null;
          if (perToken && who) await spend(perToken, who, cost, 'token');
        },
      };
    },
  };
}

/**
 * Failed token verifications allowed per window from one client address for one claimed user
 * (a token names its user: `<userId>.<secret>`). Past this budget that address's forged tokens
 * for that user get RATE_LIMITED until the window ends, after one key lookup and an HMAC (no
 * scrypt): a flood costs the database and the CPU little.
 */
export const BAD_TOKENS_PER_IP = 30;

/**
 * Counts failed token verifications per (address, claimed user); `check` refuses a pair over
 * budget, but never a valid token: the admin token is never counted; forged tokens of one user
 * (or malformed ones) use up only their own budget, so a guessing client behind the same
 * proxy, or one spraying random user ids, locks out no one else; and a token known to be
 * genuine without scrypt (its fingerprint matches the stored one, tokens.ts) passes even when
 * its own pair is over budget, on any server, seen before or not. The one exception left: a
 * token whose stored hash predates fingerprints and has not verified since (it gets its
 * fingerprint then) passes an over-budget pair only where this server verified it lately.
 */
export class BadTokenLimiter {
  private readonly limiter: RateLimiterAbstract | null;

  constructor(
    limits: Config['rateLimit'],
    store: RateLimitStore,
    private readonly adminToken: string | undefined,
  ) {
    this.limiter = limits.mutationsPerIp > 0 ? store.limiter({ name: 'bad-tokens', points: BAD_TOKENS_PER_IP, durationSeconds: limits.windowSeconds }) : null;
  }

  /** The counter's key, or null for the admin token (never limited). */
  private key(ip: string, token: string): string | null {
    if (this.adminToken !== undefined && sameSecret(token, this.adminToken)) return null;
    return `${ip}|${parseToken(token)?.userId ?? 'malformed'}`;
  }

  /**
   * Throws RateLimitedError when tokens for `token`'s user from `ip` have used up their failed
   * verifications, unless `knownGenuine` (cheap: no scrypt) vouches for this one.
   */
  async check(ip: string, token: string, knownGenuine: () => Promise<boolean>): Promise<void> {
    const key = this.key(ip, token);
    const state = key === null ? null : await this.limiter?.get(key);
    if (state && state.consumedPoints >= BAD_TOKENS_PER_IP && !(await knownGenuine())) {
      const retryAfterSeconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
      throw new RateLimitedError(`too many invalid tokens for this user from this address; retry after ${retryAfterSeconds} s`, retryAfterSeconds);
    }
  }

  /** Records one failed verification of `token` from `ip`. */
  async failed(ip: string, token: string): Promise<void> {
    const key = this.key(ip, token);
    if (key !== null) await this.limiter?.penalty(key, 1);
  }
}
