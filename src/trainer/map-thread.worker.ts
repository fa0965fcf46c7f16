/** The map thread's entry (see map-thread.ts): one map, its progress, then the answer. */
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../errors';
import { computeMap } from './map2d';
import type { MapThreadReply, MapThreadRequest } from './map-thread';

const port = parentPort!;
const { vectors, n, dim, options } = workerData as MapThreadRequest;

computeMap(vectors, n, dim, { ...options, onProgress: (fraction) => port.postMessage({ type: 'progress', fraction } satisfies MapThreadReply) }).then(
  (map) => port.postMessage({ type: 'done', map } satisfies MapThreadReply, [map.buffer as ArrayBuffer]),
  (error: unknown) => port.postMessage({ type: 'failed', name: error instanceof Error ? error.name : 'Error', message: messageOf(error) } satisfies MapThreadReply),
);
