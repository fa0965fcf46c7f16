/**
 * What ranking evaluation and the ranking models see of a split: the training interactions
 * (training ratings and every "watched" pair) and the liked ones among them, and for validation
 * and test the held-out ratings per user with the items a list may not contain (everything the
 * user is known to have seen outside the held-out set, as a served list excludes it).
 */
import { buildInteractions, type Interactions } from '../ranking/interactions';
import { LIKED_FEATURE_RATING } from '../ranking/two-stage';
import type { DatasetSplit, RatingsDataset } from './dataset';
import type { TestRatings } from './metrics';

export interface HeldOut {
  /** Items never listed for a user: training interactions, plus validation ratings when testing. */
  excludedByUser: Map<number, Int32Array>;
  heldOutByUser: Map<number, TestRatings>;
}

export interface RankingData {
  /** Training ratings and watched pairs: what ranking models learn from and score with. */
  train: Interactions;
  /** The training ratings of at least LIKED_FEATURE_RATING: what the blend's `liked` feature reads. */
  liked: Interactions;
  validation: HeldOut;
  test: HeldOut;
}

function pairsAt(dataset: RatingsDataset, indices: Int32Array[]): { users: Int32Array; items: Int32Array } {
  const watched = dataset.watched ?? { users: new Int32Array(0), items: new Int32Array(0) };
  const total = indices.reduce((sum, part) => sum + part.length, 0) + watched.users.length;
  const users = new Int32Array(total);
  const items = new Int32Array(total);
  let at = 0;
  for (const part of indices) {
    for (const index of part) {
      users[at] = dataset.users[index]!;
      items[at++] = dataset.items[index]!;
    }
  }
  users.set(watched.users, at);
  items.set(watched.items, at);
  return { users, items };
}

function interactionsOf(dataset: RatingsDataset, indices: Int32Array[]): Interactions {
  const { users, items } = pairsAt(dataset, indices);
  return buildInteractions(dataset.userIds.length, dataset.itemIds.length, users, items);
}

function byUser(interactions: Interactions): Map<number, Int32Array> {
  const out = new Map<number, Int32Array>();
  for (let user = 0; user < interactions.numUsers; user++) {
    const from = interactions.userStart[user]!;
    const to = interactions.userStart[user + 1]!;
    if (to > from) out.set(user, interactions.userItems.subarray(from, to));
  }
  return out;
}

function heldOutRatings(dataset: RatingsDataset, indices: Int32Array): Map<number, TestRatings> {
  const out = new Map<number, { items: number[]; ratings: number[] }>();
  for (const index of indices) {
    const user = dataset.users[index]!;
    const entry = out.get(user) ?? { items: [], ratings: [] };
    entry.items.push(dataset.items[index]!);
    entry.ratings.push(dataset.ratings[index]!);
    out.set(user, entry);
  }
  return out;
}

export function rankingData(dataset: RatingsDataset, split: DatasetSplit): RankingData {
  const train = interactionsOf(dataset, [split.train]);
  const liked = split.train.filter((index) => dataset.ratings[index]! >= LIKED_FEATURE_RATING);
  return {
    train,
    liked: buildInteractions(dataset.userIds.length, dataset.itemIds.length, Int32Array.from(liked, (index) => dataset.users[index]!), Int32Array.from(liked, (index) => dataset.items[index]!)),
    validation: { excludedByUser: byUser(train), heldOutByUser: heldOutRatings(dataset, split.validation) },
    test: { excludedByUser: byUser(interactionsOf(dataset, [split.train, split.validation])), heldOutByUser: heldOutRatings(dataset, split.test) },
  };
}
