/**
 * Item-kNN on the binary interaction matrix: cosine similarity
 * sim(i, j) = |U_i ∩ U_j| / sqrt(|U_i| · |U_j|), the top-N neighbours kept per item, and
 * score(u, j) = Σ over the user's items i of sim(i, j) for j among i's neighbours.
 */
import { CoOccurrence } from './co-occurrence';
import { itemSupport, type Interactions, type UserScorer } from './interactions';
import { neighbourScorer, selectNeighbours, type ItemNeighbours } from './item-neighbours';

export const DEFAULT_KNN_NEIGHBOURS = 100;

export interface ItemKnnModel extends UserScorer {
  neighbours: ItemNeighbours;
}

/**
 * The cosine neighbours of every item, best first. An item is never its own neighbour, and only
 * items sharing at least one user are neighbours (an item nobody else shares has none).
 */
export function itemKnnNeighbours(interactions: Interactions, options: { neighbours?: number } = {}): ItemNeighbours {
  const support = itemSupport(interactions);
  const norm = new Float64Array(interactions.numItems);
  for (let i = 0; i < norm.length; i++) norm[i] = Math.sqrt(support[i]!);
  const coOccurrence = new CoOccurrence(interactions);
  return selectNeighbours(interactions.numItems, options.neighbours ?? DEFAULT_KNN_NEIGHBOURS, (item, best) => {
    const { counts, touched, touchedCount } = coOccurrence.row(item);
    for (let t = 0; t < touchedCount; t++) {
      const other = touched[t]!;
      if (other !== item) best.offer(other, counts[other]! / (norm[item]! * norm[other]!));
    }
  });
}

/** Fits item-kNN on the interactions; its scorer reads each user's items from the same interactions. */
export function fitItemKnn(interactions: Interactions, options: { neighbours?: number } = {}): ItemKnnModel {
  const neighbours = itemKnnNeighbours(interactions, options);
  return { neighbours, ...neighbourScorer(interactions, neighbours) };
}
