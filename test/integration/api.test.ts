/**
 * The recommendation API over real HTTP on both databases: a model trained on a real slice,
 * served by the running server, queried with plain GraphQL requests.
 */
import { MODEL_KINDS } from '../../src/models/kinds';
import { selectBackend } from '../../src/models/backend';
import { loadModelVersion } from '../../src/versions/load';
import type { RunningServer } from '../../src/server/start';
import { runTraining, type TrainingReport } from '../../src/trainer/run-training';
import { describeEachDriver } from '../helpers/databases';
import { codeOf, graphql, type Connection } from '../helpers/graphql';
import { startSliceServer, type SliceServer } from '../helpers/slice-server';
import { predictRows } from '../../src/models/predict';

const ADMIN = 'admin-token-for-tests-0123456789';
/** Below the default: the slice's model has ~2,000 items, the demo's ~11,000 (one map costs 2 per item). */
const COST_LIMIT = 20_000;

describeEachDriver('recommendation API', (driver) => {
  let slice: SliceServer;
  let server: RunningServer;
  let report: TrainingReport;

  beforeAll(async () => {
    await selectBackend('wasm');
    slice = await startSliceServer({ ratingRows: 15000, driver, env: { ADMIN_TOKEN: ADMIN, QUERY_COST_LIMIT: String(COST_LIMIT) } });
    server = slice.server;
  });
  afterAll(() => slice?.close());

  it('answers MODEL_NOT_READY before any model is trained', async () => {
    const response = await graphql(server.url, '{ similarAnime(animeId: 1) { similarity } }');
    expect(codeOf(response)).toBe('MODEL_NOT_READY');
    expect((await graphql(server.url, '{ activeModel { id } }')).data).toEqual({ activeModel: null });
  });

  const trainMf = () =>
    runTraining(server.db, {
      kind: 'mf',
      preset: 'default',
      overrides: { embeddingDim: 16, epochs: 3 },
      activate: 'always',
      map: null,
    });

  it('serves the first activated model at once, without waiting for the poll', async () => {
    await server.models.stop();
    try {
      const first = await trainMf();
      // Activated outside the server's cache, and no poll since: the next request loads it.
      const response = await graphql(server.url, '{ activeModel { id } recommendations(userId: 1, k: 1) { predictedRating } }');
      expect(response.errors).toBeUndefined();
      expect(response.data!.activeModel).toEqual({ id: first.modelVersionId });
      expect(server.models.current()?.versionId).toBe(first.modelVersionId);
    } finally {
      await server.models.start();
    }
  });

  it('serves a newly activated model without a restart', async () => {
    report = await trainMf();
    // Published and activated outside the server's cache: its poll must notice by itself.
    for (let wait = 0; wait < 50 && server.models.current()?.versionId !== report.modelVersionId; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(server.models.current()?.versionId).toBe(report.modelVersionId);
    const response = await graphql(server.url, '{ activeModel { id kind embeddingDim isActive history { epoch loss valLoss } metrics } models { nodes { id } totalCount } }');
    expect(response.errors).toBeUndefined();
    expect(response.data!.activeModel).toMatchObject({ id: report.modelVersionId, kind: 'MF', embeddingDim: 16, isActive: true });
    expect(response.data!.activeModel.history).toHaveLength(report.history.length);
    expect(response.data!.activeModel.metrics.test.rmse).toBeCloseTo(report.metrics.test.rmse, 10);
    expect(response.data!.models.nodes.map((m: { id: number }) => m.id)).toContain(report.modelVersionId);
    expect(response.data!.models.totalCount).toBeGreaterThanOrEqual(response.data!.models.nodes.length);
  });

  it('similarAnime equals the exact cosine ranking of the published embeddings (recall@10 >= 0.98)', async () => {
    const model = await loadModelVersion(server.db, report.modelVersionId);
    const dim = model.hyper.embeddingDim;
    const unit = (row: number) => {
      const v = model.itemEmbeddings.subarray(row * dim, (row + 1) * dim);
      const norm = Math.hypot(...v);
      return Array.from(v, (x) => x / norm);
    };
    const probes = Array.from({ length: 20 }, (_, k) => Math.floor((k * model.itemIds.length) / 20));
    let hits = 0;
    for (const probe of probes) {
      const q = unit(probe);
      const exact = Array.from(model.itemIds, (id, row) => ({ id, similarity: row === probe ? -Infinity : unit(row).reduce((s, x, j) => s + x * q[j]!, 0) }))
        .sort((a, b) => b.similarity - a.similarity)
        .slice(0, 10)
        .map((r) => r.id);
      const response = await graphql(server.url, `{ similarAnime(animeId: ${model.itemIds[probe]}, k: 10) { anime { id } similarity } }`);
      expect(response.errors).toBeUndefined();
      const served = response.data!.similarAnime.map((s: { anime: { id: number } }) => s.anime.id);
      expect(served).toHaveLength(10);
      hits += served.filter((id: number) => exact.includes(id)).length;
    }
    expect(hits / (probes.length * 10)).toBeGreaterThanOrEqual(0.98);
  });

  it('answers a repeated ask from the kept neighbour list: a smaller k is the prefix of a larger one', async () => {
    const ask = async (k: number) => {
      const response = await graphql(server.url, `{ similarAnime(animeId: 5114, k: ${k}) { anime { id } similarity } }`);
      expect(response.errors).toBeUndefined();
      return response.data!.similarAnime as { anime: { id: number }; similarity: number }[];
    };
    const first = await ask(25);
    expect(first).toHaveLength(25);
    expect(await ask(25)).toEqual(first);
    expect(await ask(4)).toEqual(first.slice(0, 4));
    for (let n = 1; n < first.length; n++) expect(first[n]!.similarity).toBeLessThanOrEqual(first[n - 1]!.similarity);
  });

  it('keeps k results under a filter and honours it', async () => {
    const response = await graphql(server.url, '{ similarAnime(animeId: 5114, k: 7, filter: { types: [MOVIE], minMembers: 1000 }) { anime { type members } } }');
    expect(response.errors).toBeUndefined();
    expect(response.data!.similarAnime).toHaveLength(7);
    for (const { anime } of response.data!.similarAnime) {
      expect(anime.type).toBe('MOVIE');
      expect(anime.members).toBeGreaterThanOrEqual(1000);
    }
  });

  it('predicts with the served model exactly as the trained function', async () => {
    const model = await loadModelVersion(server.db, report.modelVersionId);
    const userId = model.userIds[3]!;
    const animeId = model.itemIds[10]!;
    const expected = predictRows(model, Int32Array.of(3), Int32Array.of(10))[0]!;
    const response = await graphql(server.url, `{ predictRating(userId: ${userId}, animeId: ${animeId}) }`);
    expect(response.data!.predictRating).toBeCloseTo(expected, 5);
  });

  it('recommends unseen anime, best first, each with a reason', async () => {
    const userId = 1;
    const response = await graphql(server.url, `{ recommendations(userId: ${userId}, k: 5) { anime { id } predictedRating because { anime { id } rating text } } }`);
    expect(response.errors).toBeUndefined();
    const recommendations = response.data!.recommendations as { anime: { id: number }; predictedRating: number; because: { rating: number; text: string } }[];
    expect(recommendations).toHaveLength(5);
    const seen = await server.db.query<{ anime_id: number }>('SELECT anime_id FROM rating WHERE user_id = $1 UNION SELECT anime_id FROM watched WHERE user_id = $1', [userId]);
    const seenIds = new Set(seen.rows.map((r) => r.anime_id));
    for (const r of recommendations) {
      expect(seenIds.has(r.anime.id)).toBe(false);
      expect(r.because.text).toMatch(/^because you rated .+ \d+$/);
    }
    const ratings = recommendations.map((r) => r.predictedRating);
    expect(ratings).toEqual([...ratings].sort((a, b) => b - a));
  });

  describe('cost limits and cached statistics', () => {
    const aliased = (count: number, field: string) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
    const STATS = 'catalogStats { anime users ratings watched ratingHistogram { rating count } ratingsPerAnime { min max anime } mostRated(k: 10) { ratings anime { name } } }';

    it("refuses the issue's reproducer, 30 aliases of embeddingMap with their anime, before running it", async () => {
      const response = await graphql(server.url, aliased(30, 'embeddingMap { x y anime { name genres } }'));
      expect(codeOf(response)).toBe('QUERY_TOO_COSTLY');
      expect(response.errors![0]!.message).toMatch(/budget of 20000/);
      const items = server.models.current()!.itemRow.size;
      expect(response.errors![0]!.extensions).toMatchObject({ cost: 30 * (10 + 4 * items), budget: COST_LIMIT });
      // One map is accepted.
      expect((await graphql(server.url, '{ embeddingMap { x y anime { name genres } } }')).errors).toBeUndefined();
    });

    it('answers 5 aliases of catalogStats from one computation, kept until a rating write', async () => {
      const first = await graphql(server.url, aliased(5, STATS));
      expect(first.errors).toBeUndefined();
      const counts = first.data!.a0;
      for (let i = 1; i < 5; i++) expect(first.data![`a${i}`]).toEqual(counts);
      // A write behind the server's back is not seen (the statistics are cached) ...
      await server.db.query("INSERT INTO app_user (name, source) VALUES ('behind the back', 'ingest')");
      expect((await graphql(server.url, `{ ${STATS} }`)).data!.catalogStats.users).toBe(counts.users);
      // ... until this server writes: a new user and a rating.
      const user = (await graphql(server.url, 'mutation { createUser(input: { name: "counter" }) { token } }')).data!.createUser.token as string;
      await graphql(server.url, 'mutation { rateAnime(input: { animeId: 5114, rating: 7 }) { rating { rating } } }', undefined, user);
      const after = (await graphql(server.url, `{ ${STATS} }`)).data!.catalogStats;
      expect(after.users).toBe(counts.users + 2);
      expect(after.ratings).toBe(counts.ratings + 1);
      expect(after.ratingHistogram.find((r: { rating: number }) => r.rating === 7).count).toBe(counts.ratingHistogram.find((r: { rating: number }) => r.rating === 7).count + 1);
    });

    it('keeps /healthz answering while the heaviest accepted requests run', async () => {
      const heavy = [
        aliased(5, 'recommendations(userId: 1, k: 100) { anime { name genres } predictedRating because { text } }'),
        aliased(3, 'animes(first: 100) { nodes { name embedding } }'),
        `{ ${STATS} }`,
        aliased(10, 'similarAnime(animeId: 5114, k: 100) { anime { name } similarity }'),
      ];
      let running = true;
      const load = Promise.all(Array.from({ length: 3 }, () => Promise.all(heavy.map((q) => graphql(server.url, q))))).finally(() => (running = false));
      const waits: number[] = [];
      while (running) {
        const started = performance.now();
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
        waits.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (const answers of await load) for (const answer of answers) expect(answer.errors).toBeUndefined();
      expect(waits.length).toBeGreaterThan(0);
      // Generous (2 shared cores, another suite may run): the point is "never stuck behind them".
      expect(Math.max(...waits)).toBeLessThan(2000);
    });
  });

  it.each([
    ['an unknown anime', '{ similarAnime(animeId: 424242424) { similarity } }', 'NOT_FOUND'],
    ['an unknown user', '{ recommendations(userId: 99999999) { predictedRating } }', 'NOT_FOUND'],
    ['k above 100', '{ similarAnime(animeId: 5114, k: 1000) { similarity } }', 'BAD_USER_INPUT'],
    ['k below 1', '{ recommendations(userId: 1, k: 0) { predictedRating } }', 'BAD_USER_INPUT'],
    ['an unknown model version', '{ similarAnime(animeId: 5114, model: 999999) { similarity } }', 'NOT_FOUND'],
    // Only introspection nests deeply in this schema; it is allowed 20 levels (GraphiQL's query has 14).
    ['a query nested too deep', `{ __schema { types { fields { type ${'{ ofType '.repeat(20)}{ name }${' }'.repeat(20)} } } } }`, 'GRAPHQL_VALIDATION_FAILED'],
    ['too many aliases', `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: anime(id: ${i + 1}) { id }`).join(' ')} }`, 'GRAPHQL_VALIDATION_FAILED'],
  ])('answers %s with its code', async (_case, query, code) => {
    const response = await graphql(server.url, query);
    expect(codeOf(response)).toBe(code);
    expect(JSON.stringify(response)).not.toContain('stacktrace');
  });

  describe('users and ratings', () => {
    let token: string;
    let userId: number;
    const RATE = 'mutation($anime: Int!, $rating: Int!) { rateAnime(input: { animeId: $anime, rating: $rating }) { rating { userId animeId rating anime { name } } } }';
    const RECOMMEND = '{ me { id } recommendations: __typename }';

    beforeAll(async () => {
      const created = await graphql(server.url, 'mutation { createUser(input: { name: "Ada" }) { user { id name source } token } }');
      expect(created.errors).toBeUndefined();
      token = created.data!.createUser.token;
      userId = created.data!.createUser.user.id;
      expect(created.data!.createUser.user).toMatchObject({ name: 'Ada', source: 'api' });
      const stored = await server.db.query<{ token_hash: string }>('SELECT token_hash FROM app_user WHERE id = $1', [userId]);
      expect(stored.rows[0]!.token_hash).toMatch(/^scrypt\$/);
      expect(stored.rows[0]!.token_hash).not.toContain(token.split('.')[1]);
    });

    it('answers the other fields when one root field fails (nullable roots), and an invalid page nulls only the page', async () => {
      // Recommendations for a user that does not exist fail; anime still answers.
      const mixed = await graphql(server.url, `{ anime(id: 5114) { name } recommendations(userId: 999999) { predictedRating } }`, undefined, token);
      expect(mixed.data).toEqual({ anime: { name: expect.any(String) }, recommendations: null });
      expect(mixed.errors).toHaveLength(1);
      expect(mixed.errors![0]!.extensions!.code).toBe('NOT_FOUND');
      const page = await graphql(server.url, `{ user(id: ${userId}) { id ratings(first: 0) { totalCount } } }`, undefined, token);
      expect(page.data).toEqual({ user: { id: userId, ratings: null } });
      expect(codeOf(page)).toBe('BAD_USER_INPUT');
    });

    it('signs the user in with the token', async () => {
      const me = await graphql(server.url, '{ me { id name } }', undefined, token);
      expect(me.data).toEqual({ me: { id: userId, name: 'Ada' } });
      expect((await graphql(server.url, RECOMMEND, undefined, token)).errors).toBeUndefined();
    });

    it('gives a new user personal recommendations after one rating (cold start), and they change with more', async () => {
      const rate = (anime: number, rating: number) => graphql(server.url, RATE, { anime, rating }, token);
      const first = await rate(5114, 10);
      expect(first.data!.rateAnime.rating).toMatchObject({ userId, animeId: 5114, rating: 10 });
      const recommend = async () => {
        const response = await graphql(server.url, `{ recommendations(userId: ${userId}, k: 10) { anime { id } because { anime { id } } } }`, undefined, token);
        expect(response.errors).toBeUndefined();
        return response.data!.recommendations as { anime: { id: number }; because: { anime: { id: number } } }[];
      };
      const afterOne = await recommend();
      expect(afterOne).toHaveLength(10);
      expect(afterOne.every((r) => r.anime.id !== 5114 && r.because.anime.id === 5114)).toBe(true);
      await rate(1535, 2);
      await rate(11061, 9);
      const afterThree = await recommend();
      expect(afterThree.map((r) => r.anime.id)).not.toEqual(afterOne.map((r) => r.anime.id));
      const stored = await server.db.query('SELECT 1 FROM user_embedding WHERE user_id = $1 AND model_version_id = $2', [userId, report.modelVersionId]);
      expect(stored.rowCount).toBe(1);
    });

    it('pages through the ratings with a cursor connection, and deletes one', async () => {
      const page = async (after: string | null) =>
        (
          await graphql(
            server.url,
            'query($id: Int!, $after: String) { user(id: $id) { ratings(first: 2, after: $after) { edges { node { animeId } cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } } }',
            { id: userId, after },
            token,
          )
        ).data!.user.ratings as Connection<{ animeId: number }>;
      const one = await page(null);
      expect(one.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: one.edges[0]!.cursor, endCursor: one.edges[1]!.cursor });
      const two = await page(one.pageInfo.endCursor);
      expect(one.edges).toHaveLength(2);
      expect(two.edges).toHaveLength(1);
      expect(two.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
      expect([one.totalCount, two.totalCount]).toEqual([3, 3]);
      expect(new Set([...one.edges, ...two.edges].map((r) => r.node.animeId))).toEqual(new Set([5114, 1535, 11061]));
      // An edge's cursor resumes right after that edge.
      expect((await page(one.edges[0]!.cursor)).edges[0]!.node).toEqual(one.edges[1]!.node);
      const deleted = await graphql(server.url, 'mutation { deleteRating(input: { animeId: 1535 }) { deleted } }', undefined, token);
      expect(deleted.data).toEqual({ deleteRating: { deleted: true } });
      expect((await graphql(server.url, 'mutation { deleteRating(input: { animeId: 1535 }) { deleted } }', undefined, token)).data).toEqual({ deleteRating: { deleted: false } });
    });

    it.each([
      ['anonymous rating', undefined, RATE, { anime: 5114, rating: 5 }, 'UNAUTHENTICATED'],
      ['a forged token', '1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', RATE, { anime: 5114, rating: 5 }, 'UNAUTHENTICATED'],
      ['a rating of 11', 'own', RATE, { anime: 5114, rating: 11 }, 'BAD_USER_INPUT'],
      ['a rating of an unknown anime', 'own', RATE, { anime: 424242424, rating: 5 }, 'NOT_FOUND'],
      ['me without a token', undefined, '{ me { id } }', {}, 'UNAUTHENTICATED'],
    ])('refuses %s', async (_case, who, query, variables, code) => {
      const response = await graphql(server.url, query, variables, who === 'own' ? token : who);
      expect(codeOf(response)).toBe(code);
    });

    it('names the input field, its range and the value of a refused rating', async () => {
      const refused = await graphql(server.url, RATE, { anime: 5114, rating: 11 }, token);
      expect(refused.errors![0]).toMatchObject({ message: 'input.rating must be an integer from 1 to 10, got 11', extensions: { code: 'BAD_USER_INPUT', arguments: ['input.rating'] } });
    });

    it("cannot rate as another user: another user's id with this secret is refused", async () => {
      const other = (await graphql(server.url, 'mutation { createUser(input: { name: "Bob" }) { user { id } } }')).data!.createUser.user.id as number;
      const borrowed = `${other}.${token.split('.')[1]}`;
      expect(codeOf(await graphql(server.url, RATE, { anime: 5114, rating: 1 }, borrowed))).toBe('UNAUTHENTICATED');
      const ratings = await server.db.query('SELECT 1 FROM rating WHERE user_id = $1', [other]);
      expect(ratings.rowCount).toBe(0);
    });
  });

  it('searches anime by name, case-insensitively, a page at a time', async () => {
    const page = async (after: string | null) =>
      (
        await graphql(
          server.url,
          'query($after: String) { animes(search: "gintama", types: [TV], first: 2, after: $after) { nodes { name type } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }',
          { after },
        )
      ).data!.animes as Connection<{ name: string; type: string }>;
    const one = await page(null);
    const two = await page(one.pageInfo.endCursor);
    expect(one.nodes).toHaveLength(2);
    expect(one.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    for (const item of [...one.nodes, ...two.nodes]) {
      expect(item.name.toLowerCase()).toContain('gintama');
      expect(item.type).toBe('TV');
    }
    expect(two.nodes.map((i) => i.name)).not.toEqual(one.nodes.map((i) => i.name));
    expect(two.pageInfo.hasPreviousPage).toBe(true);
    // Every page counts the whole search: its pages hold exactly that many.
    let seen = one.nodes.length + two.nodes.length;
    for (let after = two.pageInfo; after.hasNextPage; ) {
      const next = await page(after.endCursor);
      seen += next.nodes.length;
      after = next.pageInfo;
    }
    expect([one.totalCount, two.totalCount]).toEqual([seen, seen]);
    expect(codeOf(await graphql(server.url, '{ animes(after: "nonsense") { totalCount } }'))).toBe('BAD_USER_INPUT');
  });

  it('lists the genres, types and model kinds, refuses an unknown genre naming the valid ones, and an unknown type by validation', async () => {
    const { genres, animeTypes, modelKinds } = (await graphql(server.url, '{ genres animeTypes modelKinds }')).data!;
    expect(genres).toEqual(expect.arrayContaining(['Action', 'Comedy', 'Sci-Fi']));
    expect(animeTypes).toEqual(['TV', 'MOVIE', 'OVA', 'ONA', 'SPECIAL', 'MUSIC']);
    expect(modelKinds).toEqual(MODEL_KINDS.map((kind) => kind.toUpperCase().replace(/-/g, '_')));
    const lowercase = await graphql(server.url, '{ animes(types: [tv]) { nodes { id } } }');
    expect(codeOf(lowercase)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(lowercase.errors![0]!.message).toMatch(/Value "tv" does not exist in "AnimeType" enum\. Did you mean the enum value "TV"\?/);
    expect(codeOf(await graphql(server.url, '{ animes(types: ["TV"]) { nodes { id } } }'))).toBe('GRAPHQL_VALIDATION_FAILED');
    const typo = await graphql(server.url, '{ similarAnime(animeId: 5114, filter: { genres: ["Actoin"] }) { similarity } }');
    expect(codeOf(typo)).toBe('BAD_USER_INPUT');
    expect(typo.errors![0]!.message).toMatch(/^unknown genre "Actoin": the genres are .*Action, /);
    const film = await graphql(server.url, 'query ($f: AnimeFilter) { recommendations(userId: 1, filter: $f) { predictedRating } }', { f: { types: ['Film'] } });
    expect(codeOf(film)).toBe('BAD_USER_INPUT');
    expect(film.errors![0]!.message).toMatch(/"Film" does not exist in "AnimeType" enum/);
  });

  it.each([
    // The shipped catalog has "Ichigo 100%", "Maji Love 2000%" and "Yes! BanG_Dream!".
    ['%', true],
    ['100%', true],
    ['_', true],
    ['Steins_Gate', false],
  ])('searches %s literally, not as a LIKE wildcard', async (search, found) => {
    const items = (await graphql(server.url, 'query($s: String) { animes(search: $s, first: 100) { nodes { name } } }', { s: search })).data!.animes.nodes as { name: string }[];
    expect(items.length > 0).toBe(found);
    for (const { name } of items) expect(name.toLowerCase()).toContain(search.toLowerCase());
  });

  it('hands out embeddings, similarities and batch predictions', async () => {
    const model = await loadModelVersion(server.db, report.modelVersionId);
    const [a, b] = [model.itemIds[0]!, model.itemIds[1]!];
    const user = model.userIds[0]!;
    const response = await graphql(
      server.url,
      `{ a: anime(id: ${a}) { embedding } similarity(animeA: ${a}, animeB: ${b}) user(id: ${user}) { embedding }
         predictRatings(pairs: [{ userId: ${user}, animeId: ${a} }, { userId: ${user}, animeId: ${b} }]) }`,
    );
    expect(response.errors).toBeUndefined();
    const dim = model.hyper.embeddingDim;
    expect(response.data!.a.embedding).toEqual(Array.from(model.itemEmbeddings.subarray(0, dim)));
    expect(response.data!.user.embedding).toEqual(Array.from(model.userEmbeddings.subarray(0, dim)));
    const va = model.itemEmbeddings.subarray(0, dim);
    const vb = model.itemEmbeddings.subarray(dim, 2 * dim);
    const cosine = va.reduce((s, x, j) => s + x * vb[j]!, 0) / (Math.hypot(...va) * Math.hypot(...vb));
    expect(response.data!.similarity).toBeCloseTo(cosine, 5);
    const expected = predictRows(model, Int32Array.of(0, 0), Int32Array.of(0, 1));
    expect(response.data!.predictRatings[0]).toBeCloseTo(expected[0]!, 5);
    expect(response.data!.predictRatings[1]).toBeCloseTo(expected[1]!, 5);
  });

  it('lets only the admin activate models and start training, with progress in trainingRuns', async () => {
    const activate = `mutation { activateModel(input: { id: ${report.modelVersionId} }) { modelVersion { id isActive } } }`;
    expect(codeOf(await graphql(server.url, activate))).toBe('UNAUTHENTICATED');
    const user = (await graphql(server.url, 'mutation { createUser(input: { name: "Eve" }) { token } }')).data!.createUser.token as string;
    expect(codeOf(await graphql(server.url, activate, undefined, user))).toBe('FORBIDDEN');
    expect((await graphql(server.url, activate, undefined, ADMIN)).data).toEqual({ activateModel: { modelVersion: { id: report.modelVersionId, isActive: true } } });
    const missing = await graphql(server.url, 'mutation { activateModel(input: { id: 999999 }) { modelVersion { id } } }', undefined, ADMIN);
    expect(codeOf(missing)).toBe('NOT_FOUND');
    expect(missing.errors![0]!.message).toBe('cannot activate model version 999999: it does not exist');

    const start = 'mutation { startTraining(input: { kind: MF, params: { epochs: 1, embeddingDim: 8 }, map: NONE }) { trainingRun { id status } } }';
    expect(codeOf(await graphql(server.url, start, undefined, user))).toBe('FORBIDDEN');
    expect(codeOf(await graphql(server.url, 'mutation { startTraining(input: { kind: SVD }) { trainingRun { id } } }', undefined, ADMIN))).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(codeOf(await graphql(server.url, 'mutation ($k: ModelKind!) { startTraining(input: { kind: $k }) { trainingRun { id } } }', { k: 'mf' }, ADMIN))).toBe('BAD_USER_INPUT');
    const badParams = await graphql(server.url, 'mutation { startTraining(input: { kind: MF, params: { epochs: 0 } }) { trainingRun { id } } }', undefined, ADMIN);
    expect(codeOf(badParams)).toBe('BAD_USER_INPUT');
    expect(badParams.errors![0]!.message).toMatch(/^input\.params\.epochs: /);
    const classifierLoss = await graphql(server.url, 'mutation { startTraining(input: { kind: HYBRID_CLASSIFIER, params: { loss: "mse" } }) { trainingRun { id } } }', undefined, ADMIN);
    expect(codeOf(classifierLoss)).toBe('BAD_USER_INPUT');
    expect(classifierLoss.errors![0]!.message).toBe('hybrid-classifier always trains with cross-entropy: loss cannot be set');
    const started = await graphql(server.url, start, undefined, ADMIN);
    expect(started.data!.startTraining.trainingRun.status).toBe('RUNNING');
    let run: { id: number; name: string; origin: string; status: string; modelVersionId: number | null; error: string | null } | undefined;
    for (let wait = 0; wait < 120; wait++) {
      run = (await graphql(server.url, '{ trainingRuns(first: 1) { nodes { id name origin status modelVersionId error } } }')).data!.trainingRuns.nodes[0];
      if (run!.status !== 'RUNNING') break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(run).toMatchObject({ id: started.data!.startTraining.trainingRun.id, name: 'TRAIN', origin: 'API', status: 'SUCCEEDED', error: null });
    expect(run!.modelVersionId).toBeGreaterThan(report.modelVersionId);
  });
});
