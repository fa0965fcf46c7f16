/**
 * A worker thread for the CPU-bound part of `recommendations`, so it runs beside the main
 * thread's GraphQL and database work instead of in turn with it: on this 2-core machine that
 * is what lets concurrent requests use both cores. It runs a head pass over every item (the
 * kinds that rank the catalogue by predicted rating: a [items, 64] x [64, 64] product for the
 * hybrid) or a retrieval version's whole two-stage ranking (ranking/user-ranker.ts). Same ops on the same backend
 * as in the main thread, so the same results (tested). Only for the CPU backends: a GPU
 * backend already runs the product off the main thread's CPU.
 */
import { BackendUnavailableError } from '../errors';
import { Worker } from 'node:worker_threads';
import { WorkerClient, type WorkerAnswer } from '../worker-client';
import type { Logger } from '../logger';
import type { BackendName } from '../models/backend';
import type { HeadTailSpec } from '../models/all-items-head';
import type { TailRunner } from '../models/all-items-scorer';
import { unpackRankResult, type RankRequest, type RankResult, type UserRankerSpec } from '../ranking/user-ranker';

/** Tails and rankers are kept by key; keys come from newPayloadKey, so the two never share one. */
export type ThreadRequest =
  | { type: 'load'; tail: number; spec: HeadTailSpec }
  | { type: 'loadRanker'; ranker: number; spec: UserRankerSpec }
  | { type: 'forget'; key: number }
  | { type: 'score'; tail: number; request: number; userPart: Float32Array }
  | { type: 'rank'; ranker: number; request: number; rank: RankRequest };

/** Besides its answers (WorkerAnswer): whether the thread's backend started. */
export type ThreadReply = { type: 'ready'; backend: BackendName } | { type: 'failed'; message: string };

/** Backends a scoring thread may run: the CPU ones (GPU contexts stay with the main thread). */
export const THREAD_BACKENDS: readonly BackendName[] = ['wasm', 'cpu'];

const START_TIMEOUT_MS = 60_000;

export class ScoringThread {
  private readonly requests: WorkerClient;

  private constructor(private readonly worker: Worker) {
    this.requests = new WorkerClient(worker, 'scoring thread');
  }

  /** A thread on `backend`, or null (logged) when it cannot start: callers score in this thread. */
  static async start(backend: BackendName, logger?: Logger): Promise<ScoringThread | null> {
    if (!THREAD_BACKENDS.includes(backend)) return null;
    // From TypeScript sources (npm start, tests) the worker needs the same on-the-fly compiler.
    const fromSources = __filename.endsWith('.ts');
    const worker = new Worker(__filename.replace(/scoring-thread\.(ts|js)$/, 'scoring-thread.worker.$1'), {
      workerData: { backend },
      execArgv: fromSources ? ['-r', '@swc-node/register'] : [],
    });
    try {
      const reply = await new Promise<ThreadReply | WorkerAnswer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer in ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
        worker.once('message', (message: ThreadReply | WorkerAnswer) => {
          clearTimeout(timer);
          resolve(message);
        });
        worker.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
      if (reply.type !== 'ready') throw new BackendUnavailableError(reply.type === 'failed' ? reply.message : `unexpected ${reply.type}`);
      worker.unref();
      logger?.info({ backend }, 'scoring thread started');
      return new ScoringThread(worker);
    } catch (error) {
      logger?.warn({ err: error }, 'scoring thread did not start: scoring runs in the main thread');
      await worker.terminate();
      return null;
    }
  }

  /** Whether the thread can take work (it has not crashed or been closed). */
  get alive(): boolean {
    return this.requests.dead === null;
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.requests.inFlight;
  }

  /** The head's raw outputs for every item; the tail's spec is sent on its first use. */
  outputs(tail: number, spec: () => HeadTailSpec, userPart: Float32Array): Promise<Float32Array> {
    if (this.requests.dead) return Promise.reject(this.requests.dead);
    this.requests.loadOnce(tail, () => this.worker.postMessage({ type: 'load', tail, spec: spec() } satisfies ThreadRequest));
    return this.requests.send((request) => this.worker.postMessage({ type: 'score', tail, request, userPart } satisfies ThreadRequest));
  }

  /** A retrieval version's ranking of one user; the ranker's spec is sent on its first use. */
  async rank(ranker: number, spec: () => UserRankerSpec, rank: RankRequest): Promise<RankResult> {
    if (this.requests.dead) throw this.requests.dead;
    this.requests.loadOnce(ranker, () => this.worker.postMessage({ type: 'loadRanker', ranker, spec: spec() } satisfies ThreadRequest));
    return unpackRankResult(await this.requests.send((request) => this.worker.postMessage({ type: 'rank', ranker, request, rank } satisfies ThreadRequest)));
  }

  forget(key: number): void {
    this.requests.forget(key, () => this.worker.postMessage({ type: 'forget', key } satisfies ThreadRequest));
  }

  async close(): Promise<void> {
    this.requests.fail(new Error('scoring thread closed'));
    await this.worker.terminate();
  }
}

/** The scoring threads as serving uses them (one thread or a pool): ItemScorer's head tails, and rankings. */
export interface ScoringRunner extends TailRunner {
  rank(ranker: number, spec: () => UserRankerSpec, rank: RankRequest): Promise<RankResult>;
  close(): Promise<void>;
}

/**
 * Several scoring threads; each request goes to the live thread with the fewest requests in
 * flight. One thread caps recommendations at one core's worth of head passes while the main
 * thread idles between requests; with one thread per core, concurrent requests' head passes
 * use every core (bench:api measures it). Each thread keeps its own copy of a tail's tensors
 * (the hybrid's item half on the demo data: 1.8 MB).
 */
export class ScoringPool implements ScoringRunner {
  private constructor(private readonly threads: ScoringThread[]) {}

  /** `size` threads on `backend`, or null when none starts (callers score in this thread). */
  static async start(backend: BackendName, size: number, logger?: Logger): Promise<ScoringPool | null> {
    if (size < 1) return null;
    // ScoringThread.start answers null for a backend threads do not run (a GPU one).
    const started = await Promise.all(Array.from({ length: size }, () => ScoringThread.start(backend, logger)));
    const threads = started.filter((thread): thread is ScoringThread => thread !== null);
    return threads.length > 0 ? new ScoringPool(threads) : null;
  }

  get size(): number {
    return this.threads.length;
  }

  get alive(): boolean {
    return this.threads.some((thread) => thread.alive);
  }

  outputs(tail: number, spec: () => HeadTailSpec, userPart: Float32Array): Promise<Float32Array> {
    const chosen = this.leastBusy();
    return chosen ? chosen.outputs(tail, spec, userPart) : Promise.reject(new Error('every scoring thread has stopped'));
  }

  rank(ranker: number, spec: () => UserRankerSpec, rank: RankRequest): Promise<RankResult> {
    const chosen = this.leastBusy();
    return chosen ? chosen.rank(ranker, spec, rank) : Promise.reject(new Error('every scoring thread has stopped'));
  }

  forget(key: number): void {
    for (const thread of this.threads) thread.forget(key);
  }

  /** The live thread with the fewest requests in flight. */
  private leastBusy(): ScoringThread | undefined {
    let chosen: ScoringThread | undefined;
    for (const thread of this.threads) if (thread.alive && (chosen === undefined || thread.inFlight < chosen.inFlight)) chosen = thread;
    return chosen;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.close()));
  }
}
