/**
 * Item × item co-occurrence counts |U_i ∩ U_j| of the binary interaction matrix (the Gram matrix
 * XᵀX), computed sparsely one item row at a time: the users of item i, then each user's items.
 * The total work is Σ_u |I_u|², independent of numItems², so item-kNN and EASE's Gram take
 * about a second on thousands of items.
 */
import { itemsOf, usersOf, type Interactions } from './interactions';

/**
 * One row of XᵀX: `counts[j]` = |U_item ∩ U_j| for the `touchedCount` items j listed first in
 * `touched` (item itself among them, with its own support); every other count is 0.
 */
export interface CoOccurrenceRow {
  item: number;
  counts: Int32Array;
  touched: Int32Array;
  touchedCount: number;
}

/** Computes co-occurrence rows one at a time in reused buffers: read a row before asking for the next. */
export class CoOccurrence {
  private readonly current: CoOccurrenceRow;

  constructor(private readonly interactions: Interactions) {
    this.current = { item: -1, counts: new Int32Array(interactions.numItems), touched: new Int32Array(interactions.numItems), touchedCount: 0 };
  }

  row(item: number): CoOccurrenceRow {
    const { counts, touched } = this.current;
    for (let t = 0; t < this.current.touchedCount; t++) counts[touched[t]!] = 0;
    let touchedCount = 0;
    for (const user of usersOf(this.interactions, item)) {
      for (const other of itemsOf(this.interactions, user)) {
        if (counts[other]!++ === 0) touched[touchedCount++] = other;
      }
    }
    this.current.item = item;
    this.current.touchedCount = touchedCount;
    return this.current;
  }
}

/** The dense Gram matrix XᵀX, row-major numItems × numItems (counts are exact in Float32 up to 2^24 users). */
export function itemGram(interactions: Interactions): Float32Array {
  const n = interactions.numItems;
  const gram = new Float32Array(n * n);
  const coOccurrence = new CoOccurrence(interactions);
  for (let item = 0; item < n; item++) {
    const { counts, touched, touchedCount } = coOccurrence.row(item);
    const offset = item * n;
    for (let t = 0; t < touchedCount; t++) gram[offset + touched[t]!] = counts[touched[t]!]!;
  }
  return gram;
}
