/**
 * COPY text buffered per table and sent in chunks, one statement at a time on the load's
 * connection: the database loads one chunk while JavaScript reads and checks the next. Memory
 * stays bounded (per table one chunk filling, and one chunk in flight for the whole lane),
 * whatever the file size.
 */
import type { CopyOptions, Queryable } from '../db/database';

/** Characters of COPY text per statement (~80k rating rows): few round trips, bounded memory. */
export const COPY_CHUNK_CHARS = 1 << 20;

export class CopyBuffer {
  private text = '';
  private pendingRows = 0;
  /** Rows added so far, sent or not. */
  rows = 0;

  constructor(
    readonly table: string,
    readonly columns: readonly string[],
    readonly options: CopyOptions = {},
  ) {}

  /** One row in COPY text format, ending with a newline. */
  add(row: string): void {
    this.text += row;
    this.pendingRows++;
    this.rows++;
  }

  get length(): number {
    return this.text.length;
  }

  /** The buffered text, leaving the buffer empty. */
  take(): string {
    const text = this.text;
    this.text = '';
    this.pendingRows = 0;
    return text;
  }

  get isEmpty(): boolean {
    return this.pendingRows === 0;
  }
}

export class CopyLane {
  private inFlight: Promise<unknown> = Promise.resolve();
  private readonly buffers: CopyBuffer[] = [];

  constructor(
    private readonly tx: Queryable,
    private readonly chunkChars = COPY_CHUNK_CHARS,
  ) {}

  /** A buffer whose rows go to `table` (which must exist by the time the first chunk is sent). */
  buffer(table: string, columns: readonly string[], options?: CopyOptions): CopyBuffer {
    const buffer = new CopyBuffer(table, columns, options);
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
      if (buffer.length >= this.chunkChars) await this.send(buffer);
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
    return this.enqueue(() => this.tx.copyFrom(buffer.table, buffer.columns, buffer.take(), buffer.options));
  }
}
