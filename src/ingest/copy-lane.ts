/**
 * COPY text buffered per table and sent in chunks, one statement at a time on the load's
 * connection: the database loads one chunk while JavaScript reads and checks the next. Memory
 * stays bounded (per table one chunk filling, and one chunk in flight for the whole lane),
 * whatever the file size.
 */
import type { CopyOptions, Queryable } from '../db/database';

/** Bytes of COPY text per statement (~80k rating rows): few round trips, bounded memory. */
export const COPY_CHUNK_BYTES = 1 << 20;

const TAB = 0x09;
const NEWLINE = 0x0a;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
/** Room for one row of integers: 11 characters per value and its separator. */
const ROW_OF_INTEGERS_BYTES = 64;

/**
 * One table's rows in COPY text format, written as bytes: integer rows digit by digit (7.8M
 * rating rows built as strings cost 6.6 s of JavaScript and ~90 MB more peak memory).
 */
export class CopyBuffer {
  private bytes: Buffer;
  // Unpooled buffers only (allocUnsafeSlow): a recycled buffer must not share memory with others.
  private spare: Buffer | null = null;
  private handedOut: Buffer | null = null;
  private used = 0;
  /** Rows added so far, sent or not. */
  rows = 0;

  constructor(
    readonly table: string,
    readonly columns: readonly string[],
    readonly options: CopyOptions,
    private readonly capacity: number,
  ) {
    this.bytes = Buffer.allocUnsafeSlow(capacity);
  }

  /** A row of integers (tab-separated). */
  addIntegers(a: number, b: number, c?: number, d?: number): void {
    this.reserve(ROW_OF_INTEGERS_BYTES);
    this.writeInteger(a);
    this.bytes[this.used++] = TAB;
    this.writeInteger(b);
    if (c !== undefined) {
      this.bytes[this.used++] = TAB;
      this.writeInteger(c);
    }
    if (d !== undefined) {
      this.bytes[this.used++] = TAB;
      this.writeInteger(d);
    }
    this.bytes[this.used++] = NEWLINE;
    this.rows++;
  }

  /** One row already in COPY text format, ending with a newline. */
  addText(row: string): void {
    this.reserve(Buffer.byteLength(row));
    this.used += this.bytes.write(row, this.used);
    this.rows++;
  }

  get length(): number {
    return this.used;
  }

  get isEmpty(): boolean {
    return this.used === 0;
  }

  /**
   * The buffered bytes, handed over until `recycle`; writing goes on in a spare buffer. Two
   * buffers taking turns, not a new one per chunk: 7.8M rows in fresh 1 MiB buffers left RSS
   * some 60 MB higher than the sample (freed memory the allocator kept).
   */
  take(): Buffer {
    const taken = this.bytes.subarray(0, this.used);
    this.handedOut = this.bytes;
    this.bytes = this.spare ?? Buffer.allocUnsafeSlow(this.capacity);
    this.spare = null;
    this.used = 0;
    return taken;
  }

  /** Takes back the buffer `take` handed out, once the database has its bytes. */
  recycle(): void {
    if (this.handedOut !== null && this.handedOut.length >= this.capacity) this.spare = this.handedOut;
    this.handedOut = null;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.bytes.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.used + bytes));
    this.bytes.copy(grown, 0, 0, this.used);
    this.bytes = grown;
  }

  private writeInteger(value: number): void {
    const bytes = this.bytes;
    let rest = value;
    if (rest < 0) {
      bytes[this.used++] = MINUS;
      rest = -rest;
    }
    const start = this.used;
    do {
      bytes[this.used++] = DIGIT_0 + (rest % 10);
      rest = Math.floor(rest / 10);
    } while (rest > 0);
    // Digits came out last first.
    for (let left = start, right = this.used - 1; left < right; left++, right--) {
      const digit = bytes[left]!;
      bytes[left] = bytes[right]!;
      bytes[right] = digit;
    }
  }
}

export class CopyLane {
  private inFlight: Promise<unknown> = Promise.resolve();
  private readonly buffers: CopyBuffer[] = [];

  constructor(
    private readonly tx: Queryable,
    private readonly chunkBytes = COPY_CHUNK_BYTES,
  ) {}

  /** A buffer whose rows go to `table` (which must exist by the time the first chunk is sent). */
  buffer(table: string, columns: readonly string[], options: CopyOptions = {}): CopyBuffer {
    // A little over a chunk, so a full chunk rarely makes the buffer grow.
    const buffer = new CopyBuffer(table, columns, options, this.chunkBytes + (this.chunkBytes >> 4));
    this.buffers.push(buffer);
    return buffer;
  }

  /**
   * Runs `statement` after what is in flight, without waiting for it to finish; it is awaited
   * by the next call (so at most one runs at a time) or by `drain`.
   */
  async enqueue(statement: () => Promise<unknown>): Promise<void> {
    await this.inFlight;
    const running = statement();
    // Handled here so a failure while JavaScript is still reading is not "unhandled"; the
    // next enqueue or drain rethrows it.
    running.catch(() => undefined);
    this.inFlight = running;
  }

  /** Sends every buffer holding at least a chunk. Call between batches of rows. */
  async sendFull(): Promise<void> {
    for (const buffer of this.buffers) {
      if (buffer.length >= this.chunkBytes) await this.send(buffer);
    }
  }

  /** Sends whatever is buffered and waits until the database has it all. */
  async drain(): Promise<void> {
    for (const buffer of this.buffers) if (!buffer.isEmpty) await this.send(buffer);
    await this.inFlight;
  }

  /** Waits for the statement in flight, ignoring its outcome: before a rollback. */
  async settle(): Promise<void> {
    await this.inFlight.catch(() => undefined);
  }

  private send(buffer: CopyBuffer): Promise<void> {
    return this.enqueue(async () => {
      const data = buffer.take();
      await this.tx.copyFrom(buffer.table, buffer.columns, data, buffer.options);
      buffer.recycle();
    });
  }
}
