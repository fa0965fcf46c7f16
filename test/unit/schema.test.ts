/** schema.graphql is the printed form of the type-graphql classes; a stale copy fails here. */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
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
