/**
 * Worker threads that keep payloads by key (a model's head, a fold-in basis) and answer numbered
 * requests with a Float32Array, in any order: the protocol the scoring and fold-in threads share.
 * `WorkerClient` is the main thread's side: a payload is sent once per key until forgotten, and
 * when the worker fails or exits every waiting request is rejected and later ones are refused
 * with the same error. `answerRequest` is the worker's side.
 */
import type { MessagePort, Worker } from 'node:worker_threads';

let nextPayloadKey = 0;

/** A key no other payload of this process has: a worker may keep payloads of several kinds. */
export function newPayloadKey(): number {
  return nextPayloadKey++;
}

/** A worker's answer to request number `request`. */
export type WorkerAnswer = { type: 'result'; request: number; result: Float32Array } | { type: 'error'; request: number; message: string };

/**
 * In a worker: answers `request` with `compute(payload)` (its buffer handed over, not copied), or
 * with why not: `payload` missing (`what` is not loaded), or what `compute` threw.
 */
export function answerRequest<Payload>(port: MessagePort, request: number, payload: Payload | undefined, what: string, compute: (payload: Payload) => Float32Array): void {
  if (payload === undefined) {
    port.postMessage({ type: 'error', request, message: `${what} is not loaded` } satisfies WorkerAnswer);
    return;
  }
  try {
    const result = compute(payload);
    port.postMessage({ type: 'result', request, result } satisfies WorkerAnswer, [result.buffer as ArrayBuffer]);
  } catch (error) {
    port.postMessage({ type: 'error', request, message: String(error) } satisfies WorkerAnswer);
  }
}

export class WorkerClient {
  private readonly loaded = new Set<number>();
  private readonly pending = new Map<number, { resolve(result: Float32Array): void; reject(error: Error): void }>();
  private nextRequest = 0;
  private failure: Error | null = null;

  /** `name` says which thread in errors ("scoring thread exited (code 1)"). Other messages of the worker are left to its owner. */
  constructor(
    worker: Worker,
    private readonly name: string,
  ) {
    worker.on('message', (message: WorkerAnswer | { type: string }) => {
      if (message.type === 'result' || message.type === 'error') this.answer(message as WorkerAnswer);
    });
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
  send(post: (request: number) => void): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    const request = this.nextRequest++;
    return new Promise((resolve, reject) => {
      this.pending.set(request, { resolve, reject });
      post(request);
    });
  }

  /** Rejects every waiting request and refuses later ones (closing, or the worker died). */
  fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  private answer(answer: WorkerAnswer): void {
    const waiting = this.pending.get(answer.request);
    this.pending.delete(answer.request);
    // A view made here: a message's typed arrays come from the Node realm, which is not the
    // caller's under Jest's vm contexts (see map-thread.ts).
    if (answer.type === 'result') waiting?.resolve(new Float32Array(answer.result.buffer, answer.result.byteOffset, answer.result.length));
    else waiting?.reject(new Error(`${this.name}: ${answer.message}`));
  }
}
