/** Cursor connections over a list held in memory (model versions, training runs), and the cursor codec. */
import 'reflect-metadata';
import { connectionOf, connectionOfNewestFirst, type ConnectionValue } from '../../src/graphql/connection';
import { InvalidInputError } from '../../src/errors';
import { decodeCursor, encodeCursor, pageOf } from '../../src/recsys/cursor';

const newestFirst = (ids: number[]) => ids.map((id) => ({ id }));
const ids = (connection: ConnectionValue<{ id: number }>) => connection.nodes.map((node) => node.id);

describe('connectionOfNewestFirst', () => {
  const list = newestFirst([9, 7, 5, 4, 2]);

  it('pages forward from each endCursor until hasNextPage is false', () => {
    const pages: number[][] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const connection: ConnectionValue<{ id: number }> = connectionOfNewestFirst(list, { first: 2, after });
      pages.push(ids(connection));
      expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(connection.totalCount).toBe(5);
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(pages).toEqual([[9, 7], [5, 4], [2]]);
  });

  it('gives every edge the cursor that resumes after it, and the page its first and last', () => {
    const connection = connectionOfNewestFirst(list, { first: 3 });
    expect(connection.edges.map((edge) => edge.node.id)).toEqual([9, 7, 5]);
    expect(ids(connectionOfNewestFirst(list, { first: 3, after: connection.edges[1]!.cursor }))).toEqual([5, 4, 2]);
    expect(connection.pageInfo.startCursor).toBe(connection.edges[0]!.cursor);
    expect(connection.pageInfo.endCursor).toBe(connection.edges[2]!.cursor);
  });

  it('continues after a cursor whose item is gone, and stays right when newer items arrive', () => {
    const first = connectionOfNewestFirst(list, { first: 2 });
    const changed = newestFirst([11, 10, 9, 5, 4, 2]); // 7 deleted, 10 and 11 added
    expect(ids(connectionOfNewestFirst(changed, { first: 2, after: first.pageInfo.endCursor }))).toEqual([5, 4]);
  });

  it('answers an empty page with null cursors', () => {
    const empty = connectionOfNewestFirst([], { first: 5 });
    expect(empty.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null });
    expect(empty.totalCount).toBe(0);
  });

  it.each([
    ['not base64 JSON', 'nonsense'],
    ['the key of another list', encodeCursor([100, 7])],
    ['a fractional id', encodeCursor([1.5])],
  ])('refuses a cursor that is %s', (_case, cursor) => {
    expect(() => connectionOfNewestFirst(list, { first: 2, after: cursor })).toThrow(new InvalidInputError('after is not a cursor this API returned'));
  });
});

describe('connectionOf', () => {
  it('counts only when totalCount is read, and once', () => {
    let counts = 0;
    const connection = connectionOf(pageOf([1, 2, 3], 2, (n) => [n]), null, () => ++counts);
    expect(counts).toBe(0);
    expect([connection.totalCount, connection.totalCount]).toEqual([1, 1]);
    expect(connection.pageInfo.hasNextPage).toBe(true);
  });
});

it('the cursor codec round-trips a key', () => {
  const key = ['2026-12-06T03:00:00.000Z', 5114] as const;
  expect(decodeCursor(encodeCursor(key), (parsed) => parsed.length === 2)).toEqual(key);
});
