/** The tune job: what `npm run tune` runs, locally or inside the running server. */
import { z } from 'zod';
import type { Database } from '../db/database';
import type { TuneReport } from '../trainer/tune';
import type { JobContext } from './job';
import { trainJobArgs } from './train-job';

export const tuneJobArgs = trainJobArgs.extend({ trials: z.number().int().min(1).max(200) });

export type TuneJobArgs = z.infer<typeof tuneJobArgs>;

export async function runTuneJob(db: Database, args: TuneJobArgs, context: JobContext): Promise<TuneReport> {
  // Loaded when tuning runs, as in runTrainJob.
  const { tune } = await import('../trainer/tune');
  return tune(db, { ...args, progress: context.progress, signal: context.signal, modelVersionsKept: context.modelVersionsKept, logger: context.logger });
}
