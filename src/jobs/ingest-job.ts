/** The ingest job: what `npm run ingest` runs, locally or inside the running server. */
import { resolve } from 'node:path';
import { z } from 'zod';
import type { Database } from '../db/database';
import { FORMATS } from '../ingest/formats';
import { ingest, type IngestReport } from '../ingest/ingest';
import { dataChanged } from '../recsys/catalog';
import type { JobContext } from './job';

export const ingestJobArgs = z.object({
  anime: z.string().min(1).optional(),
  ratings: z.string().min(1).optional(),
  format: z.enum(Object.keys(FORMATS) as [keyof typeof FORMATS, ...(keyof typeof FORMATS)[]]),
  filters: z.object({
    dropUnrated: z.boolean(),
    types: z.array(z.string()).nullable(),
    minAnimeRatings: z.number().int().nonnegative().nullable(),
    userIdBelow: z.number().int().positive().nullable(),
  }),
  skipInvalid: z.boolean(),
});

export type IngestJobArgs = z.infer<typeof ingestJobArgs>;

/** Paths are made absolute by the caller, since a server may run in another directory. */
export function absoluteIngestPaths(args: IngestJobArgs): IngestJobArgs {
  return {
    ...args,
    anime: args.anime === undefined ? undefined : resolve(args.anime),
    ratings: args.ratings === undefined ? undefined : resolve(args.ratings),
  };
}

export async function runIngestJob(db: Database, args: IngestJobArgs, context: JobContext): Promise<IngestReport> {
  const report = await ingest(db, {
    format: FORMATS[args.format],
    animePath: args.anime,
    ratingsPath: args.ratings,
    filters: args.filters,
    skipInvalid: args.skipInvalid,
    progress: context.progress,
    signal: context.signal,
  });
  // Cached statistics of a server running this job in-process are stale now.
  dataChanged(db);
  return report;
}
