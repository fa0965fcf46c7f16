/** The query limits let GraphiQL's introspection through and still stop deep queries. */
import 'reflect-metadata';
import { getIntrospectionQuery, Kind, parse, validate, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { buildGraphQLSchema } from '../../src/graphql/schema';
import { DEFAULT_COST_BUDGET, operationCost, queryLimitsRule, servedListSizes } from '../../src/graphql/limits';

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
  /** The demo catalog's served model: about 11,000 items on the map, 64-d embeddings. */
  const DEMO_MAP = 11_000;
  const DEMO_DIM = 64;
  const costOf = (query: string, variables: Record<string, unknown> = {}, served: { items: number; embeddingDim: number } | null = { items: DEMO_MAP, embeddingDim: DEMO_DIM }) => {
    const document = parse(query);
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
    return operationCost(schema, document, operation, variables, { budget: DEFAULT_COST_BUDGET, listSize: servedListSizes(() => served ?? undefined) });
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
    ['the playground map: each point, its anime and its weight', `{ ${MAP} }`, 10 + DEMO_MAP * (1 + 1 + 2)],
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
    // One map per request, even of the shipped catalogue's 7,157 points.
    expect(costOf(aliased(2, MAP), {}, { items: 7157, embeddingDim: DEMO_DIM })).toBeGreaterThan(DEFAULT_COST_BUDGET);
  });

  it("counts each value of an embedding (the served model's dimension); other scalar lists cost nothing extra", () => {
    expect(costOf('{ anime(id: 1) { embedding } }')).toBe(1 + DEMO_DIM);
    expect(costOf('{ anime(id: 1) { embedding } }', {}, { items: DEMO_MAP, embeddingDim: 128 })).toBe(1 + 128);
    expect(costOf('{ user(id: 1) { embedding } }')).toBe(1 + DEMO_DIM);
    expect(costOf('{ similarAnime(animeId: 1, k: 100) { anime { embedding } } }')).toBe(100 + 100 + 100 + 100 * DEMO_DIM);
    expect(costOf('{ anime(id: 1) { genres } }')).toBe(1);
    // No model served: no embedding to answer, nothing to count.
    expect(costOf('{ anime(id: 1) { embedding } }', {}, null)).toBe(1);
  });

  it('puts 30 aliases of 100 similar titles with their embeddings (8.5 MB, 0.58 s of one thread) over the budget', () => {
    const heavy = 'similarAnime(animeId: 1, k: 100) { similarity anime { id name genres members embedding } }';
    expect(costOf(aliased(30, heavy), {}, { items: 7157, embeddingDim: 128 })).toBeGreaterThan(DEFAULT_COST_BUDGET);
    expect(costOf(aliased(3, heavy), {}, { items: 7157, embeddingDim: 128 })).toBeLessThan(DEFAULT_COST_BUDGET);
  });

  it('counts fragments and inline fragments like the fields they stand for', () => {
    const plain = costOf('{ similarAnime(animeId: 1, k: 5) { anime { name } } }');
    expect(costOf('{ similarAnime(animeId: 1, k: 5) { ...s } } fragment s on SimilarAnime { anime { name } }')).toBe(plain);
    expect(costOf('{ similarAnime(animeId: 1, k: 5) { ... on SimilarAnime { anime { name } } } }')).toBe(plain);
  });
});
