/**
 * Hostile input against a real server over HTTP: a corpus of bad requests, each of which must
 * get its proper status and error code, quickly, while the server stays healthy and its data
 * intact. Plus the security settings: tokens (missing, forged, a deleted user's), rate limits
 * per token and per IP, CORS and introspection.
 */
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { AnimeCatalog } from '../../src/recsys/anime-catalog';
import { buildApp } from '../../src/server/app';
import { BAD_TOKENS_PER_IP } from '../../src/server/rate-limit';
import { codeOf, gql, post, type HttpAnswer } from '../helpers/graphql';
import { FIXTURE_SIZE, startFixtureServer, type FixtureServer } from './fixture-server';

/** A bad request must be answered within this long (generous: the machine is shared). */
const QUICK_MS = 2000;
/** Mutations per token and per IP in the test server's window (60 s). */
const TOKEN_LIMIT = 5;
const IP_LIMIT = 100;
/** The test server's query cost budget (the default is 50,000; its catalog is 200 anime). */
const COST_LIMIT = 10_000;

interface Case {
  name: string;
  send(url: string): Promise<HttpAnswer>;
  status: number;
  code: string | undefined;
}

const json = (body: unknown) => JSON.stringify(body);
const query = (text: string, variables?: Record<string, unknown>) => json({ query: text, variables });

function nested(levels: number): string {
  return `{ ${'animes { nodes { '.repeat(levels)}id${' } }'.repeat(levels)} }`;
}

