/** Long-running jobs (ingest, train, tune): what each takes, runs and leaves behind (job-runner.ts runs them). */
import { AppError } from '../errors';
import type { z } from 'zod';
import type { Database } from '../db/database';
import type { Logger } from '../logger';
import type { ProgressSink } from '../progress';
import { ingestJobArgs, runIngestJob } from './ingest-job';
import { runTrainJob, trainJobArgs } from './train-job';
import { runTuneJob, tuneJobArgs } from './tune-job';

export interface JobContext {
  progress: ProgressSink;
  signal?: AbortSignal;
  /** MODEL_VERSIONS_KEPT, for the jobs that publish a model version (train, tune). */
  modelVersionsKept?: number;
  logger?: Logger;
}

/** What a finished job's record keeps of its result. */
export interface JobOutcome {
  /** train, tune: the model version published. */
  modelVersionId: number | null;
  /** One line, e.g. whether the version was activated. */
  detail: string;
}

interface JobDefinition<Args, Result> {
  /** Validates arguments that arrive over the wire. */
  args: z.ZodType<Args>;
  run(db: Database, args: Args, context: JobContext): Promise<Result>;
  outcome(result: Result): JobOutcome;
}

function defineJob<Args, Result>(definition: JobDefinition<Args, Result>): JobDefinition<Args, Result> {
  return definition;
}

export const JOBS = {
  ingest: defineJob({
    args: ingestJobArgs,
    run: runIngestJob,
    outcome: (report) => ({ modelVersionId: null, detail: `${report.anime.read} anime and ${report.ratings.read} ratings read, ${report.ratings.inserted} ratings new` }),
  }),
  train: defineJob({ args: trainJobArgs, run: runTrainJob, outcome: (report) => ({ modelVersionId: report.modelVersionId, detail: report.activation }) }),
  tune: defineJob({ args: tuneJobArgs, run: runTuneJob, outcome: (report) => ({ modelVersionId: report.best.modelVersionId, detail: report.best.activation }) }),
};

export type JobName = keyof typeof JOBS;
export type JobArgs<Name extends JobName> = z.infer<(typeof JOBS)[Name]['args']>;
export type JobResult<Name extends JobName> = Awaited<ReturnType<(typeof JOBS)[Name]['run']>>;

/** The jobs that train and publish a model version: the API's training runs. */
export const TRAINING_JOBS: readonly JobName[] = ['train', 'tune'];

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}

/** Thrown where a job failed; the message is the job's own one-line error. */
export class JobFailedError extends AppError {
  override readonly name = 'JobFailedError';
  readonly code = 'JOB_FAILED';
}

/** Why an aborted job stopped, for its record and its caller. */
export class JobAbortedError extends AppError {
  override readonly name = 'JobAbortedError';
  readonly code = 'JOB_ABORTED';
}
