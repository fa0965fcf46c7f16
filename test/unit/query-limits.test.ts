/** The query limits let GraphiQL's introspection through and still stop deep queries. */
import 'reflect-metadata';
import { getIntrospectionQuery, Kind, parse, validate, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { buildGraphQLSchema } from '../../src/graphql/schema';
import { DEFAULT_COST_BUDGET, operationCost, queryLimitsRule } from '../../src/graphql/limits';

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildGraphQLSchema();
});

const errorsOf = (query: string) => validate(schema, parse(query), [queryLimitsRule()]).map((e) => e.message);

/** `{ similarAnime { anime { embedding } } }` style nesting through types that allow it. */
function nestedTypeQuery(depth: number): string {
  let inner = 'name';
  for (let level = 0; level < depth; level++) inner = `ofType { ${inner} }`;
  return `{ __type(name: "Anime") { fields { type { ${inner} } } } }`;
}

it.each([
  ['the standard introspection query (GraphiQL)', getIntrospectionQuery()],
  ['with every option GraphiQL may ask for', getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true })],
])('accepts %s', (_name, query) => {
  expect(errorsOf(query)).toEqual([]);
});

it('rejects introspection nested past its own allowance', () => {
  expect(errorsOf(nestedTypeQuery(30))).toEqual(['query is nested deeper than 10 levels']);
  expect(errorsOf(nestedTypeQuery(12))).toEqual([]);
});

/** A selection `depth` fields deep, `root` outermost (the rule runs alone: names need not exist). */
const selection = (depth: number, root = 'a') => {
  let query = 'leaf';
  for (let level = 2; level < depth; level++) query = `f${level} { ${query} }`;
  return `${root} { ${query} }`;
};

it('keeps the ordinary depth limit outside introspection', () => {
  expect(errorsOf(`{ ${selection(10)} }`)).toEqual([]);
  expect(errorsOf(`{ ${selection(11)} }`)).toEqual(['query is nested deeper than 10 levels']);
  // The allowance is for a top-level __schema or __type only.
  expect(errorsOf(`{ ${selection(11, '__schema')} }`)).toEqual([]);
  expect(errorsOf(`{ a { ${selection(10, '__schema')} } }`)).toEqual(['query is nested deeper than 10 levels']);
});

describe('query cost', () => {
  /** The demo catalog's served model: about 11,000 items on the map. */
  const DEMO_MAP = 11_000;
  const costOf = (query: string, variables: Record<string, unknown> = {}) => {
    const document = parse(query);
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
    return operationCost(schema, document, operation, variables, { budget: DEFAULT_COST_BUDGET, listSize: (c) => (c === 'Query.embeddingMap' ? DEMO_MAP : undefined) });
  };
  const aliased = (count: number, field: string) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
  const MAP = 'embeddingMap { x y anime { name genres } }';

  it.each([
    ['one anime', '{ anime(id: 1) { name } }', 1],
    ['k from a literal: 7 similar anime with their anime', '{ similarAnime(animeId: 1, k: 7) { similarity anime { name } } }', 100 + 7 + 7],
    ['the default k (10)', '{ similarAnime(animeId: 1) { anime { name } } }', 100 + 10 + 10],
    ['a page of 50 anime', '{ animes(first: 50) { nodes { name } } }', 20 + 1 + 50],
    ['a page of 50 anime as edges: each edge and its node count', '{ animes(first: 50) { edges { cursor node { name } } pageInfo { endCursor } } }', 20 + 1 + 50 + 50 + 1],
    ['the count of a search', '{ animes(first: 1) { totalCount } }', 20 + 1 + 20],
    ['the default page size (20)', '{ models { nodes { id } } }', 1 + 20],
    ['the playground map', `{ ${MAP} }`, 10 + DEMO_MAP * 2],
    ['ratings under a user: the page size multiplies', '{ user(id: 1) { ratings(first: 30) { nodes { anime { name } } } } }', 1 + 10 + 1 + 30 + 30],
    ['ratings under a user, as edges', '{ user(id: 1) { ratings(first: 30) { edges { node { anime { name } } } } } }', 1 + 10 + 1 + 30 + 30 + 30],
    ['a list no argument bounds counts 100', '{ activeModel { history { epoch } } }', 1 + 100],
  ])('%s', (_name, query, cost) => {
    expect(costOf(query)).toBe(cost);
  });

  it('takes list sizes from variables, and each alias adds its own cost', () => {
    const one = costOf('query ($k: Int) { recommendations(userId: 1, k: $k) { anime { id } } }', { k: 100 });
    expect(one).toBe(1000 + 100 + 100);
    expect(costOf(aliased(3, 'recommendations(userId: 1, k: 100) { anime { id } }'))).toBe(3 * one);
    expect(costOf('query ($p: [UserAnimePair!]!) { predictRatings(pairs: $p) }', { p: Array.from({ length: 1000 }, () => ({ userId: 1, animeId: 1 })) })).toBe(100);
  });

  it("puts the issue's reproducer (30 aliases of the map) far over the budget, one map well under it", () => {
    expect(costOf(aliased(30, MAP))).toBeGreaterThan(10 * DEFAULT_COST_BUDGET);
    expect(costOf(`{ ${MAP} }`)).toBeLessThan(DEFAULT_COST_BUDGET);
  });

  it('counts fragments and inline fragments like the fields they stand for', () => {
    const plain = costOf('{ similarAnime(animeId: 1, k: 5) { anime { name } } }');
    expect(costOf('{ similarAnime(animeId: 1, k: 5) { ...s } } fragment s on SimilarAnime { anime { name } }')).toBe(plain);
    expect(costOf('{ similarAnime(animeId: 1, k: 5) { ... on SimilarAnime { anime { name } } } }')).toBe(plain);
  });
});
