/** Top-k selection shared by similarity search and recommendations. */

/** Picks the k best rows of `scores` that `keep` accepts, best first (ties: lower row). */
export function topRows(scores: Float32Array, k: number, keep: (row: number) => boolean): number[] {
  const best: number[] = [];
  for (let row = 0; row < scores.length; row++) {
    const score = scores[row]!;
    // The cheap test first: once k are kept, most rows are below the k-th.
    if (best.length === k && score <= scores[best[k - 1]!]!) continue;
    if (!keep(row)) continue;
    let at = best.length === k ? k - 1 : best.length;
    if (best.length < k) best.push(row);
    while (at > 0 && scores[best[at - 1]!]! < score) {
      best[at] = best[at - 1]!;
      at--;
    }
    best[at] = row;
  }
  return best;
}
