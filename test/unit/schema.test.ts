/** schema.graphql is the printed form of the type-graphql classes; a stale copy fails here. */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { isInputObjectType, isInterfaceType, isIntrospectionType, isObjectType, isSpecifiedScalarType, type GraphQLSchema } from 'graphql';
import { buildGraphQLSchema, SCHEMA_FILE } from '../../src/graphql/schema';
import { tempDir } from '../helpers/data-slices';

it('schema.graphql matches the code (run `npm run schema` after changing the API)', async () => {
  const dir = tempDir();
  try {
    const emitted = `${dir.path}/schema.graphql`;
    await buildGraphQLSchema({ emitSchemaFile: emitted });
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(readFileSync(emitted, 'utf8'));
  } finally {
    dir.remove();
  }
});

/** Every type, field and argument of the schema, as `Type`, `Type.field` and `Type.field(argument)`, with its description. */
function describedElements(schema: GraphQLSchema): [string, string | null | undefined][] {
  const elements: [string, string | null | undefined][] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    elements.push([type.name, type.description]);
    if (!isObjectType(type) && !isInterfaceType(type) && !isInputObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      elements.push([`${type.name}.${field.name}`, field.description]);
      for (const argument of 'args' in field ? field.args : []) elements.push([`${type.name}.${field.name}(${argument.name})`, argument.description]);
    }
  }
  return elements;
}

describe('schema conventions', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildGraphQLSchema();
  });

  it('describes every type, field and argument', () => {
    const elements = describedElements(schema);
    expect(elements.length).toBeGreaterThan(150);
    expect(elements.filter(([, description]) => !description?.trim()).map(([name]) => name)).toEqual([]);
  });

  it('states the bounds of every k and first', () => {
    const sized = describedElements(schema).filter(([name]) => /\((k|first)\)$/.test(name));
    expect(sized.length).toBeGreaterThan(4);
    for (const [name, description] of sized) expect(`${name}: ${description}`).toMatch(/1-100/);
  });

  it('makes every root field nullable, so one failing field does not null the others', () => {
    const roots = [schema.getQueryType()!, schema.getMutationType()!].flatMap((type) => Object.values(type.getFields()).map((field) => [`${type.name}.${field.name}`, String(field.type)]));
    expect(roots.filter(([, type]) => type!.endsWith('!')).map(([name]) => name)).toEqual([]);
  });
});
