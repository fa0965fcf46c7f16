/**
 * Choosing the best items by score. Order everywhere: higher score first, then lower item index;
 * NaN ranks below every real score.
 * - TopK: the best `capacity` of a stream, kept in a min-heap whose root is the worst kept pair,
 *   so each offer costs O(log capacity); evaluation's top-k lists, item-kNN's and EASE's
 *   neighbour lists.
 * - bestRows: the best `k` rows of a score array, best first, through a TopK; similar titles
 *   and a rating kind's recommendations.
 * - largestRows: the best `count` rows of a whole score array as a set, in O(rows) by
 *   selection; stage one's few hundred candidates, where the heap's sifting cost ~0.2 ms a request.
 */
export class TopK {
  private readonly items: Int32Array;
  private readonly scores: Float64Array;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.items = new Int32Array(capacity);
    this.scores = new Float64Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  offer(item: number, rawScore: number): void {
    // NaN would break every comparison; rank it below any real score. (`x !== x` is NaN's test
    // without a global lookup: under Jest's vm context each lookup of `Number` here made the
    // neighbour selection of a test's training run several times slower.)
    const score = rawScore !== rawScore ? -Infinity : rawScore;
    if (this.size < this.capacity) {
      this.items[this.size] = item;
      this.scores[this.size] = score;
      this.siftUp(this.size++);
    } else if (better(item, score, this.items[0] as number, this.scores[0] as number)) {
      this.items[0] = item;
      this.scores[0] = score;
      this.siftDown(0);
    }
  }

  /** Number of pairs kept. */
  get length(): number {
    return this.size;
  }

  /**
   * Empties the heap, returning its items best first.
   * @param scoresOut when given, receives the kept scores in the same order (its length at least `length`).
   */
  drainBestFirst(scoresOut?: Float32Array | Float64Array): Int32Array {
    const out = new Int32Array(this.size);
    // Popping the root yields worst first, so fill from the back.
    for (let slot = this.size - 1; slot >= 0; slot--) {
      out[slot] = this.items[0] as number;
      if (scoresOut) scoresOut[slot] = this.scores[0] as number;
      this.size--;
      this.items[0] = this.items[this.size] as number;
      this.scores[0] = this.scores[this.size] as number;
      this.siftDown(0);
    }
    return out;
  }

  /** True when node a should sit above node b in the heap: a is worse. */
  private worse(a: number, b: number): boolean {
    return better(this.items[b] as number, this.scores[b] as number, this.items[a] as number, this.scores[a] as number);
  }

  private siftUp(start: number): void {
    let node = start;
    while (node > 0) {
      const parent = (node - 1) >> 1;
      if (!this.worse(node, parent)) break;
      this.swap(node, parent);
      node = parent;
    }
  }

  private siftDown(start: number): void {
    let node = start;
    for (;;) {
      const left = 2 * node + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child = right < this.size && this.worse(right, left) ? right : left;
      if (!this.worse(child, node)) break;
      this.swap(node, child);
      node = child;
    }
  }

  private swap(a: number, b: number): void {
    const item = this.items[a] as number;
    const score = this.scores[a] as number;
    this.items[a] = this.items[b] as number;
    this.scores[a] = this.scores[b] as number;
    this.items[b] = item;
    this.scores[b] = score;
  }
}

/** Ranking order: higher score first, ties to the lower item index. */
function better(itemA: number, scoreA: number, itemB: number, scoreB: number): boolean {
  return scoreA > scoreB || (scoreA === scoreB && itemA < itemB);
}

/** The `k` best rows of `scores` that `keep` accepts, best first. */
export function bestRows(scores: Float32Array, k: number, keep: (row: number) => boolean): Int32Array {
  const best = new TopK(k);
  for (let row = 0; row < scores.length; row++) if (keep(row)) best.offer(row, scores[row]!);
  return best.drainBestFirst();
}

/** Scratch for largestRows, reused: a request calls it twice. */
let selectedRows = new Int32Array(0);
let selectedScores = new Float64Array(0);

/**
 * The rows of the `count` best entries of `scores` whose `skipped` entry is 0, ascending by row
 * (a set, not a ranking): the rows a TopK of `count` would keep, found by quickselect.
 */
export function largestRows(scores: Float32Array, count: number, skipped: Uint8Array): Int32Array {
  if (selectedRows.length < scores.length) {
    selectedRows = new Int32Array(scores.length);
    selectedScores = new Float64Array(scores.length);
  }
  const rows = selectedRows;
  const values = selectedScores;
  let size = 0;
  for (let row = 0; row < scores.length; row++) {
    if (skipped[row] !== 0) continue;
    const value = scores[row]!;
    rows[size] = row;
    values[size++] = value !== value ? -Infinity : value;
  }
  const kept = Math.max(0, Math.min(count, size));
  if (kept < size) selectBest(rows, values, size, kept);
  return rows.slice(0, kept).sort();
}

/**
 * Reorders rows[0..size) (and their scores in `values` alike) so that the first `kept` are the
 * best: Hoare's selection with median-of-three pivots.
 */
function selectBest(rows: Int32Array, values: Float64Array, size: number, kept: number): void {
  // Rows [low, high] hold the boundary between the best `kept` and the rest.
  let low = 0;
  let high = size - 1;
  while (high > low) {
    const pivot = medianOfThree(rows, values, low, (low + high) >>> 1, high);
    const pivotRow = rows[pivot]!;
    const pivotScore = values[pivot]!;
    let i = low;
    let j = high;
    while (i <= j) {
      while (better(rows[i]!, values[i]!, pivotRow, pivotScore)) i++;
      while (better(pivotRow, pivotScore, rows[j]!, values[j]!)) j--;
      if (i <= j) {
        const row = rows[i]!;
        rows[i] = rows[j]!;
        rows[j] = row;
        const value = values[i]!;
        values[i] = values[j]!;
        values[j] = value;
        i++;
        j--;
      }
    }
    // Now [low..j] are at least as good as the pivot and [i..high] no better.
    if (kept - 1 <= j) high = j;
    else if (kept - 1 >= i) low = i;
    else return;
  }
}

/** Of positions a, b and c, the one whose entry ranks between the other two. */
function medianOfThree(rows: Int32Array, values: Float64Array, a: number, b: number, c: number): number {
  const beats = (x: number, y: number) => better(rows[x]!, values[x]!, rows[y]!, values[y]!);
  if (beats(a, b)) return beats(b, c) ? b : beats(a, c) ? c : a;
  return beats(a, c) ? a : beats(b, c) ? c : b;
}
