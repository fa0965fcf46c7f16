/**
 * The one place errors become GraphQL errors: our typed errors keep their message and get
 * their code; anything unexpected becomes INTERNAL_SERVER_ERROR with a generic message (the
 * details go to the log, never to the client).
 */
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { AppError } from '../errors';
import type { Logger } from '../logger';

export function formatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof AppError) {
      return { ...formatted, message: original.message, extensions: { ...formatted.extensions, code: original.code } };
    }
    if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR') {
      logger.error({ err: original }, 'unexpected error in a resolver');
      return { message: 'internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
    return formatted;
  };
}
