/**
 * The scoring thread's entry (see scoring-thread.ts): keeps each served model's head tail
 * (the WebAssembly kernel or tensors on its own tfjs backend, see makeItemTail) and each
 * retrieval version's ranker, and answers scoring and ranking requests in arrival order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, type BackendName } from '../models/backend';
import { makeItemTail, type HeadTailSpec, type ItemTail } from '../models/all-items-head';
import type { ThreadReply, ThreadRequest } from './scoring-thread';
import { answerRequest } from '../worker-client';
import { packRankResult, rankUser, userRanker, type UserRanker } from '../ranking/user-ranker';

const port = parentPort!;
const tails = new Map<number, ItemTail>();
const rankers = new Map<number, UserRanker>();
const ready = selectBackend(workerData.backend as BackendName);

ready.then(
  (choice) => port.postMessage({ type: 'ready', backend: choice.name } satisfies ThreadReply),
  (error: unknown) => port.postMessage({ type: 'failed', message: String(error) } satisfies ThreadReply),
);

port.on('message', async (request: ThreadRequest) => {
  // Every handler awaits the same promise, so they resume in arrival order: a load always
  // runs before the scoring that follows it.
  await ready;
  switch (request.type) {
    case 'load':
      tails.set(request.tail, makeItemTail(request.spec as HeadTailSpec));
      return;
    case 'loadRanker':
      rankers.set(request.ranker, userRanker(request.spec));
      return;
    case 'forget':
      tails.get(request.key)?.dispose();
      tails.delete(request.key);
      rankers.get(request.key)?.ratings.release();
      rankers.delete(request.key);
      return;
    case 'score':
      answerRequest(port, request.request, tails.get(request.tail), `head ${request.tail}`, (tail) => tail.outputs(request.userPart));
      return;
    case 'rank':
      answerRequest(port, request.request, rankers.get(request.ranker), `ranker ${request.ranker}`, (ranker) => packRankResult(rankUser(ranker, request.rank)));
  }
});
