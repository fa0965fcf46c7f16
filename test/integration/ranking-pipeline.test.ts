/**
 * The retrieval kind end to end over real HTTP on both databases: what the training report
 * measured is what the server returns, a new user gets popular titles flagged not personal and
 * then, after one rating, a personal list within a second, and similar titles come from the
 * retrieval vectors.
 */
import { foldInIals } from '../../src/ranking/ials-fold-in';
import { foldInUsers } from '../../src/recsys/user-fold-in';
import { selectBackend } from '../../src/models/backend';
import { presetHyperparameters } from '../../src/models/hyperparameters';
import { deserializeReranker } from '../../src/ranking/reranker';
import { BLEND_FEATURES } from '../../src/ranking/two-stage';
import type { RunningServer } from '../../src/server/start';
import { prepareTrainingData, runTraining, type TrainingReport } from '../../src/trainer/run-training';
import { twoStageScorer } from '../../src/trainer/train-retrieval';
import { loadModelVersion, loadRerankerBytes } from '../../src/versions/load';
import { describeEachDriver } from '../helpers/databases';
import { graphql } from '../helpers/graphql';
import { startSliceServer, type SliceServer } from '../helpers/slice-server';

const RATING_ROWS = 15000;
const SMALL = { embeddingDim: 16, epochs: 3 };
const COMPARED_USERS = 12;
const K = 10;

