/**
 * Rate limits on mutations, per signed-in token (its user) and per client IP, as an Apollo
 * plugin: queries are never limited here; a request of N mutation fields costs N. Over budget,
 * the request fails before any resolver runs, with RATE_LIMITED (HTTP 429, Retry-After).
 *
 * Counters live in this process (rate-limiter-flexible's memory store): with several server
 * processes behind a balancer each enforces its own budget.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config';
import { RateLimitedError } from '../errors';
import type { GraphQLContext } from '../graphql/context';

/** Root fields of a mutation (aliases count once each; fragments are rare here and count one). */
function mutationCost(operation: OperationDefinitionNode): number {
  return Math.max(1, operation.selectionSet.selections.filter((s) => s.kind === Kind.FIELD || s.kind === Kind.INLINE_FRAGMENT || s.kind === Kind.FRAGMENT_SPREAD).length);
}

/** Consumes `points` from `limiter` for `key`; throws RateLimitedError when over budget. */
async function spend(limiter: RateLimiterMemory, key: string, points: number, what: string): Promise<void> {
  try {
    await limiter.consume(key, points);
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    throw new RateLimitedError(`too many mutations from this ${what}: at most ${limiter.points} per ${limiter.duration} s; retry after ${retryAfterSeconds} s`, retryAfterSeconds);
  }
}

export function mutationRateLimitPlugin(limits: Config['rateLimit']): ApolloServerPlugin<GraphQLContext> {
  const perToken = limits.mutationsPerToken > 0 ? new RateLimiterMemory({ points: limits.mutationsPerToken, duration: limits.windowSeconds }) : null;
  const perIp = limits.mutationsPerIp > 0 ? new RateLimiterMemory({ points: limits.mutationsPerIp, duration: limits.windowSeconds }) : null;
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
 * Failed token verifications allowed per client IP per window. A forged token of a real user
 * costs a scrypt hash (~50 ms of CPU) to refuse, on queries too; past this budget the address
 * gets RATE_LIMITED without any hashing until the window ends.
 */
export const BAD_TOKENS_PER_IP = 30;

/** Counts failed token verifications per IP; `check` refuses an address over budget. */
export class BadTokenLimiter {
  private readonly limiter: RateLimiterMemory | null;

  constructor(limits: Config['rateLimit']) {
    this.limiter = limits.mutationsPerIp > 0 ? new RateLimiterMemory({ points: BAD_TOKENS_PER_IP, duration: limits.windowSeconds }) : null;
  }

  /** Throws RateLimitedError when `ip` has used up its failed verifications. */
  async check(ip: string): Promise<void> {
    const state = await this.limiter?.get(ip);
    if (state && state.consumedPoints >= BAD_TOKENS_PER_IP) {
      const retryAfterSeconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
      throw new RateLimitedError(`too many invalid tokens from this address; retry after ${retryAfterSeconds} s`, retryAfterSeconds);
    }
  }

  /** Records one failed verification from `ip`. */
  async failed(ip: string): Promise<void> {
    await this.limiter?.penalty(ip, 1);
  }
}
