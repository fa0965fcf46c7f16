/**
 * Training runs beside a server on PostgreSQL, through the one job runner: the server's start-up
 * training (origin START_UP), and `npm run train` in processes of their own (run-job.ts) that the
 * server's `trainingRuns` lists (origin CLI) and that end as aborted through `abortTrainingRun`
 * or Ctrl-C, or are reported as interrupted when their process is killed.
 */
import { JobRunner } from '../../src/jobs/job-runner';
import { TEST_DRIVERS } from '../helpers/databases';
import { codeOf, graphql, graphqlData } from '../helpers/graphql';
import { startCli, type RunningProcess } from '../helpers/processes';
import { startSliceServer, type SliceServer } from '../helpers/slice-server';

const ADMIN = 'admin-token-for-tests-0123456789';
const postgres = TEST_DRIVERS.find((driver) => driver.name === 'postgres');

/**
 * A training of `kind` that runs until stopped: the notebook preset has no early stopping, and
 * 1,000 epochs of batches of 1 take many minutes. One per kind: a database trains one run of a kind at a time.
 */
/**
 * A CLI training that runs until stopped: 1,000 epochs of single-rating batches. 128 dimensions,
 * because the matrix factorisation's SGD kernel trains 8 in about 2 s (a million samples a second).
 */
const endlessTrain = (kind: string) => ['--model', kind, '--preset', 'notebook', '--epochs', '1000', '--batch-size', '1', '--embedding-dim', '128', '--map', 'none', '--quiet'];
const KINDS = ['mf', 'deep', 'hybrid'];

interface Run {
  id: number;
  name: string;
  origin: string;
  kind: string;
  status: string;
  phase: string;
  abortRequested: boolean;
  error: string | null;
}

const RUNS = '{ trainingRuns { nodes { id name origin kind status phase abortRequested error } } }';

async function trainingRuns(url: string): Promise<Run[]> {
  return (await graphqlData<{ trainingRuns: { nodes: Run[] } }>(url, RUNS)).trainingRuns.nodes;
}

function abortTrainingRun(url: string, id: number, token?: string) {
  return graphql(url, `mutation { abortTrainingRun(input: { id: ${id} }) { trainingRun { id status abortRequested } } }`, undefined, token);
}

/**
 * Polls the server's trainingRuns every 200 ms until `done` holds (at most 45 s). An answer marked
 * retryable (SERVICE_UNAVAILABLE: no database connection within its timeout, while three CLI
 * trainings share the machine with the rest of the suite) is retried, as a client would.
 */
async function waitForRuns(url: string, done: (runs: Run[]) => boolean): Promise<Run[]> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const runs = await trainingRuns(url).catch((error: unknown) => {
      if (error instanceof Error && error.message.includes('"retryable":true') && Date.now() < deadline) return undefined;
      throw error;
    });
    if (runs && done(runs)) return runs;
    if (Date.now() > deadline) throw new Error(`timed out waiting; trainingRuns: ${JSON.stringify(runs)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

(postgres ? describe : describe.skip)('CLI training runs beside a server [postgres]', () => {
  let slice: SliceServer;
  const clis: RunningProcess[] = [];

  beforeAll(async () => {
    slice = await startSliceServer({ ratingRows: 3_000, driver: postgres, env: { ADMIN_TOKEN: ADMIN, TRAIN_AT_START: 'mf' } });
  }, 120_000);
  afterAll(async () => {
    for (const cli of clis) cli.child.kill('SIGKILL');
    await slice?.close();
  });

  it('lists the start-up training, which abortTrainingRun stops in this server', async () => {
    const url = slice.server.url;
    const [run] = await waitForRuns(url, (runs) => runs.length === 1);
    expect(run).toMatchObject({ name: 'TRAIN', origin: 'START_UP', kind: 'MF', status: 'RUNNING' });
    // The whole answer, so that a failure shows its errors.
    expect(await abortTrainingRun(url, run!.id, ADMIN)).toEqual({ data: { abortTrainingRun: { trainingRun: { id: run!.id, status: 'RUNNING', abortRequested: true } } } });
    const [ended] = await waitForRuns(url, (runs) => runs[0]!.status !== 'RUNNING');
    expect(ended).toMatchObject({ status: 'ABORTED', error: `train job ${run!.id} was aborted on request` });
    expect(slice.server.models.current()).toBeNull();
  });

  it('lists CLI runs; abortTrainingRun and Ctrl-C abort theirs, a killed one is interrupted', async () => {
    const url = slice.server.url;
    for (const kind of KINDS) clis.push(startCli('training/train.ts', endlessTrain(kind), { DATABASE_URL: slice.databaseUrl, LOG_LEVEL: 'silent' }));
    const started = (await waitForRuns(url, (runs) => runs.length === 4 && runs.slice(0, 3).every((run) => run.status === 'RUNNING' && run.phase.startsWith('epoch')))).slice(0, 3);
    for (const run of started) expect(run).toMatchObject({ name: 'TRAIN', origin: 'CLI', abortRequested: false, error: null });
    expect(started.map((run) => run.kind).sort()).toEqual(['DEEP', 'HYBRID', 'MF']);
    const [first, second, third] = started.map((run) => run.id);

    const abort = (id: number, token?: string) => abortTrainingRun(url, id, token);
    expect(codeOf(await abort(first!))).toBe('UNAUTHENTICATED');
    expect(await abort(first!, ADMIN)).toEqual({ data: { abortTrainingRun: { trainingRun: { id: first, status: 'RUNNING', abortRequested: true } } } });
    // The process that ran it stops with the abort as its one-line error.
    const aborted = await Promise.race(clis.map((cli, index) => cli.outcome.then((outcome) => ({ index, outcome }))));
    expect(aborted.outcome).toMatchObject({ code: 1, stdout: '', stderr: `animerec train: train job ${first} was aborted on request\n` });
    const [interrupted, killed] = clis.filter((_, index) => index !== aborted.index);

    interrupted!.child.kill('SIGINT');
    expect(await interrupted!.outcome).toMatchObject({ code: 1, stderr: 'animerec train: the train job was aborted (Ctrl-C)\n' });
    killed!.child.kill('SIGKILL');
    await killed!.outcome;

    const ended = await trainingRuns(url);
    const byId = (id: number) => ended.find((run) => run.id === id);
    expect(byId(first!)).toMatchObject({ status: 'ABORTED', error: `train job ${first} was aborted on request` });
    const ctrlC = [byId(second!)!, byId(third!)!].find((run) => run.status === 'ABORTED');
    expect(ctrlC).toMatchObject({ error: 'the train job was aborted (Ctrl-C)' });
    // The killed one's row says running until its heartbeat is older than the bound (30 s; 1 s here).
    const killedId = ctrlC!.id === second ? third! : second!;
    expect(byId(killedId)!.status).toBe('RUNNING');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await new JobRunner(slice.server.db, { timing: { staleAfterMs: 1_000 } }).get(killedId)).toMatchObject({ status: 'failed', error: 'interrupted' });

    const finished = await abort(first!, ADMIN);
    expect(codeOf(finished)).toBe('JOB_NOT_RUNNING');
    expect(finished.errors![0]!.message).toBe(`job run ${first} is not running: it aborted (train job ${first} was aborted on request)`);
    expect(codeOf(await abort(999_999, ADMIN))).toBe('NOT_FOUND');
  }, 120_000);
});
