/**
 * Rate limits over HTTP on a real server: the bad-token limiter never refuses a valid token,
 * whatever was forged before, and TRUST_PROXY decides which address the limits count.
 */
import { fingerprintMatches } from '../../src/recsys/tokens';
import { createUser as createUserDirectly } from '../../src/recsys/users';
import { BAD_TOKENS_PER_IP } from '../../src/server/rate-limit';
import { codeOf, gql, post } from '../helpers/graphql';
import { startFixtureServer, type FixtureServer } from '../reliability/fixture-server';

const ADMIN_TOKEN = 'admin-token-for-rate-limit-tests';
const ME = JSON.stringify({ query: '{ me { id } }' });

async function createUser(url: string, name: string, headers: Record<string, string> = {}): Promise<{ id: number; token: string }> {
  const answer = await post(url, JSON.stringify({ query: `mutation { createUser(input: { name: "${name}" }) { user { id } token } }` }), headers);
  return { id: answer.body.data.createUser.user.id, token: answer.body.data.createUser.token };
}

/** A token of `userId`'s form whose secret is wrong. */
const forgedFor = (userId: number, n: number) => `${userId}.${String(n).padStart(4, '0')}${'F'.repeat(40)}`;

describe('bad-token limiter', () => {
  let fixture: FixtureServer;
  beforeAll(async () => {
    fixture = await startFixtureServer({ ADMIN_TOKEN });
  }, 120_000);
  afterAll(() => fixture?.close());

  it(`after ${BAD_TOKENS_PER_IP} forged tokens of a user from one address, that user's recently used token, the admin's and other users' still pass`, async () => {
    const victim = await createUser(fixture.url, 'victim');
    const bystander = await createUser(fixture.url, 'bystander');
    // The victim signs in once: this server now knows the token is valid.
    expect((await post(fixture.url, ME, { authorization: `Bearer ${victim.token}` })).body.data.me.id).toBe(victim.id);
    const codes: (string | undefined)[] = [];
    for (let n = 0; n <= BAD_TOKENS_PER_IP; n++) codes.push(codeOf(await post(fixture.url, ME, { authorization: `Bearer ${forgedFor(victim.id, n)}` })));
    expect(codes.slice(0, BAD_TOKENS_PER_IP).every((code) => code === 'UNAUTHENTICATED')).toBe(true);
    expect(codes.at(-1)).toBe('RATE_LIMITED');
    // Random user ids sprayed from the same address use up only their own budgets.
    for (let n = 0; n <= BAD_TOKENS_PER_IP; n++) await post(fixture.url, ME, { authorization: `Bearer ${forgedFor(100_000 + n, n)}` });
    for (let n = 0; n <= BAD_TOKENS_PER_IP; n++) await post(fixture.url, ME, { authorization: 'Bearer not-even-a-token' });

    const victimAgain = await post(fixture.url, ME, { authorization: `Bearer ${victim.token}` });
    expect(victimAgain.status).toBe(200);
    expect(victimAgain.body.data.me.id).toBe(victim.id);
    const bystanderAnswer = await post(fixture.url, ME, { authorization: `bearer ${bystander.token}` });
    expect(bystanderAnswer.body.data.me.id).toBe(bystander.id);
    const admin = await post(fixture.url, JSON.stringify({ query: '{ trainingRuns { nodes { id } } }' }), { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(admin.status).toBe(200);
    expect(admin.body.errors).toBeUndefined();
    // The forged ones stay refused, without hashing.
    const forged = await post(fixture.url, ME, { authorization: `Bearer ${forgedFor(victim.id, 99)}` });
    expect(forged.status).toBe(429);
  });

  it('a valid token that no server has seen passes after 100 forged tokens of its user from the same address; the forgeries stay refused', async () => {
    // Created beside the server: it has never verified this token.
    const { user, token } = await createUserDirectly(fixture.server.db, 'unseen', 90);
    const codes: (string | undefined)[] = [];
    for (let n = 0; n < 100; n++) codes.push(codeOf(await post(fixture.url, ME, { authorization: `Bearer ${forgedFor(user.id, n)}` })));
    expect(codes.slice(0, BAD_TOKENS_PER_IP).every((code) => code === 'UNAUTHENTICATED')).toBe(true);
    expect(codes.slice(BAD_TOKENS_PER_IP).every((code) => code === 'RATE_LIMITED')).toBe(true);

    const genuine = await post(fixture.url, ME, { authorization: `Bearer ${token}` });
    expect(genuine.status).toBe(200);
    expect(genuine.body.data.me.id).toBe(user.id);
    expect((await post(fixture.url, ME, { authorization: `Bearer ${forgedFor(user.id, 100)}` })).status).toBe(429);
  });

  it('a token stored without a fingerprint gets one the first time it verifies', async () => {
    const { user, token } = await createUserDirectly(fixture.server.db, 'older', 90);
    const secret = token.split('.')[1]!;
    // The stored form before fingerprints: scrypt$<salt>$<hash>.
    await fixture.server.db.query(`UPDATE app_user SET token_hash = split_part(token_hash, '$', 1) || '$' || split_part(token_hash, '$', 2) || '$' || split_part(token_hash, '$', 3) WHERE id = $1`, [user.id]);
    const storedHash = async () => (await fixture.server.db.query<{ token_hash: string }>('SELECT token_hash FROM app_user WHERE id = $1', [user.id])).rows[0]!.token_hash;
    expect(fingerprintMatches(secret, await storedHash())).toBeNull();

    expect((await post(fixture.url, ME, { authorization: `Bearer ${token}` })).body.data.me.id).toBe(user.id);
    expect(fingerprintMatches(secret, await storedHash())).toBe(true);
    expect(fingerprintMatches(`${secret.slice(0, -1)}x`, await storedHash())).toBe(false);
    expect((await post(fixture.url, ME, { authorization: `Bearer ${token}` })).body.data.me.id).toBe(user.id);
  });
});

describe.each([
  { trustProxy: undefined, counted: 'the socket address: X-Forwarded-For is ignored' },
  { trustProxy: '127.0.0.1', counted: 'the forwarded client address' },
])('TRUST_PROXY=$trustProxy', ({ trustProxy, counted }) => {
  let fixture: FixtureServer;
  beforeAll(async () => {
    fixture = await startFixtureServer({ RATE_LIMIT_MUTATIONS_PER_IP: '2', ...(trustProxy === undefined ? {} : { TRUST_PROXY: trustProxy }) });
  }, 120_000);
  afterAll(() => fixture?.close());

  it(`counts per-address limits against ${counted}`, async () => {
    const from = (address: string) => ({ 'x-forwarded-for': address });
    await createUser(fixture.url, 'one', from('203.0.113.1'));
    await createUser(fixture.url, 'two', from('203.0.113.1'));
    const third = await post(fixture.url, JSON.stringify({ query: 'mutation { createUser(input: { name: "three" }) { token } }' }), from('203.0.113.1'));
    expect(codeOf(third)).toBe('RATE_LIMITED');
    const elsewhere = await post(fixture.url, JSON.stringify({ query: 'mutation { createUser(input: { name: "four" }) { token } }' }), from('203.0.113.2'));
    expect(codeOf(elsewhere)).toBe(trustProxy === undefined ? 'RATE_LIMITED' : undefined);
  });
});
