/**
 * The root fields of queries that have several start one per event-loop turn. Why: the embedded
 * database (PGlite) runs in this thread and its queries settle as microtasks, so a request whose
 * data comes from it and from memory resolves and completes every field without returning to
 * the event loop.
 * Thirty aliases of a heavy field then held the thread ~200 ms, and admitted one after another,
 * several such requests held it for 0.8 s while /healthz and every other request waited. Started
 * in turns, each root field runs with the other requests' I/O handled before and after it. The
 * cost: one `setImmediate` (microseconds) per root field of a query that has several.
 */
import { defaultFieldResolver, Kind, type GraphQLObjectType, type GraphQLResolveInfo } from 'graphql';

let lastTurn: Promise<void> = Promise.resolve();

/**
 * Resolves in the event-loop turn after the previous caller's: each turn's `setImmediate` is set
 * only once the turn before has come, so turns never share one pass of the loop's check phase.
 */
export function nextTurn(): Promise<void> {
  const turn = lastTurn.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  lastTurn = turn;
  return turn;
}

/** Items of a long list completed per event-loop turn (embeddingMap: 7,157 points of 9 fields). */
export const ITEMS_PER_TURN = 1000;

/**
 * A long list for graphql-js to complete a part at a time: each item is a promise, and the items
 * of a part resolve together in their own turn, so completing the list (graphql-js does it in
 * one synchronous pass for plain values) never holds the thread for more than one part.
 */
export function listInTurns<T>(items: readonly T[], perTurn = ITEMS_PER_TURN): Promise<T>[] {
  const listed: Promise<T>[] = [];
  for (let start = 0; start < items.length; start += perTurn) {
    const turn = nextTurn();
    for (let i = start; i < Math.min(start + perTurn, items.length); i++) listed.push(turn.then(() => items[i]!));
  }
  return listed;
}

/** Whether the operation asks for this one root field only (then there is nothing to take turns with). */
function onlyRootField(info: GraphQLResolveInfo): boolean {
  const selections = info.operation.selectionSet.selections;
  return selections.length === 1 && selections[0]!.kind === Kind.FIELD;
}

/**
 * Makes every field of `root` (the Query type) wait for its turn before it resolves, when the
 * operation has several root fields (aliases). A lone root field resolves at once, as before:
 * a turn would split nothing, yet cost every such request a pass of the loop, and graphql-js
 * completes a synchronous answer without promises.
 */
export function resolveRootFieldsInTurns(root: GraphQLObjectType): void {
  for (const field of Object.values(root.getFields())) {
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args, context, info) => (onlyRootField(info) ? resolve(source, args, context, info) : nextTurn().then(() => resolve(source, args, context, info)));
  }
}
