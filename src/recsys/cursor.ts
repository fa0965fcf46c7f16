/**
 * The one codec of pagination cursors. A cursor is the sort key of a row (for anime
 * [members, id], for ratings [updatedAt, animeId], for model versions [id]), as base64url JSON:
 * opaque to clients, and the next page is a keyset query after that key, which stays right
 * while rows are added (an offset would skip or repeat them).
 */
import { InvalidInputError } from '../errors';

export type CursorKey = readonly (string | number)[];

/** Rows of one page in order, each row's cursor, and whether rows follow the last. */
export interface Page<T> {
  items: T[];
  cursors: string[];
  hasNextPage: boolean;
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The key of a cursor this API returned; BAD_USER_INPUT when `isKey` refuses what it decodes to. */
export function decodeCursor<K extends CursorKey>(cursor: string, isKey: (parsed: readonly unknown[]) => boolean): K {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && isKey(parsed)) return parsed as unknown as K;
  throw new InvalidInputError('after is not a cursor this API returned');
}

/** A page from the rows of a query that asked for `first + 1` (the extra one says a next page exists). */
export function pageOf<T>(rows: readonly T[], first: number, keyOf: (row: T) => CursorKey): Page<T> {
  const items = rows.slice(0, first);
  return { items, cursors: items.map((row) => encodeCursor(keyOf(row))), hasNextPage: rows.length > first };
}