function aliases(count: number, field = '__typename'): string {
  return `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
}

const CORPUS: Case[] = [
  { name: 'deep nesting (40 levels of valid fields)', send: (u) => post(u, query(nested(40))), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'deep nesting (100,000 levels, 1 MB of braces)', send: (u) => post(u, query(`${'{a'.repeat(100_000)}${'}'.repeat(100_000)}`)), status: 400, code: 'GRAPHQL_PARSE_FAILED' },
  { name: '1,000 aliases', send: (u) => post(u, query(aliases(1000))), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: '5,000 aliases (over 15,000 tokens)', send: (u) => post(u, query(aliases(5000))), status: 400, code: 'GRAPHQL_PARSE_FAILED' },
  { name: '50,000 fields (one repeated)', send: (u) => post(u, query(`{ ${'__typename '.repeat(50_000)}}`)), status: 400, code: 'GRAPHQL_PARSE_FAILED' },
  {
    name: 'predictRatings with 30,000 pairs',
    send: (u) => post(u, query('query ($p: [UserAnimePair!]!) { predictRatings(pairs: $p) }', { p: Array.from({ length: 30_000 }, () => ({ userId: 1, animeId: 1 })) })),
    status: 400,
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'animes(genres) with 50,000 genres',
    send: (u) => post(u, query('query ($g: [String!]) { animes(genres: $g) { nodes { id } } }', { g: Array.from({ length: 50_000 }, (_, i) => `g${i}`) })),
    status: 400,
    code: 'BAD_USER_INPUT',
  },
  { name: 'a 250,000-item list of numbers', send: (u) => post(u, `{"query":"{ __typename }","variables":{"x":[${'1,'.repeat(250_000)}1]}}`), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'animes(genres) with 101 genres as a literal', send: (u) => post(u, query(`{ animes(genres: [${Array.from({ length: 101 }, (_, i) => `"g${i}"`).join(',')}]) { nodes { id } } }`)), status: 200, code: 'BAD_USER_INPUT' },
  { name: 'k = 1e9 as a literal', send: (u) => post(u, query('{ similarAnime(animeId: 1, k: 1e9) { similarity } }')), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'k = 1000000000 as a variable', send: (u) => post(u, query('query ($k: Int) { similarAnime(animeId: 1, k: $k) { similarity } }', { k: 1_000_000_000 })), status: 200, code: 'BAD_USER_INPUT' },
  { name: 'k = -1', send: (u) => post(u, query('{ recommendations(userId: 1, k: -1) { predictedRating } }')), status: 200, code: 'BAD_USER_INPUT' },
  { name: 'negative anime id', send: (u) => post(u, query('{ similarAnime(animeId: -5) { similarity } }')), status: 200, code: 'NOT_FOUND' },
  { name: 'anime id beyond 32 bits (literal)', send: (u) => post(u, query('{ anime(id: 99999999999) { id } }')), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'anime id beyond 32 bits (variable)', send: (u) => post(u, query('query ($id: Int!) { anime(id: $id) { id } }', { id: 2 ** 40 })), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'user id 2^31-1 that does not exist', send: (u) => post(u, query('{ recommendations(userId: 2147483647) { predictedRating } }')), status: 200, code: 'NOT_FOUND' },
  { name: 'NaN as an Int (string variable)', send: (u) => post(u, query('query ($k: Int) { similarAnime(animeId: 1, k: $k) { similarity } }', { k: 'NaN' })), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'Infinity as an Int (1e999 in JSON)', send: (u) => post(u, '{"query":"query ($k: Int) { similarAnime(animeId: 1, k: $k) { similarity } }","variables":{"k":1e999}}'), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'bare NaN in the JSON body', send: (u) => post(u, '{"query":"query ($k: Int) { similarAnime(animeId: 1, k: $k) { similarity } }","variables":{"k":NaN}}'), status: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' },
  { name: 'NUL byte in a search string', send: (u) => post(u, query('query ($s: String) { animes(search: $s) { nodes { id } } }', { s: 'Naru\u0000to' })), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'NUL byte in a user name (literal escape)', send: (u) => post(u, query('mutation { createUser(input: { name: "a\\u0000b" }) { token } }')), status: 400, code: 'BAD_USER_INPUT' },
  { name: 'invalid JSON', send: (u) => post(u, '{"query": "{ __typename }"'), status: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' },
  { name: 'invalid UTF-8 in the body', send: (u) => post(u, Buffer.concat([Buffer.from('{"query":"{ anime(id: 1) { name } }","x":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')])), status: 400, code: 'INVALID_UTF8' },
  { name: 'a 10 MB body', send: (u) => post(u, json({ query: '{ __typename }', padding: 'x'.repeat(10 * 2 ** 20) })), status: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' },
  { name: 'an empty body', send: (u) => post(u, ''), status: 400, code: 'FST_ERR_CTP_EMPTY_JSON_BODY' },
  { name: 'a JSON array of 1,000 operations (batching is off)', send: (u) => post(u, json(Array.from({ length: 1000 }, () => ({ query: '{ __typename }' })))), status: 400, code: 'BAD_REQUEST' },
  { name: 'no query', send: (u) => post(u, json({ variables: {} })), status: 400, code: 'BAD_REQUEST' },
  { name: 'a text/plain POST (CSRF shape)', send: (u) => post(u, json({ query: 'mutation { createUser(input: { name: "csrf" }) { token } }' }), { 'content-type': 'text/plain' }), status: 400, code: 'BAD_REQUEST' },
  { name: 'rateAnime without a token', send: (u) => post(u, query('mutation { rateAnime(input: { animeId: 1, rating: 5 }) { rating { rating } } }')), status: 200, code: 'UNAUTHENTICATED' },
  {
    name: 'rateAnime with a forged token of a real user',
    send: (u) => post(u, query('mutation { rateAnime(input: { animeId: 1, rating: 5 }) { rating { rating } } }'), { authorization: `Bearer 1.${'A'.repeat(43)}` }),
    status: 200,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'rateAnime with a malformed token (SQL in it)',
    send: (u) => post(u, query('mutation { rateAnime(input: { animeId: 1, rating: 5 }) { rating { rating } } }'), { authorization: "Bearer 1' OR '1'='1" }),
    status: 200,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'a 10 KB token',
    send: (u) => post(u, query('mutation { rateAnime(input: { animeId: 1, rating: 5 }) { rating { rating } } }'), { authorization: `Bearer 1.${'9'.repeat(10_000)}` }),
    status: 200,
    code: 'UNAUTHENTICATED',
  },
  {
    name: `a valid token after 100 forged tokens of its user from the same address (${BAD_TOKENS_PER_IP} allowed), on a server that never verified it`,
    send: async (u) => {
      const created = await gql(u, 'mutation { createUser(input: { name: "targeted" }) { user { id } token } }');
      const { user, token } = created.body.data.createUser;
      for (let n = 0; n < 100; n++) await post(u, query('{ me { id } }'), { authorization: `Bearer ${user.id}.${String(n).padStart(43, 'F')}` });
      return post(u, query('{ me { id } }'), { authorization: `Bearer ${token}` });
    },
    status: 200,
    code: undefined,
  },
  // Cost limits (the test server's budget is COST_LIMIT; a map of its 200 items costs 410).
  {
    name: "30 aliases of embeddingMap with their anime (issue 15's 42.5 MB reproducer)",
    send: (u) => post(u, query(aliases(30, 'embeddingMap { x y anime { name genres } }'))),
    status: 400,
    code: 'QUERY_TOO_COSTLY',
  },
  { name: '10 aliases of recommendations(k: 100)', send: (u) => post(u, query(aliases(10, 'recommendations(userId: 1, k: 100) { anime { name } }'))), status: 400, code: 'QUERY_TOO_COSTLY' },
  {
    name: 'k = 100 through a variable, 30 times',
    send: (u) => post(u, query(`query ($k: Int) { ${Array.from({ length: 30 }, (_, i) => `a${i}: similarAnime(animeId: 1, k: $k) { anime { name embedding } }`).join(' ')} }`, { k: 100 })),
    status: 400,
    code: 'QUERY_TOO_COSTLY',
  },
  // Tokens and the account mutations.
  { name: 'a forged token with the lowercase bearer scheme', send: (u) => post(u, query('{ me { id } }'), { authorization: `bearer 1.${'A'.repeat(43)}` }), status: 200, code: 'UNAUTHENTICATED' },
  { name: 'deleteMe without a token', send: (u) => post(u, query('mutation { deleteMe { ratings } }')), status: 200, code: 'UNAUTHENTICATED' },
  { name: 'rotateToken without a token', send: (u) => post(u, query('mutation { rotateToken { token } }')), status: 200, code: 'UNAUTHENTICATED' },
  { name: "revokeToken of another user without a token", send: (u) => post(u, query('mutation { revokeToken(input: { userId: 1 }) { revoked } }')), status: 200, code: 'UNAUTHENTICATED' },
  // Protocol faults are the client's, with their own codes.
  { name: 'a persisted query whose hash does not match', send: (u) => post(u, json({ query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } })), status: 400, code: 'PERSISTED_QUERY_HASH_MISMATCH' },
  { name: 'a persisted query of version 2', send: (u) => post(u, json({ query: '{ __typename }', extensions: { persistedQuery: { version: 2, sha256Hash: '0'.repeat(64) } } })), status: 400, code: 'PERSISTED_QUERY_VERSION_NOT_SUPPORTED' },
  { name: 'a subscription', send: (u) => post(u, query('subscription { anime(id: 1) { id } }')), status: 400, code: 'OPERATION_NOT_SUPPORTED' },
  { name: 'genres that the catalog does not use', send: (u) => post(u, query('{ animes(genres: ["Nope"]) { nodes { id } } }')), status: 200, code: 'BAD_USER_INPUT' },
  { name: 'a type in the wrong case', send: (u) => post(u, query('{ similarAnime(animeId: 1, filter: { types: [tv] }) { similarity } }')), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'a type outside the enum through a variable', send: (u) => post(u, query('query ($f: AnimeFilter) { similarAnime(animeId: 1, filter: $f) { similarity } }', { f: { types: ['Film'] } })), status: 400, code: 'BAD_USER_INPUT' },
  // Node's HTTP parser refuses headers over 16 KB before any of our code runs.
  { name: 'a 100 KB authorization header', send: (u) => post(u, query('{ __typename }'), { authorization: `Bearer ${'9'.repeat(100_000)}` }), status: 431, code: undefined },
];

describe('hostile input', () => {
  let fixture: FixtureServer;
  beforeAll(async () => {
    fixture = await startFixtureServer({ QUERY_COST_LIMIT: String(COST_LIMIT), RATE_LIMIT_MUTATIONS_PER_TOKEN: String(TOKEN_LIMIT), RATE_LIMIT_MUTATIONS_PER_IP: String(IP_LIMIT), RATE_LIMIT_WINDOW_S: '60' });
  }, 120_000);
  afterAll(() => fixture?.close());

  it.each(CORPUS.map((c) => [c.name, c] as const))('%s: the proper error, quickly', async (_name, c) => {
    const answer = await c.send(fixture.url);
    expect({ status: answer.status, code: codeOf(answer) }).toEqual({ status: c.status, code: c.code });
    expect(answer.ms).toBeLessThan(QUICK_MS);
    // Never an internal error, never a stack trace or SQL leaking out.
    expect(JSON.stringify(answer.body)).not.toMatch(/INTERNAL_SERVER_ERROR|stacktrace|syntax error at or near|SELECT |validationErrors/);
  });

  it.each([
    ['k = 1000000000', 'query ($k: Int) { similarAnime(animeId: 7, k: $k, model: 123456) { similarity } }', { k: 1_000_000_000 }, 'k must be an integer from 1 to 100, got 1000000000', ['k']],
    ['first = 0', '{ animes(first: 0, search: "secret words") { nodes { id } } }', {}, 'first must be an integer from 1 to 100, got 0', ['first']],
    ['a negative minMembers', '{ similarAnime(animeId: 7, filter: { minMembers: -3 }) { similarity } }', {}, 'filter.minMembers must be an integer of at least 0, got -3', ['filter.minMembers']],
    ['a 101-character user name', 'mutation ($n: String!) { createUser(input: { name: $n }) { token } }', { n: 'x'.repeat(101) }, 'input.name must be shorter than or equal to 100 characters', ['input.name']],
  ])('argument validation (%s) names the argument and its range, and echoes no other argument', async (_case, text, variables, message, names) => {
    const answer = await gql(fixture.url, text, variables);
    expect(answer.body.errors[0]).toMatchObject({ message, extensions: { code: 'BAD_USER_INPUT', arguments: names } });
    expect(JSON.stringify(answer.body)).not.toMatch(/123456|secret words|animeId/);
  });

  it('SQL metacharacters are data: searched for, stored and returned literally', async () => {
    const evil = `Robert'); DROP TABLE anime; -- \\ " $1 %_`;
    const search = await gql(fixture.url, 'query ($s: String) { animes(search: $s) { nodes { id } } }', { s: evil });
    expect(search.status).toBe(200);
    expect(search.body.data.animes.nodes).toEqual([]);
    const created = await gql(fixture.url, 'mutation ($n: String!) { createUser(input: { name: $n }) { user { id name } token } }', { n: evil });
    expect(created.body.data.createUser.user.name).toBe(evil);
    const me = await gql(fixture.url, '{ me { name } }', undefined, created.body.data.createUser.token);
    expect(me.body.data.me.name).toBe(evil);
    const anime = await gql(fixture.url, '{ catalogStats { anime } }');
    expect(anime.body.data.catalogStats.anime).toBe(FIXTURE_SIZE.items);
  });

  it("a deleted user's token is refused at once, though it was just accepted", async () => {
    const created = await gql(fixture.url, 'mutation { createUser(input: { name: "leaving" }) { user { id } token } }');
    const { user, token } = created.body.data.createUser;
    const rate = 'mutation { rateAnime(input: { animeId: 3, rating: 7 }) { rating { rating } } }';
    expect((await gql(fixture.url, rate, undefined, token)).body.data.rateAnime.rating.rating).toBe(7);
    await fixture.server.db.query('DELETE FROM app_user WHERE id = $1', [user.id]);
    const after = await gql(fixture.url, rate, undefined, token);
    expect(codeOf(after)).toBe('UNAUTHENTICATED');
    expect(codeOf(await gql(fixture.url, '{ me { id } }', undefined, token))).toBe('UNAUTHENTICATED');
  });

  it('stays healthy: /healthz and a normal query still answer after the corpus', async () => {
    const health = await fetch(`${fixture.url}/healthz`);
    expect(health.status).toBe(200);
    const answer = await gql(fixture.url, '{ similarAnime(animeId: 1, k: 3) { anime { id } } }');
    expect(answer.status).toBe(200);
    expect(answer.body.data.similarAnime).toHaveLength(3);
  });

  // The rate limits come last: they use up this address's budget.
  it(`rate limit per token: mutation ${TOKEN_LIMIT + 1} in the window gets RATE_LIMITED (429, Retry-After) and does not happen; queries are not limited`, async () => {
    const token = (await gql(fixture.url, 'mutation { createUser(input: { name: "eager" }) { token } }')).body.data.createUser.token;
    const rate = (rating: number) => gql(fixture.url, `mutation { rateAnime(input: { animeId: 5, rating: ${rating} }) { rating { rating } } }`, undefined, token);
    for (let i = 1; i <= TOKEN_LIMIT; i++) expect((await rate(i)).body.data.rateAnime.rating.rating).toBe(i);
    const limited = await rate(TOKEN_LIMIT + 1);
    expect(limited.status).toBe(429);
    expect(codeOf(limited)).toBe('RATE_LIMITED');
    expect(limited.body.errors[0].extensions).toMatchObject({ retryable: true, retryAfterSeconds: expect.any(Number) });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const mine = await gql(fixture.url, '{ me { ratings { nodes { animeId rating } } } }', undefined, token);
    expect(mine.body.data.me.ratings.nodes).toEqual([{ animeId: 5, rating: TOKEN_LIMIT }]);
    for (let i = 0; i < 20; i++) expect((await gql(fixture.url, '{ anime(id: 5) { id } }', undefined, token)).status).toBe(200);
  });

  it('rate limit per IP: a request of 30 aliased mutations costs 30; floods from one address stop with RATE_LIMITED', async () => {
    const many = `mutation { ${Array.from({ length: 30 }, (_, i) => `d${i}: deleteRating(input: { animeId: ${i + 1} }) { deleted }`).join(' ')} }`;
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < Math.ceil(IP_LIMIT / 30) + 1 && codes.at(-1) !== 'RATE_LIMITED'; i++) {
      const answer = await post(fixture.url, JSON.stringify({ query: many }));
      codes.push(codeOf(answer));
      if (codeOf(answer) === 'RATE_LIMITED') expect(answer.status).toBe(429);
    }
    expect(codes.at(-1)).toBe('RATE_LIMITED');
    expect(codes.slice(0, -1).every((code) => code === 'UNAUTHENTICATED')).toBe(true);
    // Queries from the same address still pass.
    expect((await gql(fixture.url, '{ anime(id: 1) { id } }')).body.data.anime.id).toBe(1);
  });

  it(`forged-token floods: after ${BAD_TOKENS_PER_IP} failed verifications an address gets RATE_LIMITED, without hashing`, async () => {
    const forged = `Bearer 2.${'B'.repeat(43)}`;
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < BAD_TOKENS_PER_IP + 1 && codes.at(-1) !== 'RATE_LIMITED'; i++) {
      codes.push(codeOf(await post(fixture.url, JSON.stringify({ query: '{ me { id } }' }), { authorization: forged })));
    }
    expect(codes.at(-1)).toBe('RATE_LIMITED');
    expect(codes.slice(0, -1).every((code) => code === 'UNAUTHENTICATED')).toBe(true);
    const limited = await post(fixture.url, JSON.stringify({ query: '{ me { id } }' }), { authorization: forged });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Without a token the address is still served.
    expect((await gql(fixture.url, '{ anime(id: 2) { id } }')).body.data.anime.id).toBe(2);
  });

  /** Another app over the fixture's database and model cache, built from `env` alone; returns its URL. */
  function useAppWith(env: Record<string, string>): () => string {
    let app: FastifyInstance | undefined;
    let url = '';
    beforeAll(async () => {
      const { db, models, jobs } = fixture.server;
      const logger = createLogger('silent');
      const catalog = new AnimeCatalog(db, logger);
      await catalog.load();
      app = await buildApp({ config: loadConfig(env), db, models, logger, jobs, catalog });
      url = await app.listen({ host: '127.0.0.1', port: 0 });
    });
    afterAll(() => app?.close());
    return () => url;
  }

  describe('with the default settings (the same database, another app)', () => {
    const appUrl = useAppWith({});

    it.each([
      ['UNAUTHENTICATED (a forged token)', '{ me { id } }', { authorization: `Bearer 3.${'C'.repeat(43)}` }, 'UNAUTHENTICATED'],
      ['UNAUTHENTICATED (no token)', 'mutation { deleteMe { ratings } }', {}, 'UNAUTHENTICATED'],
      ['a validation error', '{ anime(id: "x") { id } }', {}, 'GRAPHQL_VALIDATION_FAILED'],
      ['a parse error', '{ anime(id: ', {}, 'GRAPHQL_PARSE_FAILED'],
      ['NOT_FOUND', '{ similarAnime(animeId: -5) { similarity } }', {}, 'NOT_FOUND'],
      ['BAD_USER_INPUT', '{ similarAnime(animeId: 1, k: 0) { similarity } }', {}, 'BAD_USER_INPUT'],
    ])('%s carries no stack trace and no file path', async (_case, text, headers, code) => {
      const answer = await post(appUrl(), JSON.stringify({ query: text }), headers);
      expect(codeOf(answer)).toBe(code);
      expect(JSON.stringify(answer.body)).not.toMatch(/stacktrace|node_modules|\/src\/|\.ts:\d|at [A-Za-z.]+ \(/);
    });

    it.each(['/', '/graphiql', '/healthz', '/graphql'])('%s sends the security headers', async (path) => {
      const response = await fetch(`${appUrl()}${path}`, path === '/graphql' ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' } : {});
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    });
  });

  describe('with CORS_ORIGINS and NODE_ENV=production (the same database, another app)', () => {
    const appUrl = useAppWith({ CORS_ORIGINS: 'https://good.example', NODE_ENV: 'production' });

    const preflight = (origin: string) =>
      fetch(`${appUrl()}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });

    it('allows a configured origin and no other; the default server sends no CORS headers', async () => {
      expect((await preflight('https://good.example')).headers.get('access-control-allow-origin')).toBe('https://good.example');
      expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
      const plain = await fetch(`${fixture.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://good.example', 'access-control-request-method': 'POST' } });
      expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('refuses introspection in production by default (the test server allows it)', async () => {
      const introspect = JSON.stringify({ query: '{ __schema { types { name } } }' });
      expect(codeOf(await post(appUrl(), introspect))).toBe('GRAPHQL_VALIDATION_FAILED');
      expect((await post(fixture.url, introspect)).body.data.__schema.types.length).toBeGreaterThan(10);
    });
  });
});
