/**
 * Admission by estimated cost: the GraphQL requests running at once may together cost at most
 * `capacity` (the per-request budget), and the rest wait their turn, first come first served.
 * Heavy requests so run one after another, while light ones pass as long as there is room.
 * Why: on one JavaScript thread, ten heavy requests started together queue seconds of work in
 * front of every other answer (/healthz included); started one at a time, the thread is free
 * between their short synchronous steps. A request that waits longer than `maxWaitMs` is
 * refused with SERVICE_UNAVAILABLE (503, Retry-After), before anything of it ran.
 */
import { E_TIMEOUT, Semaphore, withTimeout, type SemaphoreInterface } from 'async-mutex';
import { ServerBusyError } from '../errors';

export interface AdmissionOptions {
  /** Most estimated cost running at once (QUERY_COST_LIMIT: one request of the largest cost). */
  capacity: number;
  /** Longest wait for room before a request is refused (QUERY_ADMISSION_WAIT_MS). */
  maxWaitMs: number;
}

export class CostAdmission {
  private readonly semaphore: SemaphoreInterface;

  constructor(private readonly options: AdmissionOptions) {
    this.semaphore = withTimeout(new Semaphore(options.capacity), options.maxWaitMs);
  }

  /**
   * Waits for room for a request of estimated `cost` and returns the function that gives the room
   * back. A cost over the capacity takes the whole capacity (it runs alone); a cost under one
   * still takes one unit, so that every running request is counted.
   */
  async admit(cost: number): Promise<() => void> {
    const weight = Math.min(Math.max(Math.ceil(cost), 1), this.options.capacity);
    try {
      const [, release] = await this.semaphore.acquire(weight);
      return release;
    } catch (error) {
      if (error === E_TIMEOUT) throw new ServerBusyError(`the server is busy with costly requests and none finished within ${this.options.maxWaitMs} ms; retry shortly`);
      throw error;
    }
  }
}
