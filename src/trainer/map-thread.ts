/**
 * Computes a 2-D map (map2d.ts) in a worker thread. umap-js's neighbour search is one
 * synchronous call (about 14 s at 7,000 points) that would stall every request of a server
 * training in the background, and the layout's epochs take CPU that its requests need. In the
 * thread the map costs the server's event loop nothing; progress comes back as messages, and an
 * abort terminates the thread at once instead of at the next step.
 */
import { Worker } from 'node:worker_threads';
import { InvalidInputError, InvariantError } from '../errors';
import type { MapOptions } from './map2d';

export type MapThreadRequest = { vectors: Float32Array; n: number; dim: number; options: Omit<MapOptions, 'onProgress'> };

export type MapThreadReply =
  | { type: 'progress'; fraction: number }
  | { type: 'done'; map: Float32Array }
  | { type: 'failed'; name: string; message: string };

/** The error the thread threw, as the same class where callers tell them apart. */
function errorFrom(reply: { name: string; message: string }): Error {
  if (reply.name === 'RangeError') return new RangeError(reply.message);
  if (reply.name === 'InvalidInputError') return new InvalidInputError(reply.message);
  return new InvariantError(`map thread failed: ${reply.message}`);
}

/** `computeMap` of map2d.ts, bit for bit, run in a worker thread; rejects with the signal's reason on abort. */
export async function computeMapInThread(vectors: Float32Array, n: number, dim: number, options: MapOptions & { signal?: AbortSignal }): Promise<Float32Array> {
  const { onProgress, signal, ...mapOptions } = options;
  signal?.throwIfAborted();
  // From TypeScript sources (npm start, tests) the worker needs the same on-the-fly compiler.
  const fromSources = __filename.endsWith('.ts');
  const worker = new Worker(__filename.replace(/map-thread\.(ts|js)$/, 'map-thread.worker.$1'), {
    workerData: { vectors, n, dim, options: mapOptions } satisfies MapThreadRequest,
    execArgv: fromSources ? ['-r', '@swc-node/register'] : [],
  });
  return new Promise<Float32Array>((resolve, reject) => {
    let settled = false;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', abort);
      void worker.terminate();
      finish();
    };
    const abort = () => settle(() => reject(signal!.reason));
    signal?.addEventListener('abort', abort, { once: true });
    worker.on('message', (reply: MapThreadReply) => {
      if (settled) return; // a progress report still in flight after an abort
      if (reply.type === 'progress') onProgress?.(reply.fraction);
      // A view made here: a message's typed arrays come from the Node realm, which is not the
      // caller's under Jest's vm contexts, where `instanceof Float32Array` would then be false.
      else if (reply.type === 'done') settle(() => resolve(new Float32Array(reply.map.buffer, reply.map.byteOffset, reply.map.length)));
      else settle(() => reject(errorFrom(reply)));
    });
    worker.on('error', (error) => settle(() => reject(new InvariantError(`map thread failed: ${error.message}`))));
    worker.on('exit', (code) => settle(() => reject(new InvariantError(`map thread exited (code ${code}) before it answered`))));
  });
}
