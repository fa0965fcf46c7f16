/**
 * Where a CLI job runs. On PostgreSQL: here, over its own connections (the server may run at
 * the same time; the database serializes). On the embedded database: in the running server
 * when one holds the data directory (remote-jobs.ts), else here, holding the directory's lock
 * for the duration so a server started meanwhile waits its turn with a clear message.
 * Either way the run goes through a JobRunner, so it is listed (origin "cli") and can be aborted
 * from the API; Ctrl-C aborts it too (a second Ctrl-C exits at once).
 */
import type { Config } from '../config';
import { acquireDataDirLock, readDataDirLock, DataDirBusyError } from '../db/data-dir-lock';
import { migrate } from '../db/migrate';
import { openDatabase } from '../db/open';
import type { ProgressSink } from '../progress';
import { JobAbortedError, type JobArgs, type JobName, type JobResult } from './job';
import { JobRunner } from './job-runner';
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
  const interrupt = new AbortController();
  // Once: the handler goes with the first Ctrl-C, so a second one ends the process at once.
  const onInterrupt = () => interrupt.abort(new JobAbortedError(`the ${name} job was aborted (Ctrl-C)`));
  process.once('SIGINT', onInterrupt);
  try {
    await migrate(db);
    const runner = new JobRunner(db, { modelVersionsKept: config.modelVersionsKept });
    const result = await runner.run(name, args, { origin: 'cli', progress, signal: interrupt.signal });
    return { result, ranIn: 'this process', database: db.location };
  } finally {
    process.off('SIGINT', onInterrupt);
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
