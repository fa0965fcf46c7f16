/**
 * The one runner of jobs (ingest, train, tune), whoever starts them: a CLI (run-job.ts, and the
 * server's job route for a CLI on the embedded database), the API (startTraining) and server
 * start-up. Each run is a `job_run` row (job-runs.ts), so every run is listed, shows its
 * progress and can be aborted from any process on the database:
 * - progress is written at most once per `progressWriteMs` (at once when the last write is that
 *   old, so a new phase shows without delay), as a heartbeat every `heartbeatMs` when nothing
 *   changed, and at the end; each write is one statement of its own (never a transaction held
 *   across the job) and reads the row's abort flag;
 * - a failed write is logged and the job goes on: progress is a report, not the work;
 * - a row whose heartbeat is older than `staleAfterMs` is reported as interrupted.
 */
import type { Database } from '../db/database';
import { JobNotRunningError, NotFoundError, messageOf } from '../errors';
import type { Logger } from '../logger';
import { silentProgress, type ProgressSink } from '../progress';
import { JobAbortedError, JOBS, type JobArgs, type JobName, type JobResult } from './job';
import {
  countJobRuns,
  insertJobRun,
  requestJobRunAbort,
  selectJobRun,
  selectJobRuns,
  writeJobRunEnd,
  writeJobRunProgress,
  type JobOrigin,
  type JobRunEnd,
  type JobRunFilter,
  type JobRunProgress,
  type JobRunRecord,
  type JobStatus,
} from './job-runs';

export interface JobTiming {
  /** Least time between two progress writes of a run. */
  progressWriteMs: number;
  /** Longest time between two writes of a live run. */
  heartbeatMs: number;
  /** A running row not written for this long is reported as interrupted (its process died). */
  staleAfterMs: number;
}

export const DEFAULT_JOB_TIMING: JobTiming = { progressWriteMs: 1_000, heartbeatMs: 5_000, staleAfterMs: 30_000 };

/** Runs listed when the caller names no count. */
export const DEFAULT_RUNS_LISTED = 50;

/** How long `stop` waits for its aborted runs to record their end. */
const STOP_WAIT_MS = 10_000;

export interface JobRunnerOptions {
  logger?: Logger;
  /** MODEL_VERSIONS_KEPT, for the jobs that publish a model version. */
  modelVersionsKept?: number;
  /** Called after a job run here succeeded (a server reloads its model cache); a failure is logged. */
  onSucceeded?: (name: JobName, result: unknown) => Promise<void>;
  timing?: Partial<JobTiming>;
}

export interface JobStartOptions {
  origin: JobOrigin;
  /** Also receives the progress (e.g. a terminal bar, the CLI's stream). */
  observer?: ProgressSink;
}

export interface JobRunOptions {
  origin: JobOrigin;
  progress: ProgressSink;
  /** Aborts the run (Ctrl-C, a client gone), as the row's abort flag does. */
  signal?: AbortSignal;
}

/**
 * Keeps one run's row up to date: the sink the job reports to, throttled writes, the heartbeat,
 * and the abort flag read back at each write.
 */
class RunRowWriter {
  readonly sink: ProgressSink;
  private readonly state: JobRunProgress = { phase: 'starting', progress: 0, detail: '' };
  /** The state changed since the last write. */
  private unwritten = false;
  private lastWriteAt = -Infinity;
  private writing: Promise<void> | null = null;
  private failing = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    private readonly run: JobRunRecord,
    private readonly timing: JobTiming,
    private readonly aborter: AbortController,
    private readonly logger: Logger | undefined,
    observer: ProgressSink,
  ) {
    let total = 1;
    this.sink = {
      start: (label, phaseTotal) => {
        total = Math.max(phaseTotal, 1);
        Object.assign(this.state, { phase: label, progress: 0, detail: '' });
        this.changed();
        observer.start(label, phaseTotal);
      },
      update: (done, rows, detail) => {
        this.state.progress = Math.min(done / total, 1);
        this.state.detail = detail ?? '';
        this.changed();
        observer.update(done, rows, detail);
      },
      stop: () => observer.stop(),
    };
    // Ticks often enough to honour both bounds; never keeps a CLI process alive on its own.
    this.timer = setInterval(() => this.tick(), Math.min(timing.progressWriteMs, timing.heartbeatMs)).unref();
  }

  private changed(): void {
    this.unwritten = true;
    if (performance.now() - this.lastWriteAt >= this.timing.progressWriteMs) this.write();
  }

  private tick(): void {
    const sinceWrite = performance.now() - this.lastWriteAt;
    if ((this.unwritten && sinceWrite >= this.timing.progressWriteMs) || sinceWrite >= this.timing.heartbeatMs) this.write();
  }

  /** One write at a time: a change while one is out is written by a later tick. */
  private write(): void {
    if (this.writing) return;
    this.unwritten = false;
    this.lastWriteAt = performance.now();
    this.writing = writeJobRunProgress(this.db, this.run.id, { ...this.state })
      .then(
        (abortRequested) => {
          if (this.failing) this.logger?.info({ job: this.run.name, run: this.run.id }, 'job progress writes work again');
          this.failing = false;
          if (abortRequested && !this.aborter.signal.aborted) this.aborter.abort(new JobAbortedError(`${this.run.name} job ${this.run.id} was aborted on request`));
        },
        (error: unknown) => {
          // Logged once per streak of failures (the database may be away for a while).
          if (!this.failing) this.logger?.warn({ err: error, job: this.run.name, run: this.run.id }, 'job progress write failed; the job goes on');
          this.failing = true;
        },
      )
      .finally(() => {
        this.writing = null;
      });
  }

  /** Stops the writes and records the run's end; a failure to record it is logged, not thrown. */
  async end(end: Omit<JobRunEnd, keyof JobRunProgress> & Partial<JobRunProgress>): Promise<void> {
    clearInterval(this.timer);
    await this.writing;
    try {
      await writeJobRunEnd(this.db, this.run.id, { ...this.state, ...end });
    } catch (error) {
      this.logger?.error({ err: error, job: this.run.name, run: this.run.id, status: end.status }, 'the end of a job run could not be recorded');
    }
  }
}

