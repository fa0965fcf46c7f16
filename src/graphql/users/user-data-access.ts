/**
 * Who may read a user's data (name, ratings, embedding, recommendations, predictions): the user
 * themselves and the admin. Users loaded from the public dataset (source "ingest") are the public
 * sample and readable by anyone. An unknown user is NOT_FOUND for everyone: ids are sequential,
 * so existence is no secret.
 */
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../../errors';
import type { UserSource } from '../../recsys/users';
import type { Caller, GraphQLContext } from '../context';

/** Whether the request may read the data of user `userId` whose source is `source`. */
export function mayReadUserData(context: Pick<GraphQLContext, 'caller' | 'createdUsers'>, userId: number, source: UserSource | string): boolean {
  const { caller } = context;
  return source === 'ingest' || caller.admin || caller.userId === userId || context.createdUsers.has(userId);
}

/** The error for a caller who may not read user `userId`'s data. */
export function privateUserError(caller: Caller, userId: number): UnauthenticatedError | ForbiddenError {
  return caller.userId === null
    ? new UnauthenticatedError(`user ${userId}'s data is private: sign in as that user (Authorization: Bearer <token>)`)
    : new ForbiddenError(`user ${userId}'s data is private: only that user and the admin may read it`);
}

/** Throws NOT_FOUND for an unknown user and UNAUTHENTICATED/FORBIDDEN for a private one the caller may not read. */
export async function authorizeUserData(context: GraphQLContext, userIds: Iterable<number>): Promise<void> {
  const ids = [...new Set(userIds)];
  const sources = await context.userSources.loadMany(ids);
  ids.forEach((id, i) => {
    const source = sources[i];
    if (source instanceof Error) throw source;
    if (source === null || source === undefined) throw new NotFoundError(`user ${id} does not exist`);
    if (!mayReadUserData(context, id, source)) throw privateUserError(context.caller, id);
  });
}
