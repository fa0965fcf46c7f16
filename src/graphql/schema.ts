/** Builds the GraphQL schema from the type-graphql classes; `schema.graphql` is its printed form. */
import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, emitSchemaDefinitionFile } from 'type-graphql';
import { projectPath } from '../paths';
import { AnimeResolver } from './anime/anime.resolver';
import { CatalogResolver } from './catalog/catalog.resolver';
import { ModelsResolver } from './models/models.resolver';
import { RecommendResolver } from './recommend/recommend.resolver';
import { RatingResolver, UsersResolver } from './users/users.resolver';
import { ServerInfoResolver } from './server-info/server-info.resolver';
import { authChecker } from './auth-checker';
import { resolveRootFieldsInTurns } from './field-turns';
import { TrainingResolver } from './training/training.resolver';

export const RESOLVERS = [AnimeResolver, CatalogResolver, ModelsResolver, RecommendResolver, UsersResolver, RatingResolver, TrainingResolver, ServerInfoResolver] as const;

/** The committed schema file, written by `npm run schema` and checked by a test. */
export const SCHEMA_FILE = projectPath('schema.graphql');

/** Descriptions of the root types, which type-graphql's decorators cannot give. */
const ROOT_DESCRIPTIONS = {
  query: 'Reads: the catalog, recommendations and predictions, users, model versions and training runs. Root fields are nullable: one that fails is null with its error, the others still answer.',
  mutation: "Writes: users and tokens, the signed-in user's ratings, and (admin) training and activation.",
};

export async function buildGraphQLSchema(options: { emitSchemaFile?: string } = {}): Promise<GraphQLSchema> {
  const schema = await buildSchema({ resolvers: RESOLVERS, validate: true, authChecker });
  schema.getQueryType()!.description = ROOT_DESCRIPTIONS.query;
  schema.getMutationType()!.description = ROOT_DESCRIPTIONS.mutation;
  resolveRootFieldsInTurns(schema.getQueryType()!);
  if (options.emitSchemaFile) await emitSchemaDefinitionFile(options.emitSchemaFile, schema, { sortedSchema: true });
  return schema;
}
