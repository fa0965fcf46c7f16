/**
 * The cost plugin's admission inside a real Apollo server (executeOperation runs the whole
 * request pipeline): a request waits for room, one that waited too long is refused with 503,
 * and room is given back however the request ends.
 */
import 'reflect-metadata';
import { ApolloServer, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { CostAdmission } from '../../src/graphql/admission';
import { queryCostPlugin } from '../../src/graphql/limits';

/** A schema whose one field waits until the test opens its gate. */
const typeDefs = 'type Query { slow: String }';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const errorCode = (response: GraphQLResponse) => (response.body.kind === 'single' ? response.body.singleResult.errors?.[0]?.extensions?.code : undefined);

async function serverWith(admission: CostAdmission, slow: () => Promise<string>, extra: ApolloServerPlugin[] = []) {
  const server = new ApolloServer({ typeDefs, resolvers: { Query: { slow } }, plugins: [queryCostPlugin({ budget: 10, admission }), ...extra] });
  await server.start();
  return server;
}

it('makes a request wait while another holds the room, runs it after, and refuses one that waited too long (503, Retry-After)', async () => {
  // Capacity 1: each request (cost 0, counted as 1) runs alone.
  const first = gate();
  let calls = 0;
  const server = await serverWith(new CostAdmission({ capacity: 1, maxWaitMs: 100 }), async () => {
    calls++;
    if (calls === 1) await first.opened;
    return `call ${calls}`;
  });
  try {
    const running = server.executeOperation({ query: '{ slow }' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const refused = await server.executeOperation({ query: '{ slow }' });
    expect(errorCode(refused)).toBe('SERVICE_UNAVAILABLE');
    expect(refused.http.status).toBe(503);
    expect(refused.http.headers.get('retry-after')).toBe('1');
    expect(calls).toBe(1); // nothing of the refused request ran
    const waiting = server.executeOperation({ query: '{ slow }' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBe(1);
    first.open();
    expect((await running).body).toMatchObject({ singleResult: { data: { slow: 'call 1' } } });
    expect((await waiting).body).toMatchObject({ singleResult: { data: { slow: 'call 2' } } });
  } finally {
    await server.stop();
  }
});

it('gives the room back when the request fails in a resolver or is refused by another plugin while it waited', async () => {
  const admission = new CostAdmission({ capacity: 1, maxWaitMs: 2000 });
  const held = gate();
  const failing = await serverWith(admission, async () => {
    throw new Error('resolver failed');
  });
  // Another plugin refuses the request while the admission still waits (Apollo runs the hooks together).
  const refusing: ApolloServerPlugin = {
    async requestDidStart() {
      return {
        async didResolveOperation() {
          throw new GraphQLError('refused by another plugin', { extensions: { code: 'RATE_LIMITED', http: { status: 429 } } });
        },
      };
    },
  };
  const refusingServer = await serverWith(admission, async () => 'never', [refusing]);
  try {
    expect(errorCode(await failing.executeOperation({ query: '{ slow }' }))).toBe('INTERNAL_SERVER_ERROR');
    const holder = await admission.admit(1);
    // Answered 429 at once, while its admission still waits for the holder's room.
    expect(errorCode(await refusingServer.executeOperation({ query: '{ slow }' }))).toBe('RATE_LIMITED');
    setTimeout(() => {
      holder();
      held.open();
    }, 20);
    await held.opened;
    // The waiter got the room after its answer was sent and gave it back at once: it is free.
    const again = await Promise.race([admission.admit(1), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 500))]);
    expect(again).toBeInstanceOf(Function);
    again!();
  } finally {
    await failing.stop();
    await refusingServer.stop();
  }
});
