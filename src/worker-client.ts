/**
 * The main thread's side of a worker thread that keeps payloads by key (a model's head, a fold-in
 * basis) and answers numbered requests in any order: what the scoring and fold-in threads share.
 * A payload is sent once per key until forgotten. When the worker fails or exits, every waiting
 * request is rejected and later ones are refused with the same error.
 */
import type { Worker } from 'node:worker_threads';

export class WorkerClient<Result> {
  private readonly loaded = new Set<number>();
  private readonly pending = new Map<number, { resolve(result: Result): void; reject(error: Error): void }>();
  private nextRequest = 0;
  private failure: Error | null = null;

  /** `name` says which thread in errors ("scoring thread exited (code 1)"). */
  constructor(
    worker: Worker,
    private readonly name: string,
  ) {
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`${name} exited (code ${code})`)));
  }

  /** Null while the worker takes work, else why it stopped. */
  get dead(): Error | null {
    return this.failure;
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Sends key `key`'s payload with `post`, unless it was sent and not forgotten since. */
  loadOnce(key: number, post: () => void): void {
    if (this.loaded.has(key)) return;
    post();
    this.loaded.add(key);
  }

  /** Drops key `key`: `post` tells a live worker that had it. */
  forget(key: number, post: () => void): void {
    if (this.loaded.delete(key) && !this.failure) post();
  }

  /** A new request's number, passed to `post` (which sends it), and its answer. */
  send(post: (request: number) => void): Promise<Result> {
    if (this.failure) return Promise.reject(this.failure);
    const request = this.nextRequest++;
    return new Promise((resolve, reject) => {
      this.pending.set(request, { resolve, reject });
      post(request);
    });
  }

  /** Settles request `request` with its result, or with the worker's error message. */
  answer(request: number, outcome: { result: Result } | { message: string }): void {
    const waiting = this.pending.get(request);
    this.pending.delete(request);
    if ('result' in outcome) waiting?.resolve(outcome.result);
    else waiting?.reject(new Error(`${this.name}: ${outcome.message}`));
  }

  /** Rejects every waiting request and refuses later ones (closing, or the worker died). */
  fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
