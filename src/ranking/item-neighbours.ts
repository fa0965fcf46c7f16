/**
 * Sparse item → item weights: for each item, its best neighbours and their weights, best first.
 * The form item-kNN produces and EASE is sparsified to, and what serving keeps instead of a dense
 * items × items matrix: item-neighbour candidates, "similar" titles, and the scorer below.
 */
import { itemsOf, type Interactions, type UserScorer } from './interactions';
import { TopK } from './top-k';

/** CSR by source item: the neighbours of item i are `items[start[i] .. start[i + 1])`, best first. */
export interface ItemNeighbours {
  numItems: number;
  start: Int32Array;
  /** Neighbour item rows. */
  items: Int32Array;
  /** `weights[n]` is the weight from the source item to `items[n]`: what it adds to that item's score. */
  weights: Float32Array;
}

/** The neighbours of one item and their weights (views, best first). */
export function neighboursOf(neighbours: ItemNeighbours, item: number): { items: Int32Array; weights: Float32Array } {
  const from = neighbours.start[item]!;
  const to = neighbours.start[item + 1]!;
  return { items: neighbours.items.subarray(from, to), weights: neighbours.weights.subarray(from, to) };
}

/**
 * Builds the neighbour lists: for each item, `offerRow` offers (neighbour, weight) candidates and the
 * best `perItem` are kept (higher weight first, ties to the lower item row).
 */
export function selectNeighbours(numItems: number, perItem: number, offerRow: (item: number, best: TopK) => void): ItemNeighbours {
  if (!Number.isInteger(perItem) || perItem <= 0) throw new RangeError(`selectNeighbours: perItem must be a positive integer, got ${perItem}`);
  const keep = Math.min(perItem, numItems);
  const start = new Int32Array(numItems + 1);
  const items = new Int32Array(numItems * keep);
  const weights = new Float32Array(numItems * keep);
  const best = new TopK(keep);
  const rowWeights = new Float32Array(keep);
  let written = 0;
  for (let item = 0; item < numItems; item++) {
    best.clear();
    offerRow(item, best);
    const rowItems = best.drainBestFirst(rowWeights);
    items.set(rowItems, written);
    weights.set(rowWeights.subarray(0, rowItems.length), written);
    written += rowItems.length;
    start[item + 1] = written;
  }
  return { numItems, start, items: items.slice(0, written), weights: weights.slice(0, written) };
}

/**
 * Scores a user's items by their neighbours: score(u, j) = Σ over the user's items i of the
 * weight from i to j (0 where j is not among i's neighbours).
 */
export function neighbourScorer(interactions: Interactions, neighbours: ItemNeighbours): UserScorer {
  return {
    scoreUser(user: number, scores: Float32Array): void {
      scores.fill(0);
      for (const item of itemsOf(interactions, user)) {
        for (let n = neighbours.start[item]!; n < neighbours.start[item + 1]!; n++) scores[neighbours.items[n]!]! += neighbours.weights[n]!;
      }
    },
  };
}
