/**
 * Where a CLI job runs. On PostgreSQL: here, over its own connections (the server may run at
 * the same time; the database serializes). On the embedded database: in the running server
 * when one holds the data directory (remote-jobs.ts), else here, holding the directory's lock
 * for the duration so a server started meanwhile waits its turn with a clear message.
 */
import type { Config } from '../config';
import { acquireDataDirLock, readDataDirLock, DataDirBusyError } from '../db/data-dir-lock';
import { migrate } from '../db/migrate';
import { openDatabase } from '../db/open';
import type { ProgressSink } from '../progress';
import { JOBS, type JobArgs, type JobName, type JobResult } from './job';
import { runRemoteJob } from './remote-jobs';

export interface JobRun<Result> {
  result: Result;
  /** Where it ran, for the CLI's summary. */
  ranIn: 'this process' | 'the running server';
  database: string;
}

async function runLocally<Name extends JobName>(
  config: Config,
  name: Name,
  args: JobArgs<Name>,
  progress: ProgressSink,
): Promise<JobRun<JobResult<Name>>> {
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const result = (await JOBS[name].run(db, args as never, { progress, modelVersionsKept: config.modelVersionsKept })) as JobResult<Name>;
    return { result, ranIn: 'this process', database: db.location };
  } finally {
    await db.close();
  }
}

export async function runJob<Name extends JobName>(
  config: Config,
  name: Name,
  args: JobArgs<Name>,
  progress: ProgressSink,
): Promise<JobRun<JobResult<Name>>> {
  if (config.databaseUrl !== undefined) {
    return runLocally(config, name, args, progress);
  }
  const holder = readDataDirLock(config.dataDir);
  if (holder?.jobs) {
    const result = await runRemoteJob(holder.jobs, name, args, progress);
    return { result, ranIn: 'the running server', database: config.dataDir };
  }
  if (holder) throw new DataDirBusyError(config.dataDir, holder);
  const lock = acquireDataDirLock(config.dataDir, name);
  try {
    return await runLocally(config, name, args, progress);
  } finally {
    lock.release();
  }
}
