/** The fold-in thread's entry (see fold-in-thread.ts): builds and keeps each version's basis, and answers in arrival order. */
import { parentPort } from 'node:worker_threads';
import { foldInIals, ialsFoldInBasisOf, type IalsFoldInBasis } from '../ranking/ials-fold-in';
import type { FoldInThreadRequest } from './fold-in-thread';
import { answerRequest } from '../worker-client';

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
    case 'fold-in':
      answerRequest(port, request.request, bases.get(request.version), `version ${request.version}`, (basis) => {
        const vectors = new Float32Array(request.users.length * basis.dim);
        request.users.forEach((rows, n) => vectors.set(foldInIals(basis, rows, request.options), n * basis.dim));
        return vectors;
      });
  }
});
