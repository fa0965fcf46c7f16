/**
 * The fold-in as a service, on both drivers without HTTP: rating through rateAnime schedules the
 * user's fold-in, which stores and serves foldInUser of all their ratings in the active version.
 */
import type { Database } from '../../src/db/database';
import { foldInUser, type RatedItem } from '../../src/recsys/fold-in';
import { ModelCache, type ServingModel } from '../../src/recsys/model-cache';
import { rateAnime } from '../../src/recsys/ratings';
import { predictRatings } from '../../src/recsys/recommend';
import { foldInUsers } from '../../src/recsys/user-fold-in';
import { createUser, deleteUser } from '../../src/recsys/users';
import { describeEachDriver } from '../helpers/databases';
import { openFixtureDatabase, type FixtureDatabase } from '../reliability/fixture-server';

const TOKEN_TTL_DAYS = 90;

/** The user's stored vector and bias in `versionId`, or null when there is none. */
async function storedUser(db: Database, versionId: number, userId: number): Promise<{ vector: number[]; bias: number | null } | null> {
  const { rows } = await db.query<{ embedding: string; bias: number | null }>(
    'SELECT embedding::text AS embedding, bias FROM user_embedding WHERE model_version_id = $1 AND user_id = $2',
    [versionId, userId],
  );
  return rows.length === 0 ? null : { vector: JSON.parse(rows[0]!.embedding) as number[], bias: rows[0]!.bias };
}

function servedVector(serving: ServingModel, userId: number): number[] | null {
  const row = serving.userRow.get(userId);
  const dim = serving.model.hyper.embeddingDim;
  return row === undefined ? null : Array.from(serving.model.userEmbeddings.subarray(row * dim, (row + 1) * dim));
}

function expectClose(actual: readonly number[], expected: ArrayLike<number>): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, j) => expect(value).toBeCloseTo(expected[j]!, 5));
}

describeEachDriver('fold-in after rating', (driver) => {
  let fixture: FixtureDatabase;
  let models: ModelCache;
  /** Anime the model has vectors for. */
  let known: number[];

  beforeAll(async () => {
    fixture = await openFixtureDatabase(driver);
    models = new ModelCache(fixture.db);
    known = Array.from((await models.currentOrLoaded())!.model.itemIds);
  });
  afterAll(() => fixture?.dispose());

  const newUser = async (name: string) => (await createUser(fixture.db, name, TOKEN_TTL_DAYS)).user.id;

  /** Rates as the API does and waits for the user's fold-in; returns what foldInUser gives for those ratings beforehand. */
  async function rateAll(userId: number, ratings: [animeId: number, rating: number][]) {
    const serving = models.current()!;
    const rated: RatedItem[] = ratings.flatMap(([animeId, rating]) => {
      const itemRow = serving.itemRow.get(animeId);
      return itemRow === undefined ? [] : [{ itemRow, rating }];
    });
    const expected = foldInUser(serving.model, rated);
    for (const [animeId, rating] of ratings) await rateAnime(fixture.db, models, userId, animeId, rating);
    await models.foldIns.settled(userId);
    return expected;
  }

  it('a new user who rates is folded in: stored and served, both foldInUser of their ratings', async () => {
    const userId = await newUser('folded');
    expect(models.current()!.userRow.has(userId)).toBe(false);
    const expected = await rateAll(userId, [[known[0]!, 10], [known[1]!, 9], [known[2]!, 2], [known[3]!, 1], [known[4]!, 8]]);
    const stored = await storedUser(fixture.db, fixture.versionId, userId);
    expect(stored).not.toBeNull();
    expectClose(stored!.vector, expected.vector);
    if (models.current()!.model.hyper.biases) expect(stored!.bias).toBeCloseTo(expected.bias, 5);
    expectClose(servedVector(models.current()!, userId)!, expected.vector);
  });

  it('predictions follow the ratings: an anime rated 10 is predicted above one rated 1', async () => {
    const userId = await newUser('opinionated');
    const [liked, disliked] = [known[5]!, known[6]!];
    await rateAll(userId, [[liked, 10], [disliked, 1]]);
    const [forLiked, forDisliked] = await predictRatings(models.current()!, [{ userId, animeId: liked }, { userId, animeId: disliked }]);
    expect(forLiked!).toBeGreaterThan(forDisliked!);
  });

  it('another rating folds the user in again: the stored row is replaced by the fit of all their ratings', async () => {
    const userId = await newUser('changing');
    await rateAll(userId, [[known[7]!, 9]]);
    const first = await storedUser(fixture.db, fixture.versionId, userId);
    const expected = await rateAll(userId, [[known[7]!, 9], [known[8]!, 2]]);
    const second = await storedUser(fixture.db, fixture.versionId, userId);
    expectClose(second!.vector, expected.vector);
    expect(second!.vector).not.toEqual(first!.vector);
    const { rows } = await fixture.db.query<{ n: number }>('SELECT count(*)::int AS n FROM user_embedding WHERE model_version_id = $1 AND user_id = $2', [fixture.versionId, userId]);
    expect(rows[0]!.n).toBe(1);
  });

  it('ratings of anime the model has no vector for are left out of the fit', async () => {
    await fixture.db.query("INSERT INTO anime (id, name, genres) VALUES (900001, 'Newer than the model', '{}')");
    const userId = await newUser('early adopter');
    const expected = await rateAll(userId, [[900001, 10], [known[9]!, 3]]);
    expectClose((await storedUser(fixture.db, fixture.versionId, userId))!.vector, expected.vector);
  });

  it('a user deleted before the fold-in runs stores nothing', async () => {
    const userId = await newUser('gone');
    await deleteUser(fixture.db, userId);
    await foldInUsers(fixture.db, models, [userId]);
    expect(await storedUser(fixture.db, fixture.versionId, userId)).toBeNull();
  });
});
