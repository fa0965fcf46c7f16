/**
 * Privacy of user data over real HTTP on both databases: an API user's name, ratings, embedding,
 * recommendations and predictions are readable only by that user and the admin; dataset users
 * (the public sample) by anyone. Tokens expire, rotate and are revoked; deleteMe removes it all.
 */
import { selectBackend } from '../../src/models/backend';
import { runTraining } from '../../src/trainer/run-training';
import { describeEachDriver } from '../helpers/databases';
import { codeOf, graphql, graphqlData, post } from '../helpers/graphql';
import { startSliceServer, type SliceServer } from '../helpers/slice-server';

const ADMIN = 'privacy-admin-token-0123456789abcdef';
/** An anime of the shipped catalog that the slice's users rated (in the trained model). */
const RATED_ANIME = 5114;
const OTHER_ANIME = 1535;

/** Every way to read a user's data; `$id` is the user, `$anime` an anime. */
const USER_DATA_FIELDS: [string, string][] = [
  ['user.name', 'query($id: Int!) { user(id: $id) { name } }'],
  ['user.ratings', 'query($id: Int!) { user(id: $id) { ratings(first: 5) { nodes { animeId rating } } } }'],
  ['user.embedding', 'query($id: Int!) { user(id: $id) { embedding } }'],
  ['user.recommendations', 'query($id: Int!) { user(id: $id) { recommendations(k: 3) { anime { id } } } }'],
  ['user.predictedRating', 'query($id: Int!, $anime: Int!) { user(id: $id) { predictedRating(animeId: $anime) } }'],
  ['recommendations', 'query($id: Int!) { recommendations(userId: $id, k: 3) { anime { id } } }'],
  ['predictRating', 'query($id: Int!, $anime: Int!) { predictRating(userId: $id, animeId: $anime) }'],
  ['predictRatings', 'query($id: Int!, $anime: Int!) { predictRatings(pairs: [{ userId: $id, animeId: $anime }]) }'],
];

type Who = 'anonymous' | 'another user' | 'the user' | 'admin';
const ALLOWED = 'allowed';
const EXPECTED: [Who, string][] = [
  ['anonymous', 'UNAUTHENTICATED'],
  ['another user', 'FORBIDDEN'],
  ['the user', ALLOWED],
  ['admin', ALLOWED],
];

