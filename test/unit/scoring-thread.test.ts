/** ScoringThread and ScoringPool: scoring in worker threads equals scoring here, and survives a lost thread. */
import { ItemScorer } from '../../src/models/all-items-scorer';
import { selectBackend } from '../../src/models/backend';
import type { Model } from '../../src/models/model';
import { ScoringPool, ScoringThread } from '../../src/recsys/scoring-thread';
import { rankUser, userRanker, type RankRequest, type UserRankerSpec } from '../../src/ranking/user-ranker';
import { mulberry32 } from '../../src/trainer/random';
import { newPayloadKey } from '../../src/worker-client';
import { bits } from '../helpers/float-arrays';
import { scorerCases, smallRandomModel } from '../helpers/random-model';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** A random retrieval version's ranker spec (a hybrid rating model beside random vectors) and requests of its users. */
function rankingCase(): { spec: UserRankerSpec; requests: RankRequest[] } {
  const ratingModel = smallRandomModel('hybrid');
  const items = ratingModel.itemIds.length;
  const dim = 12;
  const random = mulberry32(9);
  const perItem = 4;
  const spec: UserRankerSpec = {
    stage: {
      dim,
      itemVectors: Float32Array.from({ length: items * dim }, () => random() - 0.5),
      neighbours: {
        numItems: items,
        start: Int32Array.from({ length: items + 1 }, (_, i) => i * perItem),
        items: Int32Array.from({ length: items * perItem }, (_, n) => (Math.floor(n / perItem) + 1 + n * 7) % items),
        weights: Float32Array.from({ length: items * perItem }, () => random()),
      },
      logPopularity: Float32Array.from({ length: items }, () => Math.log1p(Math.floor(random() * 50))),
      weights: { retrieval: 1, neighbours: 0.5, liked: 0.3, rating: 0.4, popularity: -0.1 },
      vectorCandidates: 10,
      neighbourCandidates: 6,
    },
    ratingModel,
  };
  const requests = [0, 5, -1].map((ratingUserRow): RankRequest => {
    const interacted = Int32Array.from([1, 4, 9, 16, 25]);
    const skipped = new Uint8Array(items);
    for (const row of interacted) skipped[row] = 1;
    return {
      userVector: Float32Array.from({ length: dim }, () => random() - 0.5),
      ratingUserRow,
      interacted,
      liked: Int32Array.from([4, 16]),
      skipped,
      k: 5,
      explainers: Int32Array.from([4, 16, 25]),
    };
  });
  return { spec, requests };
}

function userVector(model: Model, user: number): Float32Array {
  const dim = model.hyper.embeddingDim;
  return model.userEmbeddings.subarray(user * dim, (user + 1) * dim);
}

describe('ScoringThread', () => {
  let thread: ScoringThread | null = null;
  beforeAll(async () => {
    thread = await ScoringThread.start('wasm');
  });
  afterAll(async () => {
    await thread?.close();
  });

  it.each(scorerCases())('%s: scores in the thread exactly as in this thread, concurrently and after a release', async (_, model) => {
    expect(thread?.alive).toBe(true);
    const here = new ItemScorer(model);
    const there = new ItemScorer(model, thread);
    const users = [0, 1, 2, 3, model.userIds.length - 1];
    const expected = users.map((user) => here.score(userVector(model, user), model.userBias[user]!));
    const answered = await Promise.all(users.map((user) => there.scoreAsync(userVector(model, user), model.userBias[user]!)));
    answered.forEach((scores, k) => expect(bits(scores)).toEqual(bits(expected[k]!)));
    there.release();
    expect(bits(await there.scoreAsync(userVector(model, 2), model.userBias[2]!))).toEqual(bits(expected[2]!));
    here.release();
    there.release();
  });

  it('falls back to this thread when its thread is gone', async () => {
    const model = smallRandomModel('hybrid');
    const doomed = await ScoringThread.start('wasm');
    const scorer = new ItemScorer(model, doomed);
    const expected = new ItemScorer(model).score(userVector(model, 4), model.userBias[4]!);
    await doomed!.close();
    expect(doomed!.alive).toBe(false);
    expect(bits(await scorer.scoreAsync(userVector(model, 4), model.userBias[4]!))).toEqual(bits(expected));
  });

  it("ranks a retrieval version's users in the thread exactly as in this thread, and forgets the ranker", async () => {
    const { spec, requests } = rankingCase();
    const here = userRanker(spec);
    const key = newPayloadKey();
    for (const request of requests) {
      const expected = rankUser(here, request);
      const answered = await thread!.rank(key, () => spec, request);
      expect(Array.from(answered.rows)).toEqual(Array.from(expected.rows));
      expect(bits(answered.ratings)).toEqual(bits(expected.ratings));
      expect(Array.from(answered.because)).toEqual(Array.from(expected.because));
      expect(bits(answered.similarity)).toEqual(bits(expected.similarity));
    }
    // A forgotten ranker is sent again on its next use.
    thread!.forget(key);
    expect(Array.from((await thread!.rank(key, () => spec, requests[0]!)).rows)).toEqual(Array.from(rankUser(here, requests[0]!).rows));
    thread!.forget(key);
    here.ratings.release();
  });

  it('is not started for a GPU backend', async () => {
    expect(await ScoringThread.start('tensorflow-gpu')).toBeNull();
  });
});

describe('ScoringPool', () => {
  it('spreads concurrent requests over its threads, scores as this thread does, and outlives a lost thread', async () => {
    const pool = await ScoringPool.start('wasm', 2);
    try {
      expect(pool?.size).toBe(2);
      const model = smallRandomModel('hybrid');
      const here = new ItemScorer(model);
      const there = new ItemScorer(model, pool);
      const users = [0, 1, 2, 3, 4, 5];
      const expected = users.map((user) => here.score(userVector(model, user), model.userBias[user]!));
      const threads = (pool as unknown as { threads: ScoringThread[] }).threads;
      const answered = Promise.all(users.map((user) => there.scoreAsync(userVector(model, user), model.userBias[user]!)));
      // Least in flight first: six requests sent at once are split three and three.
      expect(threads.map((thread) => thread.inFlight)).toEqual([3, 3]);
      (await answered).forEach((scores, k) => expect(bits(scores)).toEqual(bits(expected[k]!)));
      await threads[0]!.close();
      expect(pool!.alive).toBe(true);
      expect(bits(await there.scoreAsync(userVector(model, 2), model.userBias[2]!))).toEqual(bits(expected[2]!));
      here.release();
      there.release();
    } finally {
      await pool?.close();
    }
    expect(pool!.alive).toBe(false);
  });

  it('is null for a GPU backend or no threads', async () => {
    expect(await ScoringPool.start('webgpu', 2)).toBeNull();
    expect(await ScoringPool.start('wasm', 0)).toBeNull();
  });
});
