/** The query limits let GraphiQL's introspection through and still stop deep queries. */
import 'reflect-metadata';
import { getIntrospectionQuery, parse, validate, type GraphQLSchema } from 'graphql';
import { buildGraphQLSchema } from '../../src/graphql/schema';
import { queryLimitsRule } from '../../src/graphql/limits';

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
