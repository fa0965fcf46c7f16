/**
 * The `job_run` table: one row per job, wherever it started. A row whose process died stays
 * "running" in the table; every read here reports it as failed ("interrupted") once its
 * heartbeat is older than the bound. Nothing writes that verdict, so no server has to sweep
 * for other processes' rows, and a process that was only stalled (a long synchronous step)
 * shows as running again at its next heartbeat.
 */
import type { Queryable } from '../db/database';
import type { JobName } from './job';

export const JOB_ORIGINS = ['cli', 'api', 'start-up'] as const;
export type JobOrigin = (typeof JOB_ORIGINS)[number];
export const JOB_STATUSES = ['running', 'succeeded', 'failed', 'aborted'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** The error of a run whose process stopped heartbeating. */
export const INTERRUPTED = 'interrupted';

export interface JobRunRecord {
  id: number;
  name: JobName;
  /** The job's arguments, as validated (JOBS[name].args). */
  args: Record<string, unknown>;
  origin: JobOrigin;
  status: JobStatus;
  /** The current phase, e.g. "epoch 3/30", and its fraction done. */
  phase: string;
  progress: number;
  detail: string;
  startedAt: Date;
  heartbeatAt: Date;
  finishedAt: Date | null;
  modelVersionId: number | null;
  error: string | null;
  abortRequested: boolean;
}

/** A row as a JobRunRecord. */
const COLUMNS = `id, name, args, origin, status, phase, progress, detail, started_at AS "startedAt", heartbeat_at AS "heartbeatAt",
  finished_at AS "finishedAt", model_version_id AS "modelVersionId", error, abort_requested AS "abortRequested"`;

/** The rows as reported: $1 is the heartbeat bound in milliseconds; an older running row failed. */
const REPORTED_RUNS = `(
  SELECT id, name, args, origin, phase, progress, detail, started_at, heartbeat_at, model_version_id, abort_requested,
         CASE WHEN stale THEN 'failed' ELSE status END AS status,
         CASE WHEN stale THEN heartbeat_at ELSE finished_at END AS finished_at,
         CASE WHEN stale THEN '${INTERRUPTED}' ELSE error END AS error
  FROM (SELECT *, status = 'running' AND heartbeat_at < now() - $1 * interval '1 millisecond' AS stale FROM job_run) AS checked
) AS run`;

const INSERT_RUN = `INSERT INTO job_run (name, args, origin) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`;

const SELECT_RUN = `SELECT ${COLUMNS} FROM ${REPORTED_RUNS} WHERE id = $2`;

const SELECT_RUNS = `
SELECT ${COLUMNS} FROM ${REPORTED_RUNS}
WHERE ($2::text[] IS NULL OR name = ANY($2::text[])) AND ($3::text IS NULL OR status = $3) AND ($5::int IS NULL OR id < $5)
ORDER BY id DESC LIMIT $4`;

const COUNT_RUNS = `SELECT status, count(*)::int AS runs FROM ${REPORTED_RUNS} WHERE name = ANY($2::text[]) GROUP BY status`;

/** Progress and heartbeat in one statement, which also reads whether an abort was asked for. */
const WRITE_PROGRESS = `
UPDATE job_run SET phase = $2, progress = $3, detail = $4, heartbeat_at = now()
WHERE id = $1 RETURNING abort_requested`;

const WRITE_END = `
UPDATE job_run SET status = $2, phase = $3, progress = $4, detail = $5, model_version_id = $6, error = $7,
       finished_at = now(), heartbeat_at = now()
WHERE id = $1`;

/** Only a live run: a finished or interrupted one keeps its record as it is. */
const REQUEST_ABORT = `
UPDATE job_run SET abort_requested = true
WHERE id = $1 AND status = 'running' AND heartbeat_at >= now() - $2 * interval '1 millisecond'
RETURNING id`;

export async function insertJobRun(db: Queryable, name: JobName, args: unknown, origin: JobOrigin): Promise<JobRunRecord> {
  const { rows } = await db.query<JobRunRecord>(INSERT_RUN, [name, JSON.stringify(args), origin]);
  return rows[0]!;
}

export async function selectJobRun(db: Queryable, id: number, staleAfterMs: number): Promise<JobRunRecord | null> {
  const { rows } = await db.query<JobRunRecord>(SELECT_RUN, [staleAfterMs, id]);
  return rows[0] ?? null;
}

export interface JobRunFilter {
  /** Only these jobs; all when absent. */
  names?: readonly JobName[];
  status?: JobStatus;
  /** The newest `first`. */
  first: number;
  /** Only runs older than this one (paging). */
  beforeId?: number;
}

export async function selectJobRuns(db: Queryable, filter: JobRunFilter, staleAfterMs: number): Promise<JobRunRecord[]> {
  const { rows } = await db.query<JobRunRecord>(SELECT_RUNS, [staleAfterMs, filter.names ?? null, filter.status ?? null, filter.first, filter.beforeId ?? null]);
  return rows;
}

/** Runs of `names` per reported status (statuses without runs absent). */
export async function countJobRuns(db: Queryable, names: readonly JobName[], staleAfterMs: number): Promise<Map<JobStatus, number>> {
  const { rows } = await db.query<{ status: JobStatus; runs: number }>(COUNT_RUNS, [staleAfterMs, names]);
  return new Map(rows.map((row) => [row.status, row.runs]));
}

export interface JobRunProgress {
  phase: string;
  progress: number;
  detail: string;
}

/** Writes progress and the heartbeat; resolves with whether an abort was asked for (false for a row gone). */
export async function writeJobRunProgress(db: Queryable, id: number, state: JobRunProgress): Promise<boolean> {
  const { rows } = await db.query<{ abort_requested: boolean }>(WRITE_PROGRESS, [id, state.phase, state.progress, state.detail]);
  return rows[0]?.abort_requested ?? false;
}

export interface JobRunEnd extends JobRunProgress {
  status: Exclude<JobStatus, 'running'>;
  modelVersionId: number | null;
  error: string | null;
}

export async function writeJobRunEnd(db: Queryable, id: number, end: JobRunEnd): Promise<void> {
  await db.query(WRITE_END, [id, end.status, end.phase, end.progress, end.detail, end.modelVersionId, end.error]);
}

/** Sets the abort flag of a live run; false when `id` is not one (missing, finished or interrupted). */
export async function requestJobRunAbort(db: Queryable, id: number, staleAfterMs: number): Promise<boolean> {
  const { rowCount } = await db.query(REQUEST_ABORT, [id, staleAfterMs]);
  return rowCount === 1;
}
