import { IsIn, IsOptional } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Args, ArgsType, Authorized, Ctx, Field, Float, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { InvalidInputError } from '../../errors';
import { hyperparameterOverrides } from '../../jobs/train-job';
import { PRESETS } from '../../models/hyperparameters';
import { MODEL_KINDS, type ModelKind } from '../../models/kinds';
import { activateModelVersion } from '../../versions/activation';
import { ADMIN } from '../auth-checker';
import type { GraphQLContext } from '../context';
import { ModelVersionType } from '../models/model-version.type';
import { activeModelVersion } from '../../versions/summaries';

@ObjectType('TrainingRun', { description: 'A training run started through the API, with its progress.' })
export class TrainingRunType {
  @Field(() => Int, { description: 'Run id (this server, since start).' })
  id!: number;

  @Field(() => String, { description: 'The model kind trained.' })
  kind!: string;

  @Field(() => String, { description: 'The hyperparameter preset.' })
  preset!: string;

  @Field(() => String, { description: 'running, succeeded or failed.' })
  status!: string;

  @Field(() => String, { description: 'What it is doing now (loading, training, evaluating, publishing, ...).' })
  phase!: string;

  @Field(() => Float, { description: 'Fraction of the current phase done, 0..1.' })
  progress!: number;

  @Field(() => String, { description: 'A line about the current phase.' })
  detail!: string;

  @Field(() => Date, { description: 'When the run started.' })
  startedAt!: Date;

  @Field(() => Date, { description: 'When it ended; null while running.', nullable: true })
  finishedAt!: Date | null;

  @Field(() => Int, { description: 'The model version it published; null until then, or if it failed.', nullable: true })
  modelVersionId!: number | null;

  @Field(() => String, { description: 'Why it failed; null otherwise.', nullable: true })
  error!: string | null;
}

@ArgsType()
class StartTrainingArgs {
  @Field(() => String, { description: `One of ${MODEL_KINDS.join(', ')}.` })
  @IsIn(MODEL_KINDS as unknown as string[])
  kind!: string;

  @Field(() => String, { defaultValue: 'default', description: `One of ${PRESETS.join(', ')}.` })
  @IsIn(PRESETS as unknown as string[])
  preset!: string;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Hyperparameters over the preset, e.g. { "epochs": 5 }.' })
  @IsOptional()
  params?: Record<string, unknown> | null;

  @Field(() => Boolean, { defaultValue: false, description: 'Activate when done even if it is not better.' })
  activate!: boolean;

  @Field(() => String, { defaultValue: 'umap', description: 'The 2-D map: umap, tsne or none.' })
  @IsIn(['umap', 'tsne', 'none'])
  map!: string;
}

@Resolver()
export class TrainingResolver {
  @Query(() => [TrainingRunType], { nullable: true, description: 'Training runs started through this server, newest first.' })
  trainingRuns(@Ctx() { trainingRuns }: GraphQLContext): TrainingRunType[] {
    return trainingRuns.list();
  }

  @Authorized(ADMIN)
  @Mutation(() => TrainingRunType, { nullable: true, description: 'Admin: trains a model in the background (see trainingRuns).' })
  startTraining(@Args(() => StartTrainingArgs) args: StartTrainingArgs, @Ctx() { trainingRuns }: GraphQLContext): TrainingRunType {
    const overrides = hyperparameterOverrides.safeParse(args.params ?? {});
    if (!overrides.success) {
      const issue = overrides.error.issues[0]!;
      throw new InvalidInputError(`params.${issue.path.join('.') || '?'}: ${issue.message}`);
    }
    return trainingRuns.start({
      kind: args.kind as ModelKind,
      preset: args.preset as (typeof PRESETS)[number],
      overrides: overrides.data,
      activate: args.activate ? 'always' : 'if-better',
      map: args.map === 'none' ? null : (args.map as 'umap' | 'tsne'),
    });
  }

  @Authorized(ADMIN)
  @Mutation(() => ModelVersionType, { nullable: true, description: 'Admin: makes a model version the one the API serves.' })
  async activateModel(@Arg('id', () => Int, { description: 'The model version to activate.' }) id: number, @Ctx() { db, models }: GraphQLContext): Promise<ModelVersionType> {
    await activateModelVersion(db, id);
    await models.refresh();
    return (await activeModelVersion(db))!;
  }
}
