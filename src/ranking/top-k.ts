/**
 * The best `capacity` (item, score) pairs seen, kept in a min-heap whose root is the worst kept
 * pair, so each offer costs O(log capacity). Order: higher score first, then lower item index.
 * Used for evaluation's top-k lists and for the neighbour lists of item-kNN and EASE.
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