describeEachDriver('user data privacy', (driver) => {
  let slice: SliceServer;
  let url: string;
  const users: Record<'owner' | 'other', { id: number; token: string }> = {} as never;

  const createUser = async (name: string) => {
    const data = await graphqlData(url, 'mutation($n: String!) { createUser(input: { name: $n }) { user { id } token tokenExpiresAt } }', { n: name });
    return { id: data.createUser.user.id as number, token: data.createUser.token as string, expiresAt: data.createUser.tokenExpiresAt as string };
  };
  const tokenOf = (who: Who) => (who === 'admin' ? ADMIN : who === 'the user' ? users.owner.token : who === 'another user' ? users.other.token : undefined);

  beforeAll(async () => {
    await selectBackend('wasm');
    slice = await startSliceServer({ ratingRows: 4000, driver, env: { ADMIN_TOKEN: ADMIN } });
    url = slice.server.url;
    await runTraining(slice.server.db, { kind: 'mf', preset: 'default', overrides: { embeddingDim: 8, epochs: 2 }, activate: 'always', map: null, rankingUsers: 20 });
    await slice.server.models.refresh();
    users.owner = await createUser('owner');
    users.other = await createUser('other');
    // One rating folds an embedding in, so every field has something to show.
    await graphqlData(url, 'mutation($a: Int!) { rateAnime(input: { animeId: $a, rating: 9 }) { rating { rating } } }', { a: RATED_ANIME }, users.owner.token);
  }, 180_000);
  afterAll(() => slice?.close());

  describe.each(USER_DATA_FIELDS)('%s', (_field, query) => {
    it.each(EXPECTED)('of an API user, read by %s: %s', async (who, code) => {
      const response = await graphql(url, query, { id: users.owner.id, anime: OTHER_ANIME }, tokenOf(who));
      expect(codeOf(response) ?? ALLOWED).toBe(code);
      if (code === ALLOWED) expect(JSON.stringify(response.data)).not.toMatch(/null/);
      else expect(JSON.stringify(response)).not.toMatch(/"rating"|embedding":\[/);
    });

    it('of a dataset user (the public sample), read anonymously', async () => {
      const response = await graphql(url, query, { id: 1, anime: OTHER_ANIME });
      expect(response.errors).toBeUndefined();
    });
  });

  it('answers NOT_FOUND for a user that does not exist, whoever asks', async () => {
    for (const who of ['anonymous', 'admin'] as const) {
      expect(codeOf(await graphql(url, '{ recommendations(userId: 99999999) { anime { id } } }', undefined, tokenOf(who)))).toBe('NOT_FOUND');
    }
    expect((await graphql(url, '{ user(id: 99999999) { id } }')).data).toEqual({ user: null });
  });

  it('me is the entry point to the signed-in user\'s ratings, recommendations and predictions', async () => {
    const data = await graphqlData(
      url,
      `{ me { id ratings { nodes { animeId rating } } recommendations(k: 2) { anime { id } because { anime { id } } } predictedRating(animeId: ${OTHER_ANIME}) embedding } }`,
      undefined,
      users.owner.token,
    );
    expect(data.me).toMatchObject({ id: users.owner.id, ratings: { nodes: [{ animeId: RATED_ANIME, rating: 9 }] } });
    expect(data.me.recommendations).toHaveLength(2);
    expect(data.me.recommendations[0].because.anime.id).toBe(RATED_ANIME);
    expect(typeof data.me.predictedRating).toBe('number');
    expect(data.me.embedding).toHaveLength(8);
  });

  it('accepts the Bearer scheme in any case', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const answer = await post(url, JSON.stringify({ query: '{ me { id } }' }), { authorization: `${scheme} ${users.owner.token}` });
      expect(answer.body.data).toEqual({ me: { id: users.owner.id } });
    }
  });

  it('tokens expire: createUser says when, and an expired token is refused as expired', async () => {
    const user = await createUser('short-lived');
    const days = (Date.parse(user.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89);
    expect(days).toBeLessThanOrEqual(90);
    expect((await graphqlData(url, '{ me { id } }', undefined, user.token)).me.id).toBe(user.id);
    await slice.server.db.query("UPDATE app_user SET token_expires_at = now() - interval '1 second' WHERE id = $1", [user.id]);
    const refused = await graphql(url, '{ me { id } }', undefined, user.token);
    expect(codeOf(refused)).toBe('UNAUTHENTICATED');
    expect(refused.errors![0]!.message).toMatch(/expired/);
  });

  it('rotateToken issues a new token and the old one stops working at once', async () => {
    const user = await createUser('rotating');
    await graphqlData(url, '{ me { id } }', undefined, user.token);
    const rotated = (await graphqlData(url, 'mutation { rotateToken { token expiresAt } }', undefined, user.token)).rotateToken;
    expect(rotated.token).not.toBe(user.token);
    expect(codeOf(await graphql(url, '{ me { id } }', undefined, user.token))).toBe('UNAUTHENTICATED');
    expect((await graphqlData(url, '{ me { id } }', undefined, rotated.token)).me.id).toBe(user.id);
  });

  it('revokeToken: the user revokes their own, the admin anyone\'s, another user nobody else\'s', async () => {
    const [mine, theirs] = [await createUser('revoking'), await createUser('revoked by admin')];
    expect(codeOf(await graphql(url, `mutation { revokeToken(input: { userId: ${theirs.id} }) { revoked } }`, undefined, mine.token))).toBe('FORBIDDEN');
    expect(codeOf(await graphql(url, 'mutation { revokeToken { revoked } }'))).toBe('UNAUTHENTICATED');
    expect((await graphqlData(url, 'mutation { revokeToken { userId revoked } }', undefined, mine.token)).revokeToken).toEqual({ userId: mine.id, revoked: true });
    expect(codeOf(await graphql(url, '{ me { id } }', undefined, mine.token))).toBe('UNAUTHENTICATED');
    expect((await graphqlData(url, `mutation { revokeToken(input: { userId: ${theirs.id} }) { revoked } }`, undefined, ADMIN)).revokeToken.revoked).toBe(true);
    expect(codeOf(await graphql(url, '{ me { id } }', undefined, theirs.token))).toBe('UNAUTHENTICATED');
  });

  it('deleteMe removes the ratings, watched rows, embeddings and token in one transaction', async () => {
    const user = await createUser('leaving');
    await graphqlData(url, 'mutation($a: Int!) { rateAnime(input: { animeId: $a, rating: 8 }) { rating { rating } } }', { a: RATED_ANIME }, user.token);
    await slice.server.db.query('INSERT INTO watched (user_id, anime_id) VALUES ($1, $2)', [user.id, OTHER_ANIME]);
    const deleted = (await graphqlData(url, 'mutation { deleteMe { deletedUserId ratings watched embeddings } }', undefined, user.token)).deleteMe;
    expect(deleted).toEqual({ deletedUserId: user.id, ratings: 1, watched: 1, embeddings: 1 });
    for (const table of ['rating', 'watched', 'user_embedding']) {
      expect((await slice.server.db.query(`SELECT 1 FROM ${table} WHERE user_id = $1`, [user.id])).rowCount).toBe(0);
    }
    expect((await slice.server.db.query('SELECT 1 FROM app_user WHERE id = $1', [user.id])).rowCount).toBe(0);
    expect(codeOf(await graphql(url, '{ me { id } }', undefined, user.token))).toBe('UNAUTHENTICATED');
    expect(codeOf(await graphql(url, `{ predictRatings(pairs: [{ userId: ${user.id}, animeId: ${RATED_ANIME} }]) }`, undefined, ADMIN))).toBe('NOT_FOUND');
  });
});