describeEachDriver('retrieval kind served in two stages', (driver) => {
  let slice: SliceServer;
  let server: RunningServer;
  let report: TrainingReport;

  beforeAll(async () => {
    await selectBackend('wasm');
    slice = await startSliceServer({ ratingRows: RATING_ROWS, driver });
    server = slice.server;
    report = await runTraining(server.db, { kind: 'retrieval', preset: 'default', overrides: SMALL, activate: 'always', map: null, rankingUsers: 200 });
  }, 300_000);
  afterAll(async () => {
    await slice?.close();
  });

  it('reports ranking beside popularity, item-kNN and EASE, and similar-title quality of its vectors', () => {
    expect(report.kind).toBe('retrieval');
    const { popularity, itemKnn, ease } = report.rankingBaselines;
    for (const metrics of [popularity, itemKnn, ease, report.metrics.ranking]) expect(metrics.usersEvaluated).toBeGreaterThan(0);
    // On this slice the served ranking must beat the floor every personal ranking must beat.
    expect(report.metrics.ranking.ndcg).toBeGreaterThan(popularity.ndcg);
    expect(report.metrics.similarTitles?.shrunk.usersEvaluated).toBe(itemKnn.usersEvaluated);
    expect(Object.keys(report.metrics.blend!.weights).sort()).toEqual([...BLEND_FEATURES].sort());
  });

  it('the lists the report was measured on are the lists the server returns', async () => {
    // The run's split again (seeded), and the stored version the server serves.
    const hyper = { ...presetHyperparameters('retrieval', 'default'), ...SMALL };
    const prepared = await prepareTrainingData(server.db, hyper, { rankingUsers: 200 });
    // Both samples cover every user of the slice: one preparation serves both.
    expect(prepared.dataset.userIds.length).toBeLessThanOrEqual(200);
    expect(await prepareTrainingData(server.db, hyper, { rankingUsers: 5000 })).toBe(prepared);
    const model = await loadModelVersion(server.db, report.modelVersionId);
    const reranker = deserializeReranker((await loadRerankerBytes(server.db, report.modelVersionId))!);
    const heldOut = prepared.ranking.validation;
    const scorer = twoStageScorer(model, reranker, prepared.ranking, heldOut);
    const users = [...heldOut.heldOutByUser.keys()].sort((a, b) => a - b).slice(0, COMPARED_USERS);
    const scores = new Float32Array(prepared.dataset.itemIds.length);
    for (const user of users) {
      const userId = prepared.dataset.userIds[user]!;
      // The server then knows what training knew of this user: training ratings and watched titles.
      const held = heldOut.heldOutByUser.get(user)!;
      const tested = prepared.ranking.test.heldOutByUser.get(user)?.items ?? [];
      const hidden = [...Array.from(held.items), ...Array.from(tested)].map((row) => prepared.dataset.itemIds[row]!);
      await server.db.query('DELETE FROM rating WHERE user_id = $1 AND anime_id = ANY($2::int[])', [userId, hidden]);
      scorer.scoreUser(user, scores);
      const expected = Array.from(scores.keys())
        .filter((row) => Number.isFinite(scores[row]!))
        .sort((a, b) => scores[b]! - scores[a]! || a - b)
        .slice(0, K)
        .map((row) => prepared.dataset.itemIds[row]!);
      const response = await graphql(server.url, `{ recommendations(userId: ${userId}, k: ${K}) { anime { id } personal } }`);
      expect(response.errors).toBeUndefined();
      const served = (response.data!.recommendations as { anime: { id: number }; personal: boolean }[]);
      expect(served.every((r) => r.personal)).toBe(true);
      expect(served.map((r) => r.anime.id)).toEqual(expected);
    }
  }, 120_000);

  it('a new user gets popular titles inside the filter, marked not personal; after one rating, a personal list within a second', async () => {
    const created = await graphql(server.url, 'mutation { createUser(input: { name: "newcomer" }) { user { id } token } }');
    const token = created.data!.createUser.token as string;
    const userId = created.data!.createUser.user.id as number;
    const LIST = `{ recommendations(userId: ${userId}, k: 5, filter: { types: [TV] }) { anime { id type } personal predictedRating } }`;
    const cold = await graphql(server.url, LIST, undefined, token);
    expect(cold.errors).toBeUndefined();
    const coldList = cold.data!.recommendations as { anime: { id: number; type: string }; personal: boolean; predictedRating: number }[];
    expect(coldList).toHaveLength(5);
    expect(coldList.every((r) => !r.personal && r.anime.type === 'TV' && r.predictedRating >= 1 && r.predictedRating <= 10)).toBe(true);
    // The most popular TV titles by members, in that order.
    const { rows } = await server.db.query<{ id: number }>(
      `SELECT id FROM anime WHERE type = 'TV' AND id IN (SELECT anime_id FROM item_embedding WHERE model_version_id = $1) ORDER BY members DESC, id LIMIT 5`,
      [report.modelVersionId],
    );
    expect(coldList.map((r) => r.anime.id)).toEqual(rows.map((row) => row.id));
    const prediction = await graphql(server.url, `{ predictRating(userId: ${userId}, animeId: ${coldList[0]!.anime.id}) }`, undefined, token);
    expect(prediction.errors).toBeUndefined();

    const rated = await graphql(server.url, 'mutation { rateAnime(input: { animeId: 5114, rating: 10 }) { rating { rating } } }', undefined, token);
    expect(rated.errors).toBeUndefined();
    const started = performance.now();
    const warm = await graphql(server.url, LIST, undefined, token);
    expect(performance.now() - started).toBeLessThan(1000);
    const warmList = warm.data!.recommendations as { anime: { id: number }; personal: boolean }[];
    expect(warmList.every((r) => r.personal)).toBe(true);
    expect(warmList.map((r) => r.anime.id)).not.toEqual(coldList.map((r) => r.anime.id));
  });

  it('a fold-in of a user with watched titles learns from them as from ratings: the closed form over both', async () => {
    const { rows } = await server.db.query<{ user_id: number }>(
      `SELECT user_id FROM watched WHERE user_id IN (SELECT user_id FROM rating) GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1`,
    );
    expect(rows).toHaveLength(1);
    const userId = rows[0]!.user_id;
    const serving = (await server.models.currentOrLoaded())!;
    const history = await server.db.query<{ anime_id: number }>('SELECT anime_id FROM rating WHERE user_id = $1 UNION SELECT anime_id FROM watched WHERE user_id = $1', [userId]);
    const itemRows = history.rows.flatMap(({ anime_id }) => {
      const row = serving.itemRow.get(anime_id);
      return row === undefined ? [] : [row];
    });
    const expected = foldInIals(serving.reranking!.foldInBasis(), itemRows, serving.reranking!.reranker.foldIn);
    await foldInUsers(server.db, server.models, [userId]);
    const stored = await server.db.query<{ embedding: string }>('SELECT embedding::text AS embedding FROM user_embedding WHERE model_version_id = $1 AND user_id = $2', [
      report.modelVersionId,
      userId,
    ]);
    const vector = JSON.parse(stored.rows[0]!.embedding) as number[];
    const scale = Math.max(...Array.from(expected, Math.abs));
    vector.forEach((value, j) => expect(Math.abs(value - expected[j]!)).toBeLessThan(1e-5 * scale));
    // Without the watched titles the vector differs: they were read.
    const ratedOnly = await server.db.query<{ anime_id: number }>('SELECT anime_id FROM rating WHERE user_id = $1', [userId]);
    const withoutWatched = foldInIals(serving.reranking!.foldInBasis(), ratedOnly.rows.flatMap(({ anime_id }) => serving.itemRow.get(anime_id) ?? []), serving.reranking!.reranker.foldIn);
    expect(Math.max(...vector.map((value, j) => Math.abs(value - withoutWatched[j]!)))).toBeGreaterThan(1e-3 * scale);
  });

  it('similar titles are the retrieval vectors\' nearest, shrunk by support, and a filtered search agrees with the unfiltered one', async () => {
    const all = await graphql(server.url, '{ similarAnime(animeId: 5114, k: 20) { anime { id type } similarity } }');
    expect(all.errors).toBeUndefined();
    const list = all.data!.similarAnime as { anime: { id: number; type: string }; similarity: number }[];
    expect(list).toHaveLength(20);
    for (let n = 1; n < list.length; n++) expect(list[n - 1]!.similarity).toBeGreaterThanOrEqual(list[n]!.similarity);
    const filtered = await graphql(server.url, '{ similarAnime(animeId: 5114, k: 3, filter: { types: [TV] }) { anime { id } similarity } }');
    expect(filtered.errors).toBeUndefined();
    const expectedTv = list.filter((r) => r.anime.type === 'TV').slice(0, 3).map((r) => r.anime.id);
    expect((filtered.data!.similarAnime as { anime: { id: number } }[]).map((r) => r.anime.id)).toEqual(expectedTv);
  });
});
