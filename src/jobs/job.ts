/** Long-running jobs (ingest, train, tune) that a CLI runs itself or in the running server. */
import { AppError } from '../errors';
import type { z } from 'zod';
import type { Database } from '../db/database';
import type { ProgressSink } from '../progress';
import { ingestJobArgs, runIngestJob } from './ingest-job';
import { runTrainJob, trainJobArgs } from './train-job';
import { runTuneJob, tuneJobArgs } from './tune-job';

export interface JobContext {
  progress: ProgressSink;
  signal?: AbortSignal;
  /** MODEL_VERSIONS_KEPT, for the jobs that publish a model version (train, tune). */
  modelVersionsKept?: number;
}

interface JobDefinition<Args, Result> {
  /** Validates arguments that arrive over the wire. */
  args: z.ZodType<Args>;
  run(db: Database, args: Args, context: JobContext): Promise<Result>;
}

function defineJob<Args, Result>(definition: JobDefinition<Args, Result>): JobDefinition<Args, Result> {
  return definition;
}

export const JOBS = {
  ingest: defineJob({ args: ingestJobArgs, run: runIngestJob }),
  train: defineJob({ args: trainJobArgs, run: runTrainJob }),
  tune: defineJob({ args: tuneJobArgs, run: runTuneJob }),
};

export type JobName = keyof typeof JOBS;
export type JobArgs<Name extends JobName> = z.infer<(typeof JOBS)[Name]['args']>;
export type JobResult<Name extends JobName> = Awaited<ReturnType<(typeof JOBS)[Name]['run']>>;

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}

/** Thrown where a job failed; the message is the job's own one-line error. */
export class JobFailedError extends AppError {
  override readonly name = 'JobFailedError';
  readonly code = 'JOB_FAILED';
}
