/**
 * A worker thread for the retrieval fold-ins. After every rating the user's vector is solved
 * again (ials-fold-in.ts): under a stream of ratings that solve was a quarter of the server's
 * main-thread time (BENCHMARKS.md, API). In this thread it runs beside the main thread's GraphQL
 * and database work. Each served version's item vectors are sent once, on its first fold-in here,
 * and the thread builds their basis itself (~0.3 s of CPU that the main thread is spared).
 * The same function on the same arrays, so the same vectors (tested).
 */
import { Worker } from 'node:worker_threads';
import { WorkerClient } from '../worker-client';
import type { Logger } from '../logger';
import type { FoldInOptions } from '../ranking/reranker';
import type { IalsItems } from '../ranking/ials-fold-in';

export type FoldInThreadRequest =
  | { type: 'load'; version: number; items: IalsItems }
  | { type: 'forget'; version: number }
  | { type: 'fold-in'; version: number; request: number; users: Int32Array[]; options: FoldInOptions };

export class FoldInThread {
  private readonly requests: WorkerClient;

  private constructor(private readonly worker: Worker) {
    this.requests = new WorkerClient(worker, 'fold-in thread');
    worker.unref();
  }

  /** A started thread, or null (logged) when none can start: fold-ins then run in this thread. */
  static start(logger?: Logger): FoldInThread | null {
    try {
      // From TypeScript sources (npm start, tests) the worker needs the same on-the-fly compiler.
      const fromSources = __filename.endsWith('.ts');
      const worker = new Worker(__filename.replace(/fold-in-thread\.(ts|js)$/, 'fold-in-thread.worker.$1'), {
        execArgv: fromSources ? ['-r', '@swc-node/register'] : [],
      });
      return new FoldInThread(worker);
    } catch (error) {
      logger?.warn({ err: error }, 'fold-in thread did not start: fold-ins run in the main thread');
      return null;
    }
  }

  /** Whether the thread can take work (it has not crashed or been closed). */
  get alive(): boolean {
    return this.requests.dead === null;
  }

  /** The vectors of users with these item rows, row-major [users, dim]; the item vectors are sent on the version's first use. */
  foldIn(version: number, items: IalsItems, users: Int32Array[], options: FoldInOptions): Promise<Float32Array> {
    if (this.requests.dead) return Promise.reject(this.requests.dead);
    this.requests.loadOnce(version, () => this.worker.postMessage({ type: 'load', version, items } satisfies FoldInThreadRequest));
    return this.requests.send((request) => this.worker.postMessage({ type: 'fold-in', version, request, users, options } satisfies FoldInThreadRequest));
  }

  /** Drops a version's basis in the thread (a later fold-in sends it again). */
  forget(version: number): void {
    this.requests.forget(version, () => this.worker.postMessage({ type: 'forget', version } satisfies FoldInThreadRequest));
  }

  async close(): Promise<void> {
    this.requests.fail(new Error('fold-in thread closed'));
    await this.worker.terminate();
  }
}
