/**
 * Long synchronous loops that may run on a server's only JavaScript thread (training started
 * by the API or at start-up: iALS sweeps, ranking evaluation over thousands of users) pass a
 * yield point now and then, so requests, job heartbeats and aborts get through meanwhile.
 */

/** Longest stretch a loop keeps the thread between two yields. */
export const DEFAULT_SLICE_MS = 50;

export class YieldPoint {
  private sliceStart = performance.now();

  constructor(private readonly sliceMs = DEFAULT_SLICE_MS) {}

  /** Yields to the event loop when the current slice is used up; cheap to call per row. */
  async pass(): Promise<void> {
    if (performance.now() - this.sliceStart < this.sliceMs) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }
}
