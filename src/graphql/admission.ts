/**
 * Admission by estimated cost: the GraphQL requests running at once may together cost at most
 * `capacity` (the per-request budget), and the rest wait their turn, first come first served.
 * Heavy requests so run one after another, while light ones pass as long as there is room.
 * Why: on one JavaScript thread, ten heavy requests started together queue seconds of work in
 * front of every other answer (/healthz included); started one at a time, the thread is free
 * between their steps. A request that waits longer than `maxWaitMs` is refused with
 * SERVICE_UNAVAILABLE (503, Retry-After), before anything of it ran.
 *
 * Written here rather than with async-mutex's weighted semaphore: that took 66–130 µs per
 * admission on this machine (every request pays it; `{ __typename }` served in ~200 µs in all),
 * this well under 1 µs when there is room (0.06–0.4 µs measured).
 */
import { ServerBusyError } from '../errors';

export interface AdmissionOptions {
  /** Most estimated cost running at once (QUERY_COST_LIMIT: one request of the largest cost). */
  capacity: number;
  /** Longest wait for room before a request is refused (QUERY_ADMISSION_WAIT_MS). */
  maxWaitMs: number;
}

interface Waiter {
  weight: number;
  admit: (release: () => void) => void;
  timer: NodeJS.Timeout;
}

export class CostAdmission {
  private running = 0;
  /** First come, first served: a light request does not overtake a heavy one that waits. */
  private readonly waiting: Waiter[] = [];

  constructor(private readonly options: AdmissionOptions) {}

  /**
   * Waits for room for a request of estimated `cost` and returns the function that gives the room
   * back (calling it again does nothing). A cost over the capacity takes the whole capacity (it
   * runs alone); a cost under one still takes one unit, so that every running request counts.
   */
  admit(cost: number): Promise<() => void> {
    const admitted = this.tryAdmit(cost);
    return admitted ? Promise.resolve(admitted) : this.wait(cost);
  }

  /** The release function when there is room now (nothing waits before it); undefined: call `admit` to wait. */
  tryAdmit(cost: number): (() => void) | undefined {
    const weight = this.weightOf(cost);
    if (this.waiting.length > 0 || this.running + weight > this.options.capacity) return undefined;
    this.running += weight;
    return this.releaser(weight);
  }

  private weightOf(cost: number): number {
    return Math.min(Math.max(Math.ceil(cost), 1), this.options.capacity);
  }

  private wait(cost: number): Promise<() => void> {
    const weight = this.weightOf(cost);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        weight,
        admit: resolve,
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          reject(new ServerBusyError(`the server is busy with costly requests and none finished within ${this.options.maxWaitMs} ms; retry shortly`));
          this.dispatch(); // it may have held back lighter requests that fit now
        }, this.options.maxWaitMs),
      };
      this.waiting.push(waiter);
    });
  }

  private releaser(weight: number): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= weight;
      this.dispatch();
    };
  }

  /** Admits waiters from the front of the line while they fit. */
  private dispatch(): void {
    while (this.waiting.length > 0 && this.running + this.waiting[0]!.weight <= this.options.capacity) {
      const next = this.waiting.shift()!;
      clearTimeout(next.timer);
      this.running += next.weight;
      next.admit(this.releaser(next.weight));
    }
  }
}
