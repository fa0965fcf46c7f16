/**
 * Long synchronous loops that may run on a server's only JavaScript thread (training started
 * by the API or at start-up: SGD epochs, iALS sweeps, ranking evaluation over thousands of
 * users, the 2-D map) hand the thread back now and then, so requests, job heartbeats, progress
 * and aborts get through meanwhile.
 */

/** Longest stretch a loop keeps the thread between two yields. */
export const DEFAULT_SLICE_MS = 50;

export class YieldPoint {
  private sliceStart = performance.now();

  constructor(private readonly sliceMs = DEFAULT_SLICE_MS) {}

  /** Whether the current slice is used up (a loop that reports progress at yields checks this). */
  due(): boolean {
    return performance.now() - this.sliceStart >= this.sliceMs;
  }

  /** Yields to the event loop now and starts a new slice. */
  async yield(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }

  /** Yields when the current slice is used up; cheap to call per row. */
  async pass(): Promise<void> {
    if (this.due()) await this.yield();
  }
}
