/**
 * recommend as a service, on both drivers without HTTP: a dataset user's list against the
 * model's own predictions for every anime (predictRows), with and without their seen anime and
 * under a catalog filter, and each recommendation's reason.
 */
import { NotFoundError } from '../../src/errors';
import { predictRows } from '../../src/models/predict';
import { ModelCache, type ServingModel } from '../../src/recsys/model-cache';
import { recommend } from '../../src/recsys/recommend';
import type { AnimeFilter } from '../../src/recsys/anime-filter';
import { describeEachDriver } from '../helpers/databases';
import { openFixtureDatabase, type FixtureDatabase } from '../reliability/fixture-server';

const K = 10;
/** A dataset user of the fixture (ids 1..50), and the anime they rated with their ratings. */
const USER = 7;

describeEachDriver('recommend', (driver) => {
  let fixture: FixtureDatabase;
  let serving: ServingModel;
  let rated: Map<number, number>;
  /** The user's predicted rating of every anime the model knows, by anime id. */
  let predicted: Map<number, number>;

  beforeAll(async () => {
    fixture = await openFixtureDatabase(driver);
    // Half the catalog is TV, the rest Movie; a filter then keeps about half.
    await fixture.db.query("UPDATE anime SET type = CASE WHEN id % 2 = 0 THEN 'TV' ELSE 'Movie' END");
    serving = (await new ModelCache(fixture.db).currentOrLoaded())!;
    const { rows } = await fixture.db.query<{ anime_id: number; rating: number }>('SELECT anime_id, rating FROM rating WHERE user_id = $1', [USER]);
    rated = new Map(rows.map((row) => [row.anime_id, row.rating]));
    expect(rated.size).toBeGreaterThan(0);
    const { itemIds } = serving.model;
    const userRow = serving.userRow.get(USER)!;
    const scores = predictRows(serving.model, new Int32Array(itemIds.length).fill(userRow), Int32Array.from(itemIds, (_, row) => row));
    predicted = new Map(Array.from(itemIds, (id, row) => [id, scores[row]!]));
  });
  afterAll(() => fixture?.dispose());

  /**
   * That `list` holds `K` different anime that pass `eligible`, with the highest predicted ratings
   * among those that do, best first (compared by rating, so that ties may come in any order).
   */
  function expectBestPredicted(list: { animeId: number }[], eligible: (animeId: number) => boolean): void {
    const best = [...predicted.entries()].filter(([id]) => eligible(id)).map(([, rating]) => rating).sort((a, b) => b - a).slice(0, K);
    expect(list.map((r) => predicted.get(r.animeId))).toEqual(best);
    expect(list.every((r) => eligible(r.animeId))).toBe(true);
    expect(new Set(list.map((r) => r.animeId)).size).toBe(K);
  }

  it('recommends the unseen anime the model predicts highest, best first, each with that prediction', async () => {
    const list = await recommend(fixture.db, serving, USER, { k: K, excludeSeen: true });
    expectBestPredicted(list, (id) => !rated.has(id));
    for (const r of list) expect(r.predictedRating).toBeCloseTo(predicted.get(r.animeId)!, 4);
  });

  it('with excludeSeen false, ranks the rated anime too', async () => {
    const list = await recommend(fixture.db, serving, USER, { k: K, excludeSeen: false });
    expectBestPredicted(list, () => true);
    // Not vacuous: the user's own ratings are among the best predicted.
    expect(list.some((r) => rated.has(r.animeId))).toBe(true);
  });

  it('under a filter, ranks only the anime that pass it', async () => {
    const filter: AnimeFilter = { types: ['TV'] };
    const list = await recommend(fixture.db, serving, USER, { k: K, excludeSeen: true, filter });
    expectBestPredicted(list, (id) => id % 2 === 0 && !rated.has(id));
  });

  it('explains each recommendation by the liked rated anime most similar to it', async () => {
    const liked = [...rated.entries()].filter(([id, rating]) => rating >= 7 && serving.itemRow.has(id));
    expect(liked.length).toBeGreaterThan(0);
    const dim = serving.model.hyper.embeddingDim;
    const vector = (id: number) => Array.from(serving.model.itemEmbeddings.subarray(serving.itemRow.get(id)! * dim, (serving.itemRow.get(id)! + 1) * dim));
    const dot = (a: number[], b: number[]) => a.reduce((sum, x, j) => sum + x * b[j]!, 0);
    const cosine = (a: number, b: number) => dot(vector(a), vector(b)) / Math.sqrt(dot(vector(a), vector(a)) * dot(vector(b), vector(b)));
    for (const r of await recommend(fixture.db, serving, USER, { k: K, excludeSeen: true })) {
      const best = liked.map(([id, rating]) => ({ animeId: id, rating, similarity: cosine(r.animeId, id) })).sort((a, b) => b.similarity - a.similarity)[0]!;
      expect(r.because).toMatchObject({ animeId: best.animeId, rating: best.rating });
      expect(r.because!.similarity).toBeCloseTo(best.similarity, 5);
    }
  });

  it('refuses a user that does not exist with NotFoundError, before any access check', async () => {
    const authorize = jest.fn();
    await expect(recommend(fixture.db, serving, 999_999, { k: K, excludeSeen: true, authorize })).rejects.toThrow(NotFoundError);
    expect(authorize).not.toHaveBeenCalled();
  });

  it("asks the access check with the user's source, and answers nothing when it refuses", async () => {
    const sources: string[] = [];
    const refusal = new Error('not yours');
    await expect(
      recommend(fixture.db, serving, USER, {
        k: K,
        excludeSeen: true,
        authorize: (source) => {
          sources.push(source);
          throw refusal;
        },
      }),
    ).rejects.toBe(refusal);
    expect(sources).toHaveLength(1);
    expect(['ingest', 'api']).toContain(sources[0]);
  });
});
