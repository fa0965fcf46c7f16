/**
 * Root fields and long lists complete in event-loop turns, so other work (a timer here; /healthz
 * and other requests in the server) gets the thread between them, not after all of them.
 */
import { buildSchema, graphql, graphqlSync } from 'graphql';
import { listInTurns, nextTurn, resolveRootFieldsInTurns } from '../../src/graphql/field-turns';

/** Holds the thread for `ms` (what a field completed from memory or PGlite does). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** Sets a 1 ms timer that writes 'timer' into `order`: set in the first turn, due during its busy work. */
const timerInto = (order: string[]) => setTimeout(() => order.push('timer'), 1);

it('gives each turn its own pass of the event loop: a timer due meanwhile fires between them', async () => {
  const order: string[] = [];
  await Promise.all(Array.from({ length: 10 }, async (_, i) => {
    await nextTurn();
    if (i === 0) timerInto(order);
    busy(5);
    order.push(`turn ${i}`);
  }));
  // In one pass, the timer would wait for all ten.
  expect(order).toEqual(['turn 0', 'timer', ...Array.from({ length: 9 }, (_, i) => `turn ${i + 1}`)]);
});

it('hands a long list back in parts of one turn each, every item in order', async () => {
  const items = Array.from({ length: 2500 }, (_, i) => i);
  const listed = listInTurns(items, 1000);
  expect(listed).toHaveLength(2500);
  const order: string[] = [];
  const settled: number[] = [];
  await Promise.all(listed.map((item) => item.then((value) => {
    if (value === 0) timerInto(order);
    settled.push(value);
    if (value % 1000 === 0) order.push(`part from ${value}`);
    busy(0.01);
  })));
  expect(settled).toEqual(items);
  expect(order).toEqual(['part from 0', 'timer', 'part from 1000', 'part from 2000']);
});

it('runs the root fields of one query in turns, each still answering its own value', async () => {
  const schema = buildSchema('type Query { slow(n: Int!): Int }');
  resolveRootFieldsInTurns(schema.getQueryType()!);
  const order: string[] = [];
  const rootValue = {
    slow: ({ n }: { n: number }) => {
      if (n === 0) timerInto(order);
      busy(5);
      order.push(`field ${n}`);
      return n * 2;
    },
  };
  const query = `{ ${Array.from({ length: 5 }, (_, i) => `a${i}: slow(n: ${i})`).join(' ')} }`;
  const result = await graphql({ schema, source: query, rootValue });
  expect(result).toEqual({ data: Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`a${i}`, i * 2])) });
  expect(order).toEqual(['field 0', 'timer', 'field 1', 'field 2', 'field 3', 'field 4']);
});

it('resolves a lone root field at once: a synchronous answer stays synchronous', () => {
  const schema = buildSchema('type Query { quick(n: Int!): Int }');
  resolveRootFieldsInTurns(schema.getQueryType()!);
  // graphqlSync fails when execution returns a promise.
  expect(graphqlSync({ schema, source: '{ quick(n: 4) }', rootValue: { quick: ({ n }: { n: number }) => n + 1 } })).toEqual({ data: { quick: 5 } });
  // Two root fields take turns: no longer synchronous.
  expect(() => graphqlSync({ schema, source: '{ a: quick(n: 1) b: quick(n: 2) }', rootValue: { quick: ({ n }: { n: number }) => n + 1 } })).toThrow(/failed to complete synchronously/);
});
