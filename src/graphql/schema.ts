/** Builds the GraphQL schema from the type-graphql classes; `schema.graphql` is its printed form. */
import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { projectPath } from '../paths';
import { AnimeResolver } from './anime/anime.resolver';
import { CatalogResolver } from './catalog/catalog.resolver';
import { ModelsResolver } from './models/models.resolver';
import { RecommendResolver } from './recommend/recommend.resolver';
import { RatingResolver, UsersResolver } from './users/users.resolver';
import { ServerInfoResolver } from './server-info/server-info.resolver';
import { authChecker } from './auth-checker';
import { TrainingResolver } from './training/training.resolver';

export const RESOLVERS = [AnimeResolver, CatalogResolver, ModelsResolver, RecommendResolver, UsersResolver, RatingResolver, TrainingResolver, ServerInfoResolver] as const;

/** The committed schema file, written by `npm run schema` and checked by a test. */
export const SCHEMA_FILE = projectPath('schema.graphql');

export function buildGraphQLSchema(options: { emitSchemaFile?: string } = {}): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: RESOLVERS,
    validate: true,
    authChecker,
    emitSchemaFile: options.emitSchemaFile ? { path: options.emitSchemaFile, sortedSchema: true } : false,
  });
}
