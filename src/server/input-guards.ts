/**
 * Guards on raw input that GraphQL's type system does not express:
 * - request bodies must be valid UTF-8 (fastify would otherwise decode bad bytes into U+FFFD
 *   and run the request on text the client never sent);
 * - strings must not hold NUL characters, which PostgreSQL's text cannot store (the query
 *   would fail deep inside a resolver as an internal error instead of a clear BAD_USER_INPUT);
 * - lists in variables are refused beyond MAX_VARIABLE_LIST before GraphQL coerces and
 *   validates them item by item (30,000 pairs took ~3 s of CPU before the resolver's own
 *   ArrayMaxSize could say no).
 */
import { isUtf8 } from 'node:buffer';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, visit, type DocumentNode } from 'graphql';
import type { FastifyInstance } from 'fastify';

/** Replaces fastify's JSON body parser by the same parser behind a UTF-8 check. */
export function registerUtf8JsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(Object.assign(new Error('request body is not valid UTF-8'), { statusCode: 400, code: 'INVALID_UTF8' }), undefined);
      return;
    }
    parseJson(request, bytes.toString('utf8'), done);
  });
}

/** Longest list a variable may hold; the API's largest legitimate list is MAX_PAIRS (1,000). */
export const MAX_VARIABLE_LIST = 1000;

function longestList(value: unknown, depth = 0): number {
  if (depth > 32 || value === null || typeof value !== 'object') return 0;
  let longest = Array.isArray(value) ? value.length : 0;
  if (longest > MAX_VARIABLE_LIST) return longest; // no need to look inside
  for (const item of Object.values(value as Record<string, unknown>)) longest = Math.max(longest, longestList(item, depth + 1));
  return longest;
}

function hasNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 32 || value === null || typeof value !== 'object') return false;
  return Object.values(value as Record<string, unknown>).some((item) => hasNul(item, depth + 1)) || Object.keys(value).some((key) => key.includes('\u0000'));
}

/** Per parsed document: Apollo reuses the same DocumentNode for a repeated query text. */
const documentsWithNul = new WeakMap<DocumentNode, boolean>();

function documentHasNul(document: DocumentNode): boolean {
  let found = documentsWithNul.get(document);
  if (found !== undefined) return found;
  found = false;
  visit(document, {
    [Kind.STRING](node) {
      if (node.value.includes('\u0000')) found = true;
    },
  });
  documentsWithNul.set(document, found);
  return found;
}

/**
 * Refuses subscriptions with OPERATION_NOT_SUPPORTED (400): this API answers queries and
 * mutations over HTTP only; without this, execution fails and the answer reads as a server fault.
 */
export function unsupportedOperationPlugin<Context extends object>(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === 'subscription') {
            throw new GraphQLError('subscriptions are not supported: send queries and mutations over HTTP POST', { extensions: { code: 'OPERATION_NOT_SUPPORTED', http: { status: 400 } } });
          }
        },
      };
    },
  };
}

/** Refuses NUL characters in strings and over-long variable lists, with BAD_USER_INPUT (400). */
export function rejectNulPlugin<Context extends object>(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          if (longestList(request.variables) > MAX_VARIABLE_LIST) {
            throw new GraphQLError(`a list in the variables has more than ${MAX_VARIABLE_LIST} items`, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
          }
          if (hasNul(request.variables) || documentHasNul(document)) {
            throw new GraphQLError('strings must not contain NUL (\\u0000) characters', { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
          }
        },
      };
    },
  };
}
