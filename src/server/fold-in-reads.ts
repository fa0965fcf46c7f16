/**
 * Reads see the reader's own ratings: a query waits (before any resolver runs) until the
 * fold-ins pending for the users it concerns are done in this server — the signed-in caller
 * and every user named by a `userId` argument. Fold-ins run right after the rating is stored
 * (UserWorkQueue), so the wait is short and only for a user who has just rated.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, visit, type OperationDefinitionNode, type ValueNode } from 'graphql';
import type { GraphQLContext } from '../graphql/context';

/** The user ids an operation's `userId` arguments name, literally or through variables. */
function namedUsers(operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined): number[] {
  const ids: number[] = [];
  const add = (value: unknown) => {
    if (typeof value === 'number' && Number.isSafeInteger(value)) ids.push(value);
  };
  const read = (node: ValueNode) => {
    if (node.kind === Kind.INT) add(Number(node.value));
    else if (node.kind === Kind.VARIABLE) add(variables?.[node.name.value]);
  };
  visit(operation, {
    Argument(argument) {
      if (argument.name.value === 'userId') read(argument.value);
    },
    ObjectField(field) {
      if (field.name.value === 'userId') read(field.value);
    },
  });
  return ids;
}

export function foldInReadsPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue, request }) {
          if (operation?.operation !== 'query' || contextValue.models.foldIns.size === 0) return;
          const users = namedUsers(operation, request.variables);
          if (contextValue.caller.userId !== null) users.push(contextValue.caller.userId);
          await Promise.all(users.map((userId) => contextValue.models.foldIns.settled(userId)));
        },
      };
    },
  };
}
