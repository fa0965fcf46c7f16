import { IsOptional } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Args, Authorized, Ctx, Field, Float, InputType, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { InvalidInputError, NotFoundError } from '../../errors';
import { TRAINING_JOBS } from '../../jobs/job';
import type { JobRunner } from '../../jobs/job-runner';
import type { JobRunRecord } from '../../jobs/job-runs';
import { trainJobArgs } from '../../jobs/train-job';
import { PRESETS } from '../../models/hyperparameters';
import type { ModelKind } from '../../models/kinds';
import { activateModelVersion } from '../../versions/activation';
import { ADMIN } from '../auth-checker';
import { Connection, ConnectionArgs, connectionByIdNewestFirst, type ConnectionValue } from '../connection';
import { MutationInput, type MutationArgs } from '../mutation-input';
import { JobOriginEnum, MapMethodEnum, ModelKindEnum, PresetEnum, TrainingJobEnum, TrainingStatusEnum, type MapMethod } from './training-enums';
import type { GraphQLContext } from '../context';
import { ModelVersionType } from '../models/model-version.type';
import { activeModelVersion } from '../../versions/summaries';

@ObjectType('TrainingRun', { description: 'A train or tune job, wherever it was started (CLI, API, server start-up), with its progress.' })
export class TrainingRunType {
  @Field(() => Int, { description: 'Run id (a job run of the database, shared by every server and CLI).' })
  id!: number;

  @Field(() => TrainingJobEnum, { description: 'TRAIN or TUNE.' })
  name!: string;

  @Field(() => JobOriginEnum, { description: 'Where it was started.' })
  origin!: string;

  @Field(() => ModelKindEnum, { description: 'The model kind trained.' })
  kind!: string;

  @Field(() => PresetEnum, { description: 'The hyperparameter preset.' })
  preset!: string;

  @Field(() => TrainingStatusEnum, { description: 'Whether it runs, succeeded, failed or was aborted.' })
  status!: string;

  @Field(() => Boolean, { description: 'An abort was asked for (abortTrainingRun); a running run stops within seconds.' })
  abortRequested!: boolean;

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

  @Field(() => String, { description: 'Why it failed or was aborted ("interrupted": its process died); null otherwise.', nullable: true })
  error!: string | null;
}

/** Training runs show their job's kind and preset. */
function trainingRunOf(run: JobRunRecord): TrainingRunType {
  return { ...run, kind: String(run.args.kind), preset: String(run.args.preset) };
}

/** A training run (a train or tune job) `id`, else NotFoundError. */
async function trainingRun(jobs: JobRunner, id: number): Promise<JobRunRecord> {
  const run = await jobs.get(id);
  if (!run || !TRAINING_JOBS.includes(run.name)) throw new NotFoundError(`training run ${id} does not exist`);
  return run;
}

@ObjectType('TrainingRunConnection', { description: 'Training runs, newest first, a page at a time.' })
class TrainingRunConnection extends Connection(TrainingRunType, 'TrainingRun', 'training runs') {}

@InputType('StartTrainingInput', { description: 'Input of startTraining.' })
class StartTrainingInput {
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

@ObjectType('StartTrainingPayload', { description: 'The training run startTraining started.' })
class StartTrainingPayload {
  @Field(() => TrainingRunType, { description: 'The run, running in the background (follow it in trainingRuns).' })
  trainingRun!: TrainingRunType;
}

@InputType('AbortTrainingRunInput', { description: 'Input of abortTrainingRun.' })
class AbortTrainingRunInput {
  @Field(() => Int, { description: 'The training run to abort.' })
  id!: number;
}

@ObjectType('AbortTrainingRunPayload', { description: 'The training run abortTrainingRun asked to stop.' })
class AbortTrainingRunPayload {
  @Field(() => TrainingRunType, { description: 'The run, with abortRequested set (ABORTED within seconds if it was running).' })
  trainingRun!: TrainingRunType;
}

@InputType('ActivateModelInput', { description: 'Input of activateModel.' })
class ActivateModelInput {
  @Field(() => Int, { description: 'The model version to activate.' })
  id!: number;
}

@ObjectType('ActivateModelPayload', { description: 'The model version activateModel made active.' })
class ActivateModelPayload {
  @Field(() => ModelVersionType, { description: 'The version the API serves now.' })
  modelVersion!: ModelVersionType;
}

const StartTrainingArgs = MutationInput(StartTrainingInput, 'What to train, and how.');
const AbortTrainingRunArgs = MutationInput(AbortTrainingRunInput, 'Which run.');
const ActivateModelArgs = MutationInput(ActivateModelInput, 'Which version.');

@Resolver()
export class TrainingResolver {
  @Query(() => TrainingRunConnection, { nullable: true, description: 'The latest 50 training runs (train and tune jobs) on this database, wherever started, newest first.' })
  async trainingRuns(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() { jobs }: GraphQLContext): Promise<ConnectionValue<TrainingRunType>> {
    return connectionByIdNewestFirst(
      args,
      async ({ beforeId, limit }) => (await jobs.list({ names: TRAINING_JOBS, first: limit, beforeId: beforeId ?? undefined })).map(trainingRunOf),
      async () => [...(await jobs.count(TRAINING_JOBS)).values()].reduce((sum, runs) => sum + runs, 0),
    );
  }

  @Authorized(ADMIN)
  @Mutation(() => StartTrainingPayload, { nullable: true, description: 'Admin: trains a model in the background (see trainingRuns).' })
  async startTraining(@Args(() => StartTrainingArgs) { input: args }: MutationArgs<StartTrainingInput>, @Ctx() { jobs }: GraphQLContext): Promise<StartTrainingPayload> {
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
      throw new InvalidInputError(field === 'overrides' ? `input.params.${rest.join('.') || '?'}: ${issue.message}` : issue.message);
    }
    return { trainingRun: trainingRunOf(await jobs.start('train', checked.data, { origin: 'api' })) };
  }

  @Authorized(ADMIN)
  @Mutation(() => AbortTrainingRunPayload, {
    nullable: true,
    description: 'Admin: asks a running training run to stop, wherever it runs (CLI, API, start-up, another server); it shows as ABORTED within seconds.',
  })
  async abortTrainingRun(@Args(() => AbortTrainingRunArgs) { input }: MutationArgs<AbortTrainingRunInput>, @Ctx() { jobs }: GraphQLContext): Promise<AbortTrainingRunPayload> {
    await trainingRun(jobs, input.id);
    return { trainingRun: trainingRunOf(await jobs.abort(input.id)) };
  }

  @Authorized(ADMIN)
  @Mutation(() => ActivateModelPayload, { nullable: true, description: 'Admin: makes a model version the one the API serves.' })
  async activateModel(@Args(() => ActivateModelArgs) { input }: MutationArgs<ActivateModelInput>, @Ctx() { db, models }: GraphQLContext): Promise<ActivateModelPayload> {
    await activateModelVersion(db, input.id);
    await models.refresh();
    return { modelVersion: (await activeModelVersion(db))! };
  }
}
