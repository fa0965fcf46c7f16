/**
 * COPY data for PGlite without two fresh copies per statement.
 *
 * PGlite reads a COPY's data from a Blob, through `blob.arrayBuffer()`, inside its query lock.
 * A new Blob per 1 MiB chunk, plus the ArrayBuffer PGlite asks it for, left ~2 MiB of external
 * garbage per chunk that V8 frees only on a full GC: on a 7.8M-row load RSS grew by ~100 MB of
 * it (BENCHMARKS.md, Memory). Here one resizable ArrayBuffer per database is filled when PGlite
 * asks, sized to the data, and handed over; it is free again when PGlite asks next, because
 * PGlite runs one statement at a time and asks under its lock.
 */

/** ES2024's resizable ArrayBuffer (Node >= 20); the project's `lib` is ES2022. */
interface ResizableArrayBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
  readonly maxByteLength: number;
}
const ResizableArrayBuffer = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => ResizableArrayBuffer;

/**
 * A Blob whose bytes are copied into the shared buffer only when PGlite reads it. Only
 * `arrayBuffer()` is PGlite's way in (its `size` and streams stay those of an empty Blob).
 */
class StagedBlob extends Blob {
  constructor(
    private readonly data: Uint8Array,
    private readonly source: PgliteCopySource,
  ) {
    super([]);
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.resolve(this.source.fill(this.data));
  }
}

export class PgliteCopySource {
  private buffer: ResizableArrayBuffer = new ResizableArrayBuffer(0, { maxByteLength: 0 });

  /** A Blob for `data`, valid while `data` is unchanged and until the statement ends. */
  blobOf(data: string | Uint8Array): Blob {
    return new StagedBlob(typeof data === 'string' ? Buffer.from(data) : data, this);
  }

  /** The shared buffer, holding exactly `data` (PGlite reads the buffer's whole length). */
  fill(data: Uint8Array): ArrayBuffer {
    if (data.byteLength > this.buffer.maxByteLength) {
      // Grown by doubling so a load's chunks (all about the same size) settle on one buffer.
      this.buffer = new ResizableArrayBuffer(0, { maxByteLength: Math.max(data.byteLength, 2 * this.buffer.maxByteLength) });
    }
    this.buffer.resize(data.byteLength);
    new Uint8Array(this.buffer).set(data);
    return this.buffer;
  }
}
