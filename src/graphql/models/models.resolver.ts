import { Ctx, Query, Resolver } from 'type-graphql';
import { activeModelVersion, listModelVersions } from '../../versions/summaries';
import type { GraphQLContext } from '../context';
import { ModelVersionType } from './model-version.type';

@Resolver()
export class ModelsResolver {
  @Query(() => [ModelVersionType], { nullable: true, description: 'Every ready model version, newest first.' })
  models(@Ctx() { db }: GraphQLContext): Promise<ModelVersionType[]> {
    return listModelVersions(db);
  }

  @Query(() => ModelVersionType, { nullable: true, description: 'The version the API serves; null before any training.' })
  activeModel(@Ctx() { db }: GraphQLContext): Promise<ModelVersionType | null> {
    return activeModelVersion(db);
  }
}
