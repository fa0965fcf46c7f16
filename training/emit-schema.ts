/** npm run schema: writes schema.graphql from the type-graphql classes (commit the result). */
import 'reflect-metadata';
import { buildGraphQLSchema, SCHEMA_FILE } from '../src/graphql/schema';
import { runCommand } from './cli';

runCommand('schema', 'npm run schema', async () => {
  await buildGraphQLSchema({ emitSchemaFile: SCHEMA_FILE });
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
});
