/**
 * The one place errors become GraphQL errors: our typed errors keep their message and get
 * their code; anything unexpected becomes INTERNAL_SERVER_ERROR with a generic message (the
 * details go to the log, never to the client). A lost database connection, wherever it
 * surfaces, becomes SERVICE_UNAVAILABLE with `retryable: true`.
 *
 * HTTP status: SERVICE_UNAVAILABLE answers 503 and RATE_LIMITED 429, each with a Retry-After
 * header (errorStatusPlugin), so proxies and clients can back off without reading the body.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isConnectionLoss } from '../db/connection-loss';
import { ArgumentValidationError } from 'type-graphql';
import { AppError, RateLimitedError, ServerBusyError, ServiceUnavailableError } from '../errors';
import type { Logger } from '../logger';
import { validationMessages } from './validation';

/**
 * Protocol errors Apollo raises without a code, which would read as INTERNAL_SERVER_ERROR and be
 * logged as faults; they are the client's (HTTP 400 already).
 */
const PROTOCOL_ERROR_CODES: Record<string, string> = {
  'provided sha does not match query': 'PERSISTED_QUERY_HASH_MISMATCH',
  'Unsupported persisted query version': 'PERSISTED_QUERY_VERSION_NOT_SUPPORTED',
};

/** Codes a client may simply retry after waiting `retryAfterSeconds`. */
const RETRYABLE: Record<string, number> = { SERVICE_UNAVAILABLE: 503, RATE_LIMITED: 429 };

/** The AppError behind `error` (a resolver's, a plugin's or the context function's), if any. */
function appErrorOf(error: unknown): AppError | undefined {
  for (let current = unwrapResolverError(error), depth = 0; current && depth < 5; depth++) {
    if (current instanceof AppError) return current;
    current = current instanceof GraphQLError ? current.originalError : undefined;
  }
  return undefined;
}

function extensionsOf(error: AppError): Record<string, unknown> {
  if (error instanceof ServiceUnavailableError || error instanceof RateLimitedError) {
    return { code: error.code, retryable: true, retryAfterSeconds: error.retryAfterSeconds };
  }
  return { code: error.code };
}

export function formatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    let original = appErrorOf(error);
    if (!original && isConnectionLoss(error)) original = new ServiceUnavailableError('the database is unavailable; retry shortly');
    if (original) {
      if (original instanceof ServerBusyError) logger.warn({ err: original }, 'request refused: no room among costly requests');
      else if (original instanceof ServiceUnavailableError) logger.warn({ err: unwrapResolverError(error) }, 'database unavailable');
      return { ...formatted, message: original.message, extensions: { ...formatted.extensions, ...extensionsOf(original) } };
    }
    const invalid = unwrapResolverError(error);
    if (invalid instanceof ArgumentValidationError) {
      // Only the failed constraints: type-graphql's own extensions echo every argument back.
      const described = validationMessages(invalid.extensions.validationErrors);
      return { message: described.messages.join('; '), locations: formatted.locations, path: formatted.path, extensions: { code: 'BAD_USER_INPUT', arguments: described.arguments } };
    }
    const protocolCode = PROTOCOL_ERROR_CODES[formatted.message];
    if (protocolCode) return { ...formatted, extensions: { ...formatted.extensions, code: protocolCode } };
    if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR') {
      logger.error({ err: unwrapResolverError(error) }, 'unexpected error in a resolver');
      return { message: 'internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
    return formatted;
  };
}

/**
 * For errors raised outside resolvers (the context function, which runs before Apollo's plugins,
 * and the plugins): a lost database connection, a busy server or a rate limit becomes a
 * GraphQLError carrying its own HTTP status; other errors pass unchanged.
 */
export function contextError(error: unknown): unknown {
  const original = error instanceof AppError ? error : isConnectionLoss(error) ? new ServiceUnavailableError('the database is unavailable; retry shortly') : undefined;
  if (!(original instanceof ServiceUnavailableError || original instanceof RateLimitedError)) return error;
  return new GraphQLError(original.message, {
    originalError: original,
    extensions: { ...extensionsOf(original), http: { status: RETRYABLE[original.code], headers: new Map([['retry-after', String(original.retryAfterSeconds)]]) } },
  });
}

/** Sets 503 or 429 and Retry-After on responses whose errors say "retry later". */
export function errorStatusPlugin<Context extends object>(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const retryable = response.body.singleResult.errors?.find((e) => typeof e.extensions?.code === 'string' && e.extensions.code in RETRYABLE);
          if (!retryable) return;
          response.http.status = RETRYABLE[retryable.extensions!.code as string];
          response.http.headers.set('retry-after', String(retryable.extensions!.retryAfterSeconds ?? 1));
        },
      };
    },
  };
}
