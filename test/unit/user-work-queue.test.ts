/** UserWorkQueue: batching per user off the caller's path, reruns, and waiting for a user's work. */
import { UserWorkQueue } from '../../src/recsys/user-work-queue';

function recordingQueue(workMs = 0) {
  const batches: number[][] = [];
  const errors: number[][] = [];
  let fail = false;
  const queue = new UserWorkQueue(
    async (userIds) => {
      batches.push([...userIds]);
      await new Promise((resolve) => setTimeout(resolve, workMs));
      if (fail) throw new Error('work failed');
    },
    { onError: (_error, userIds) => errors.push([...userIds]) },
  );
  return { queue, batches, errors, failNext: () => (fail = true) };
}

describe('UserWorkQueue', () => {
  it('returns at once and runs the users scheduled together in one batch, each once', async () => {
    const { queue, batches } = recordingQueue();
    for (const userId of [1, 2, 1, 3, 2]) queue.schedule(userId);
    expect(batches).toEqual([]);
    expect(queue.size).toBe(3);
    await queue.idle();
    expect(batches).toEqual([[1, 2, 3]]);
    expect(queue.size).toBe(0);
  });

  it('runs a user scheduled again during their batch once more, and settled waits for that rerun', async () => {
    const { queue, batches } = recordingQueue(30);
    queue.schedule(7);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(batches).toEqual([[7]]);
    queue.schedule(7);
    queue.schedule(8);
    let settled = false;
    const waiting = queue.settled(7).then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 25));
    expect(settled).toBe(false);
    await waiting;
    expect(batches).toEqual([[7], [7, 8]]);
  });

  it('settles at once for a user with nothing pending', async () => {
    const { queue } = recordingQueue();
    queue.schedule(1);
    let settled = false;
    await queue.settled(2).then(() => (settled = true));
    expect(settled).toBe(true);
    await queue.idle();
  });

  it('reports a failed batch and settles its users all the same', async () => {
    const { queue, errors, failNext } = recordingQueue();
    failNext();
    queue.schedule(4);
    await queue.settled(4);
    expect(errors).toEqual([[4]]);
  });
});