export class JobRunner {
  private readonly timing: JobTiming;
  /** Runs of this process, by id: aborted at once from here, and by `stop`. */
  private readonly active = new Map<number, { aborter: AbortController; done: Promise<unknown> }>();

  constructor(
    private readonly db: Database,
    private readonly options: JobRunnerOptions = {},
  ) {
    this.timing = { ...DEFAULT_JOB_TIMING, ...options.timing };
  }

  /** Starts a run in the background and returns its record at once (API, start-up). */
  async start<Name extends JobName>(name: Name, args: JobArgs<Name>, options: JobStartOptions): Promise<JobRunRecord> {
    const { record, done } = await this.launch(name, args, options.origin, options.observer ?? silentProgress, undefined);
    // Its end is in its record and the log.
    done.catch(() => undefined);
    return record;
  }

  /** Runs a job to its end (CLI); rejects with its error, or the abort's reason. */
  async run<Name extends JobName>(name: Name, args: JobArgs<Name>, options: JobRunOptions): Promise<JobResult<Name>> {
    const { done } = await this.launch(name, args, options.origin, options.progress, options.signal);
    return done;
  }

  /** Runs, newest first: all jobs or those named, of a status or any; interrupted ones as failed. */
  list(filter: Partial<JobRunFilter> = {}): Promise<JobRunRecord[]> {
    return selectJobRuns(this.db, { ...filter, first: filter.first ?? DEFAULT_RUNS_LISTED }, this.timing.staleAfterMs);
  }

  /** One run, or null. */
  get(id: number): Promise<JobRunRecord | null> {
    return selectJobRun(this.db, id, this.timing.staleAfterMs);
  }

  /** Runs of `names` per status, as `list` reports them. */
  count(names: readonly JobName[]): Promise<Map<JobStatus, number>> {
    return countJobRuns(this.db, names, this.timing.staleAfterMs);
  }

  /**
   * Asks run `id` to stop, wherever it runs: its process reads the flag at its next write (within
   * a heartbeat), a run of this process stops at once. Resolves with the record, still "running"
   * until the job has stopped; NotFoundError or JobNotRunningError otherwise.
   */
  async abort(id: number): Promise<JobRunRecord> {
    if (!(await requestJobRunAbort(this.db, id, this.timing.staleAfterMs))) {
      const run = await this.get(id);
      if (!run) throw new NotFoundError(`job run ${id} does not exist`);
      throw new JobNotRunningError(`job run ${id} is not running: it ${run.error === null ? run.status : `${run.status} (${run.error})`}`);
    }
    const local = this.active.get(id);
    const run = (await this.get(id))!;
    local?.aborter.abort(new JobAbortedError(`${run.name} job ${id} was aborted on request`));
    return run;
  }

  /** Aborts this process's runs and waits (boundedly) for them to record it: before the database closes. */
  async stop(reason = 'the server is stopping'): Promise<void> {
    const runs = [...this.active.values()];
    for (const run of runs) run.aborter.abort(new JobAbortedError(reason));
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)));
    await Promise.race([Promise.allSettled(runs.map((run) => run.done)), waited]);
    clearTimeout(timer);
  }

  private async launch<Name extends JobName>(
    name: Name,
    args: JobArgs<Name>,
    origin: JobOrigin,
    observer: ProgressSink,
    signal: AbortSignal | undefined,
  ): Promise<{ record: JobRunRecord; done: Promise<JobResult<Name>> }> {
    const record = await insertJobRun(this.db, name, args, origin);
    const aborter = new AbortController();
    const forward = () => aborter.abort(signal!.reason);
    if (signal?.aborted) forward();
    signal?.addEventListener('abort', forward, { once: true });
    const writer = new RunRowWriter(this.db, record, this.timing, aborter, this.options.logger, observer);
    const logged = { job: name, run: record.id, origin };
    this.options.logger?.info(logged, 'job started');
    const done = (async (): Promise<JobResult<Name>> => {
      try {
        const definition = JOBS[name];
        const context = { progress: writer.sink, signal: aborter.signal, modelVersionsKept: this.options.modelVersionsKept, logger: this.options.logger };
        const result = (await definition.run(this.db, args as never, context)) as JobResult<Name>;
        const outcome = definition.outcome(result as never);
        await writer.end({ status: 'succeeded', phase: 'done', progress: 1, error: null, ...outcome });
        this.options.logger?.info({ ...logged, modelVersionId: outcome.modelVersionId }, 'job succeeded');
        await this.options.onSucceeded?.(name, result).catch((error: unknown) => this.options.logger?.warn({ ...logged, err: error }, 'after a job succeeded'));
        return result;
      } catch (error) {
        // After an abort the job throws its reason, or something its stopping caused: the abort is the cause.
        const cause: unknown = aborter.signal.aborted ? aborter.signal.reason : error;
        await writer.end({ status: aborter.signal.aborted ? 'aborted' : 'failed', modelVersionId: null, error: messageOf(cause) });
        this.options.logger?.warn({ ...logged, err: cause }, aborter.signal.aborted ? 'job aborted' : 'job failed');
        throw cause;
      } finally {
        signal?.removeEventListener('abort', forward);
        this.active.delete(record.id);
      }
    })();
    this.active.set(record.id, { aborter, done });
    return { record, done };
  }
}
