import { Args, Ctx, Query, Resolver } from 'type-graphql';
import { activeModelVersion, listModelVersions } from '../../versions/summaries';
import type { GraphQLContext } from '../context';
import { ConnectionArgs, connectionOfNewestFirst, type ConnectionValue } from '../connection';
import { ModelVersionConnection, ModelVersionType } from './model-version.type';
import { MODEL_KINDS, type ModelKind } from '../../models/kinds';
import { ModelKindEnum } from '../training/training-enums';

@Resolver()
export class ModelsResolver {
  @Query(() => ModelVersionConnection, { nullable: true, description: 'The ready model versions, newest first (retention bounds how many are kept).' })
  async models(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() { db }: GraphQLContext): Promise<ConnectionValue<ModelVersionType>> {
    return connectionOfNewestFirst(await listModelVersions(db), args);
  }

  @Query(() => [ModelKindEnum], { nullable: true, description: 'The model kinds startTraining takes; each enum value says how it predicts.' })
  modelKinds(): ModelKind[] {
    return [...MODEL_KINDS];
  }

  @Query(() => ModelVersionType, { nullable: true, description: 'The version the API serves; null before any training.' })
  activeModel(@Ctx() { db }: GraphQLContext): Promise<ModelVersionType | null> {
    return activeModelVersion(db);
  }
}
