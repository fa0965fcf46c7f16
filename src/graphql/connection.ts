/**
 * Cursor connections (the Relay connection spec, as GitHub's and Shopify's APIs use it) for
 * every list that grows: `edges { node cursor }` and its shortcut `nodes`, `pageInfo`, and
 * `totalCount`; paged forward with `first` and `after`. `Connection(Node, 'Name')` is the one
 * builder of the types; `connectionOf` turns a service's Page into one.
 */
import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { decodeCursor, pageOf, type Page } from '../recsys/cursor';
import { IntRange } from './validation';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `How many per page, 1-${MAX_PAGE_SIZE}.` })
  @IntRange(1, MAX_PAGE_SIZE)
  first!: number;

  @Field(() => String, { nullable: true, description: "The endCursor of the previous page's pageInfo; omit for the first page." })
  after?: string | null;
}

@ObjectType('PageInfo', { description: 'Where a page lies in its list (Relay cursor connections).' })
export class PageInfoType {
  @Field(() => Boolean, { description: 'Whether more follow the last edge: pass endCursor as `after` for them.' })
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: 'Whether the page starts after the beginning of the list (it was asked for with `after`).' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'The cursor of the first edge; null on an empty page.' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'The cursor of the last edge; null on an empty page.' })
  endCursor!: string | null;
}

/** What a connection resolver returns; totalCount is counted only when a query selects it. */
export interface ConnectionValue<T> {
  edges: { node: T; cursor: string }[];
  nodes: T[];
  pageInfo: PageInfoType;
  readonly totalCount: number | Promise<number>;
}

/**
 * The abstract connection of `node` (extend it with `@ObjectType('<Name>Connection')`), and its
 * `<Name>Edge` type. `plural` names the items in descriptions ("anime", "ratings").
 */
export function Connection<T extends object>(node: ClassType<T>, name: string, plural: string) {
  @ObjectType(`${name}Edge`, { description: `One of a page of ${plural}, with its cursor.` })
  class Edge {
    @Field(() => node, { description: `One of the ${plural}.` })
    node!: T;

    @Field(() => String, { description: 'Pass as `after` for what follows this edge.' })
    cursor!: string;
  }

  @ObjectType()
  abstract class ConnectionType implements ConnectionValue<T> {
    @Field(() => [Edge], { description: `This page of ${plural}, each with its cursor.` })
    edges!: Edge[];

    @Field(() => [node], { description: `This page of ${plural} (edges without the cursors).` })
    nodes!: T[];

    @Field(() => PageInfoType, { description: 'Whether more follow, and the cursors to ask for them.' })
    pageInfo!: PageInfoType;

    @Field(() => Int, { description: `How many ${plural} the list holds in all (every page).` })
    totalCount!: number;
  }
  return ConnectionType;
}

/** The connection of a page; `count` runs only if the query selects totalCount (it may cost a scan). */
export function connectionOf<T>(page: Page<T>, after: string | null | undefined, count: () => number | Promise<number>): ConnectionValue<T> {
  let counted: number | Promise<number> | undefined;
  return {
    edges: page.items.map((node, i) => ({ node, cursor: page.cursors[i]! })),
    nodes: page.items,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      // The Relay spec lets forward pagination answer this cheaply: rows before `after` exist.
      hasPreviousPage: after != null,
      startCursor: page.cursors[0] ?? null,
      endCursor: page.cursors[page.cursors.length - 1] ?? null,
    },
    get totalCount() {
      return (counted ??= count());
    },
  };
}

const isIdKey = (key: readonly unknown[]) => key.length === 1 && Number.isInteger(key[0]);

/** The id an id cursor (connections ordered by id, newest first) names; null without one. */
function idBefore(after: string | null | undefined): number | null {
  return after == null ? null : decodeCursor<[number]>(after, isIdKey)[0];
}

/** The connection of `items` (at most `first + 1` of them, newest first), cursors by id. */
function newestFirstConnection<T extends { id: number }>(items: readonly T[], args: ConnectionArgs, count: () => number | Promise<number>): ConnectionValue<T> {
  return connectionOf(pageOf(items, args.first, (item) => [item.id]), args.after, count);
}

/**
 * The connection of the page `fetch` reads: at most `limit` items older than `beforeId`
 * (null: from the newest), newest first; `count` counts them all, when asked. Training runs.
 */
export async function connectionByIdNewestFirst<T extends { id: number }>(
  args: ConnectionArgs,
  fetch: (page: { beforeId: number | null; limit: number }) => Promise<readonly T[]>,
  count: () => Promise<number>,
): Promise<ConnectionValue<T>> {
  return newestFirstConnection(await fetch({ beforeId: idBefore(args.after), limit: args.first + 1 }), args, count);
}

/**
 * The connection of a list held whole in memory, newest (highest id) first: model versions
 * (bounded by retention). The cursor is the id, so a page stays right while newer items are
 * added in front.
 */
export function connectionOfNewestFirst<T extends { id: number }>(list: readonly T[], args: ConnectionArgs): ConnectionValue<T> {
  const before = idBefore(args.after) ?? Infinity;
  return newestFirstConnection(list.filter((item) => item.id < before).slice(0, args.first + 1), args, () => list.length);
}
