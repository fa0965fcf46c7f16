/**
 * The job runner on both databases, with real jobs: a run is listed with its outcome, its
 * progress reaches the row while it runs, another runner (another process: on PostgreSQL a
 * connection of its own) aborts it through the row's flag, a run whose process died is reported
 * as interrupted, and a progress write that fails does not fail the job.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Database } from '../../src/db/database';
import { openPostgresDatabase } from '../../src/db/postgres';
import { JobNotRunningError, NotFoundError } from '../../src/errors';
import { JobAbortedError } from '../../src/jobs/job';
import { JobRunner } from '../../src/jobs/job-runner';
import { INTERRUPTED, insertJobRun, type JobRunRecord } from '../../src/jobs/job-runs';
import type { TrainJobArgs } from '../../src/jobs/train-job';
import { selectBackend } from '../../src/models/backend';
import { silentProgress } from '../../src/progress';
import { headLines, SHIPPED_ANIME, SHIPPED_RATINGS, tempDir } from '../helpers/data-slices';
import { describeEachDriver, type TestDatabase } from '../helpers/databases';

/** ~2,600 explicit ratings: a training epoch takes a fraction of a second. */
const RATING_ROWS = 3_000;

/** One quick training. */
const QUICK: TrainJobArgs = { kind: 'mf', preset: 'default', overrides: { embeddingDim: 8, epochs: 2 }, activate: 'always', map: null, rankingUsers: 20 };
/** A training that runs until aborted: 1,000 epochs of ~1,900 batches, no early stopping (several seconds at least). */
const ENDLESS: TrainJobArgs = { ...QUICK, overrides: { embeddingDim: 32, epochs: 1000, batchSize: 1, earlyStoppingPatience: null } };
/**
 * The running runner writes its row, and reads the abort flag, every 100 ms: an abort must
 * land while the run still goes, however fast the machine trains.
 */
const FAST_WRITES = { timing: { progressWriteMs: 100 } };

/** Polls `read` every 50 ms until `done` holds for its value (at most `timeoutMs`). */
async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The running train run of `runner`'s database (there is one at a time in these tests). */
function runningTrain(runner: JobRunner): Promise<JobRunRecord | undefined> {
  return runner.list({ names: ['train'], status: 'running' }).then((runs) => runs[0]);
}

