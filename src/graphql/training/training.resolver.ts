import { IsOptional } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Args, ArgsType, Authorized, Ctx, Field, Float, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { InvalidInputError } from '../../errors';
import { trainJobArgs } from '../../jobs/train-job';
import { PRESETS } from '../../models/hyperparameters';
import type { ModelKind } from '../../models/kinds';
import { activateModelVersion } from '../../versions/activation';
import { ADMIN } from '../auth-checker';
import { MapMethodEnum, ModelKindEnum, PresetEnum, TrainingStatusEnum, type MapMethod } from './training-enums';
import type { GraphQLContext } from '../context';
import { ModelVersionType } from '../models/model-version.type';
import { Connection, ConnectionArgs, connectionOfNewestFirst, type ConnectionValue } from '../connection';
import { activeModelVersion } from '../../versions/summaries';

@ObjectType('TrainingRun', { description: 'A training run started through the API, with its progress.' })
export class TrainingRunType {
  @Field(() => Int, { description: 'Run id (this server, since start).' })
  id!: number;

  @Field(() => ModelKindEnum, { description: 'The model kind trained.' })
  kind!: string;

  @Field(() => PresetEnum, { description: 'The hyperparameter preset.' })
  preset!: string;

  @Field(() => TrainingStatusEnum, { description: 'Whether it runs, succeeded or failed.' })
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

@ObjectType('TrainingRunConnection', { description: 'Training runs, newest first, a page at a time.' })
class TrainingRunConnection extends Connection(TrainingRunType, 'TrainingRun', 'training runs') {}

@ArgsType()
class StartTrainingArgs {
  @Field(() => ModelKindEnum, { description: 'The model kind to train.' })
  kind!: ModelKind;

  @Field(() => PresetEnum, { defaultValue: 'default', description: 'The hyperparameter preset the params override.' })
  preset!: (typeof PRESETS)[number];

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Hyperparameters over the preset, e.g. { "epochs": 5 }.' })
  // Checked by trainJobArgs in startTraining; the decorator only gives class-validator (validate: true) metadata.
  @IsOptional()
  params?: Record<string, unknown> | null;

  @Field(() => Boolean, { defaultValue: false, description: 'Activate when done even if it is not better.' })
  activate!: boolean;

  @Field(() => MapMethodEnum, { defaultValue: 'umap', description: 'How to make the 2-D map of the item embeddings.' })
  map!: MapMethod;
}

@Resolver()
export class TrainingResolver {
  @Query(() => TrainingRunConnection, { nullable: true, description: 'Training runs started through this server, newest first.' })
  trainingRuns(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() { trainingRuns }: GraphQLContext): ConnectionValue<TrainingRunType> {
    return connectionOfNewestFirst(trainingRuns.list(), args);
  }

  @Authorized(ADMIN)
  @Mutation(() => TrainingRunType, { nullable: true, description: 'Admin: trains a model in the background (see trainingRuns).' })
  startTraining(@Args(() => StartTrainingArgs) args: StartTrainingArgs, @Ctx() { trainingRuns }: GraphQLContext): TrainingRunType {
    // The one schema of training arguments (the CLI's and the job's): params are its overrides.
    const checked = trainJobArgs.safeParse({
      kind: args.kind,
      preset: args.preset,
      overrides: args.params ?? {},
      activate: args.activate ? 'always' : 'if-better',
      map: args.map === 'none' ? null : args.map,
    });
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      const [field, ...rest] = issue.path;
      throw new InvalidInputError(field === 'overrides' ? `params.${rest.join('.') || '?'}: ${issue.message}` : issue.message);
    }
    return trainingRuns.start(checked.data);
  }

  @Authorized(ADMIN)
  @Mutation(() => ModelVersionType, { nullable: true, description: 'Admin: makes a model version the one the API serves.' })
  async activateModel(@Arg('id', () => Int, { description: 'The model version to activate.' }) id: number, @Ctx() { db, models }: GraphQLContext): Promise<ModelVersionType> {
    await activateModelVersion(db, id);
    await models.refresh();
    return (await activeModelVersion(db))!;
  }
}
