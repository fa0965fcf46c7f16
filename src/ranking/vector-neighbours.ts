/**
 * Similar titles from item vectors: cosine similarity, shrunk by the neighbour's support so that
 * titles with very few interactions, whose vectors are mostly prior, do not crowd out
 * well-supported neighbours: sim'(i, j) = cos(i, j) · n_j / (n_j + shrinkage).
 */
import { DotScanner } from './dot-scan';
import { selectNeighbours, type ItemNeighbours } from './item-neighbours';

/** Rows scaled to unit length, row-major [rows, dim]; a zero row stays zero. */
export function unitRows(vectors: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(vectors.length);
  for (let offset = 0; offset < vectors.length; offset += dim) {
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += vectors[offset + j]! * vectors[offset + j]!;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < dim; j++) out[offset + j] = vectors[offset + j]! * scale;
  }
  return out;
}

/** A scanner of the rows scaled to unit length: its dot products are cosines. */
export function unitScanner(vectors: Float32Array, dim: number): DotScanner {
  return new DotScanner(unitRows(vectors, dim), dim);
}

/** Per item, the factor its similarities are multiplied by: n / (n + shrinkage); 1 without shrinkage. */
export function supportFactors(support: Int32Array, shrinkage: number): Float32Array {
  return Float32Array.from(support, (count) => (shrinkage > 0 ? count / (count + shrinkage) : 1));
}

/** Fills `scores` with the cosine of item `row` to every item (`unit`: unitScanner's) (its own entry included), shrunk by `factors` when given. */
export function similaritiesOf(unit: DotScanner, factors: Float32Array | null, row: number, scores: Float32Array): void {
  unit.scanRow(row, scores);
  if (factors !== null) for (let other = 0; other < scores.length; other++) scores[other]! *= factors[other]!;
}

/** The `perItem` most similar items of every item (never itself), best first; `factors` as in similaritiesOf. */
export function vectorNeighbours(unit: DotScanner, factors: Float32Array | null, perItem: number): ItemNeighbours {
  const items = unit.rows;
  const scores = new Float32Array(items);
  return selectNeighbours(items, perItem, (item, best) => {
    similaritiesOf(unit, factors, item, scores);
    for (let other = 0; other < items; other++) if (other !== item) best.offer(other, scores[other]!);
  });
}
