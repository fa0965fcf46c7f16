/** The fold-in thread's entry (see fold-in-thread.ts): builds and keeps each version's basis, and answers in arrival order. */
import { parentPort } from 'node:worker_threads';
import { foldInIals, ialsFoldInBasisOf, type IalsFoldInBasis } from '../ranking/ials-fold-in';
import type { FoldInThreadReply, FoldInThreadRequest } from './fold-in-thread';

const port = parentPort!;
const bases = new Map<number, IalsFoldInBasis>();

port.on('message', (request: FoldInThreadRequest) => {
  switch (request.type) {
    case 'load':
      bases.set(request.version, ialsFoldInBasisOf(request.items));
      return;
    case 'forget':
      bases.delete(request.version);
      return;
    case 'fold-in': {
      const basis = bases.get(request.version);
      if (!basis) {
        port.postMessage({ type: 'error', request: request.request, message: `version ${request.version} is not loaded` } satisfies FoldInThreadReply);
        return;
      }
      try {
        const vectors = new Float32Array(request.users.length * basis.dim);
        request.users.forEach((rows, n) => vectors.set(foldInIals(basis, rows, request.options), n * basis.dim));
        port.postMessage({ type: 'vectors', request: request.request, vectors } satisfies FoldInThreadReply, [vectors.buffer]);
      } catch (error) {
        port.postMessage({ type: 'error', request: request.request, message: String(error) } satisfies FoldInThreadReply);
      }
    }
  }
});
