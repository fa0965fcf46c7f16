/**
 * Binary user × item interactions (every rated and every watched pair of the training side),
 * in compressed sparse row form both ways. The input of every ranking method in src/ranking:
 * popularity, item-kNN, EASE and the implicit-feedback retrieval model.
 */

export interface Interactions {
  numUsers: number;
  numItems: number;
  /** User-major CSR: the items of user u are userItems[userStart[u] .. userStart[u + 1]), ascending, unique. */
  userStart: Int32Array;
  userItems: Int32Array;
  /** Item-major CSR: the users of item i are itemUsers[itemStart[i] .. itemStart[i + 1]), ascending, unique. */
  itemStart: Int32Array;
  itemUsers: Int32Array;
}

/** Scores every item for one user (higher is better), as `rankingMetrics` asks of a scorer. */
export interface UserScorer {
  scoreUser(user: number, scores: Float32Array): void;
}

function compress(count: number, keys: Int32Array, values: Int32Array): { start: Int32Array; entries: Int32Array } {
  const start = new Int32Array(count + 1);
  for (const key of keys) start[key + 1]!++;
  for (let k = 0; k < count; k++) start[k + 1]! += start[k]!;
  const fill = start.slice(0, count);
  const raw = new Int32Array(keys.length);
  for (let n = 0; n < keys.length; n++) raw[fill[keys[n]!]!++] = values[n]!;
  // Sort each row and drop duplicates (a pair both rated and watched counts once).
  const entries = new Int32Array(keys.length);
  const compact = new Int32Array(count + 1);
  let written = 0;
  for (let k = 0; k < count; k++) {
    const row = raw.subarray(start[k]!, start[k + 1]!).sort();
    for (let n = 0; n < row.length; n++) if (n === 0 || row[n] !== row[n - 1]) entries[written++] = row[n]!;
    compact[k + 1] = written;
  }
  return { start: compact, entries: entries.slice(0, written) };
}

/**
 * Builds both CSR forms from parallel (user row, item row) arrays; duplicate pairs count once.
 * @throws RangeError on a row outside 0..numUsers-1 or 0..numItems-1.
 */
export function buildInteractions(numUsers: number, numItems: number, users: Int32Array, items: Int32Array): Interactions {
  if (users.length !== items.length) throw new RangeError(`buildInteractions: ${users.length} users but ${items.length} items`);
  for (let n = 0; n < users.length; n++) {
    if (users[n]! < 0 || users[n]! >= numUsers) throw new RangeError(`buildInteractions: user row ${users[n]} outside 0..${numUsers - 1}`);
    if (items[n]! < 0 || items[n]! >= numItems) throw new RangeError(`buildInteractions: item row ${items[n]} outside 0..${numItems - 1}`);
  }
  const byUser = compress(numUsers, users, items);
  const byItem = compress(numItems, items, users);
  return { numUsers, numItems, userStart: byUser.start, userItems: byUser.entries, itemStart: byItem.start, itemUsers: byItem.entries };
}

/** The items of user u (a view, ascending). */
export function itemsOf(interactions: Interactions, user: number): Int32Array {
  return interactions.userItems.subarray(interactions.userStart[user]!, interactions.userStart[user + 1]!);
}

/** The users of item i (a view, ascending). */
export function usersOf(interactions: Interactions, item: number): Int32Array {
  return interactions.itemUsers.subarray(interactions.itemStart[item]!, interactions.itemStart[item + 1]!);
}

/** Number of users per item: the support of each item. */
export function itemSupport(interactions: Interactions): Int32Array {
  const support = new Int32Array(interactions.numItems);
  for (let i = 0; i < interactions.numItems; i++) support[i] = interactions.itemStart[i + 1]! - interactions.itemStart[i]!;
  return support;
}
