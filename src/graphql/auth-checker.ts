/**
 * One place for authorization: `@Authorized()` needs a signed-in user, `@Authorized('ADMIN')`
 * the admin token. A presented token that does not verify is UNAUTHENTICATED, not anonymous.
 */
import { GraphQLError } from 'graphql';
import type { AuthChecker } from 'type-graphql';
import type { GraphQLContext } from './context';

export const ADMIN = 'ADMIN';

export const authChecker: AuthChecker<GraphQLContext> = ({ context }, roles) => {
  const { caller } = context;
  if (caller.badToken) throw new GraphQLError(caller.expiredToken ? 'the token has expired: create a new user, or rotateToken before expiry' : 'the token is not valid', { extensions: { code: 'UNAUTHENTICATED' } });
  if (roles.includes(ADMIN)) {
    if (caller.admin) return true;
    throw new GraphQLError('this needs the admin token', { extensions: { code: caller.userId === null ? 'UNAUTHENTICATED' : 'FORBIDDEN' } });
  }
  if (caller.userId !== null) return true;
  throw new GraphQLError('sign in first: send "Authorization: Bearer <token>" (createUser gives one)', { extensions: { code: 'UNAUTHENTICATED' } });
};
