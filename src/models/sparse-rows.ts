/**
 * Accumulates per-sample gradients of embedding rows into one gradient per distinct row, the
 * input LazyAdam takes. A batch may name the same user or item several times.
 */
export class SparseRowGradients {
  readonly rows: Int32Array;
  readonly grads: Float32Array;
  count = 0;
  private readonly slotOfRow: Int32Array;

  constructor(
    numRows: number,
    readonly width: number,
    maxBatch: number,
  ) {
    this.rows = new Int32Array(maxBatch);
    this.grads = new Float32Array(maxBatch * width);
    this.slotOfRow = new Int32Array(numRows).fill(-1);
  }

  /** Adds `scale * source[from .. from + width)` to `row`'s gradient. */
  add(row: number, source: ArrayLike<number>, from: number, scale = 1): void {
    let slot = this.slotOfRow[row]!;
    if (slot === -1) {
      slot = this.count++;
      this.slotOfRow[row] = slot;
      this.rows[slot] = row;
      this.grads.fill(0, slot * this.width, (slot + 1) * this.width);
    }
    const offset = slot * this.width;
    for (let j = 0; j < this.width; j++) this.grads[offset + j] = this.grads[offset + j]! + scale * source[from + j]!;
  }

  /** Forgets the batch (O(rows touched)). */
  clear(): void {
    for (let k = 0; k < this.count; k++) this.slotOfRow[this.rows[k]!] = -1;
    this.count = 0;
  }
}
