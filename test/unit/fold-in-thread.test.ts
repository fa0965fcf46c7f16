/** The fold-in thread: the vectors it solves are the ones this thread solves, version by version. */
import { FoldInThread } from '../../src/recsys/fold-in-thread';
import { foldInIals, ialsFoldInBasisOf, type IalsItems } from '../../src/ranking/ials-fold-in';
import { mulberry32 } from '../../src/trainer/random';

const OPTIONS = { regularization: 0.005, regularizationExponent: 1, unobservedWeight: 0.1 };

function itemsOf(seed: number, dim = 16, items = 120): IalsItems {
  const random = mulberry32(seed);
  return { dim, itemVectors: Float32Array.from({ length: items * dim }, () => random() - 0.5) };
}

describe('fold-in thread', () => {
  let thread: FoldInThread;
  beforeAll(() => {
    thread = FoldInThread.start()!;
  });
  afterAll(() => thread.close());

  it('solves each user of a batch as foldInIals does here, for each version it was given', async () => {
    const users = [Int32Array.from([3]), Int32Array.from([1, 5, 8, 13, 21]), Int32Array.from(Array.from({ length: 20 }, (_, n) => n * 5)), new Int32Array(0)];
    for (const [version, seed] of [[1, 7], [2, 8]] as const) {
      const items = itemsOf(seed);
      const basis = ialsFoldInBasisOf(items);
      const vectors = await thread.foldIn(version, items, users, OPTIONS);
      expect(vectors).toHaveLength(users.length * items.dim);
      users.forEach((rows, n) => expect(Array.from(vectors.subarray(n * items.dim, (n + 1) * items.dim))).toEqual(Array.from(foldInIals(basis, rows, OPTIONS))));
    }
  });

  it('sends a forgotten version again when it is asked for (the thread keeps none it was told to forget)', async () => {
    const items = itemsOf(9);
    const first = await thread.foldIn(3, items, [Int32Array.from([2, 4])], OPTIONS);
    thread.forget(3);
    const again = await thread.foldIn(3, items, [Int32Array.from([2, 4])], OPTIONS);
    expect(Array.from(again)).toEqual(Array.from(first));
    expect(Array.from(again)).toEqual(Array.from(foldInIals(ialsFoldInBasisOf(items), [2, 4], OPTIONS)));
  });

  it('refuses work once closed, and says it is not alive', async () => {
    const closing = FoldInThread.start()!;
    await closing.close();
    expect(closing.alive).toBe(false);
    await expect(closing.foldIn(1, itemsOf(1), [Int32Array.from([1])], OPTIONS)).rejects.toThrow(/closed/);
  });
});