describeEachDriver('job runner', (driver) => {
  let test: TestDatabase;
  /** Another process's view of the database: a connection of its own on PostgreSQL. */
  let other: Database;
  let runner: JobRunner;
  let otherRunner: JobRunner;

  beforeAll(async () => {
    await selectBackend('wasm');
    test = await driver.open();
    other = test.url === undefined ? test.db : await openPostgresDatabase(test.url);
    runner = new JobRunner(test.db, FAST_WRITES);
    otherRunner = new JobRunner(other);
  }, 120_000);
  afterAll(async () => {
    if (other !== test?.db) await other?.close();
    await test?.dispose();
  });

  it('runs a job to its end and lists it with its outcome, newest first', async () => {
    const files = tempDir();
    try {
      const ratings = files.write('rating.csv', headLines(SHIPPED_RATINGS, RATING_ROWS));
      const args = { anime: SHIPPED_ANIME, ratings, format: 'kaggle' as const, filters: { dropUnrated: false, types: null, minAnimeRatings: null, userIdBelow: null }, skipInvalid: false };
      const report = await runner.run('ingest', args, { origin: 'cli', progress: silentProgress });
      expect(report.ratings.read).toBe(RATING_ROWS);
      const trained = await runner.run('train', QUICK, { origin: 'cli', progress: silentProgress });
      const [train, ingest] = await otherRunner.list();
      expect(ingest).toMatchObject({ name: 'ingest', origin: 'cli', status: 'succeeded', phase: 'done', progress: 1, modelVersionId: null, error: null, args });
      expect(ingest!.detail).toBe(`${report.anime.read} anime and ${RATING_ROWS} ratings read, ${report.ratings.inserted} ratings new`);
      expect(train).toMatchObject({ name: 'train', status: 'succeeded', modelVersionId: trained.modelVersionId, detail: trained.activation, abortRequested: false });
      expect(train!.finishedAt!.getTime()).toBeGreaterThanOrEqual(train!.startedAt.getTime());
      expect((await otherRunner.list({ names: ['ingest'] })).map((run) => run.id)).toEqual([ingest!.id]);
      expect(await otherRunner.list({ first: 1 })).toEqual([train]);
      expect(await otherRunner.list({ beforeId: train!.id })).toEqual([ingest]);
      expect(await otherRunner.count(['train', 'tune'])).toEqual(new Map([['succeeded', 1]]));
    } finally {
      files.remove();
    }
  });

  it('writes progress while a run goes, and another runner aborts it through the row', async () => {
    const observed: string[] = [];
    const running = runner.run('train', ENDLESS, { origin: 'api', progress: { ...silentProgress, start: (label) => observed.push(label) } });
    running.catch(() => undefined);
    // The other runner sees the epochs go by (fast ones: several per write).
    const epoch = await waitFor(() => runningTrain(otherRunner), (run) => run !== undefined && /^epoch (?!1\/)\d+\/1000$/.test(run.phase));
    expect(observed).toContain(epoch!.phase);
    expect(epoch!.progress).toBeGreaterThanOrEqual(0);
    expect(epoch!.progress).toBeLessThanOrEqual(1);
    const asked = await otherRunner.abort(epoch!.id);
    expect(asked).toMatchObject({ id: epoch!.id, status: 'running', abortRequested: true });
    await expect(running).rejects.toThrow(new JobAbortedError(`train job ${epoch!.id} was aborted on request`));
    expect(await otherRunner.get(epoch!.id)).toMatchObject({ status: 'aborted', error: `train job ${epoch!.id} was aborted on request`, modelVersionId: null });
  });

  it('refuses to abort a finished run (JobNotRunningError) or one that does not exist (NotFoundError)', async () => {
    const [last] = await runner.list({ first: 1 });
    await expect(otherRunner.abort(last!.id)).rejects.toThrow(new JobNotRunningError(`job run ${last!.id} is not running: it aborted (train job ${last!.id} was aborted on request)`));
    await expect(otherRunner.abort(999_999)).rejects.toThrow(new NotFoundError('job run 999999 does not exist'));
  });

  it('reports a run whose process stopped heartbeating as failed, interrupted, and refuses to abort it', async () => {
    // What a process that died just after starting a run leaves behind: its first row, never written again.
    const dead = await insertJobRun(test.db, 'train', QUICK, 'cli');
    expect((await runner.get(dead.id))!.status).toBe('running');
    const impatient = new JobRunner(other, { timing: { staleAfterMs: 200 } });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const reported = await impatient.get(dead.id);
    expect(reported).toMatchObject({ status: 'failed', error: INTERRUPTED, finishedAt: reported!.heartbeatAt });
    expect((await impatient.list({ status: 'running' })).map((run) => run.id)).not.toContain(dead.id);
    expect((await impatient.count(['train'])).get('failed')).toBe(1);
    await expect(impatient.abort(dead.id)).rejects.toThrow(JobNotRunningError);
    await test.db.query('DELETE FROM job_run WHERE id = $1', [dead.id]);
  });

  it('goes on when its progress cannot be written, and logs it once', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _encoding, next) => (lines.push(String(chunk)), next()) }));
    const logged = new JobRunner(test.db, { logger });
    // Long enough (a few seconds) to be still running when its table goes away.
    const running = logged.run('train', { ...ENDLESS, overrides: { ...ENDLESS.overrides, epochs: 300 } }, { origin: 'cli', progress: silentProgress });
    running.catch(() => undefined);
    const run = await waitFor(() => runningTrain(otherRunner), (found) => found !== undefined);
    // Every write of the run fails from now on, its end included.
    await other.query('ALTER TABLE job_run RENAME TO job_run_away');
    try {
      const report = await running;
      expect(report.modelVersionId).toBeGreaterThan(0);
    } finally {
      await other.query('ALTER TABLE job_run_away RENAME TO job_run');
    }
    const messages = lines.map((line) => JSON.parse(line).msg as string);
    expect(messages.filter((message) => message === 'job progress write failed; the job goes on')).toHaveLength(1);
    expect(messages).toContain('the end of a job run could not be recorded');
    // Its row was left as the last write found it.
    expect((await otherRunner.get(run!.id))!.status).toBe('running');
    await test.db.query('DELETE FROM job_run WHERE id = $1', [run!.id]);
  });
});
