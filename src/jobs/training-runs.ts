/**
 * Training runs started through the API: run in the background in this server, their progress
 * kept in memory for `trainingRuns` (the model versions they publish are in the database).
 */
import type { Database } from '../db/database';
import type { Logger } from '../logger';
import type { ProgressSink } from '../progress';
import type { TrainJobArgs } from './train-job';
import { runTraining } from '../trainer/run-training';
import type { ModelCache } from '../recsys/model-cache';

export interface TrainingRun {
  id: number;
  kind: string;
  preset: string;
  status: 'running' | 'succeeded' | 'failed';
  /** The current phase, e.g. "epoch 3/30", and its fraction done. */
  phase: string;
  progress: number;
  detail: string;
  startedAt: Date;
  finishedAt: Date | null;
  modelVersionId: number | null;
  error: string | null;
}

export class TrainingRuns {
  private readonly runs: TrainingRun[] = [];
  private nextId = 1;

  private readonly logger: Logger | undefined;
  private readonly modelVersionsKept: number | undefined;

  constructor(
    private readonly db: Database,
    private readonly models: ModelCache,
    options: { logger?: Logger; modelVersionsKept?: number } = {},
  ) {
    this.logger = options.logger;
    this.modelVersionsKept = options.modelVersionsKept;
  }

  list(): TrainingRun[] {
    return [...this.runs].reverse();
  }

  /** Starts a run and returns at once; `observer` also receives its progress (e.g. a terminal bar). */
  start(args: TrainJobArgs, observer?: ProgressSink): TrainingRun {
    const run: TrainingRun = {
      id: this.nextId++,
      kind: args.kind,
      preset: args.preset,
      status: 'running',
      phase: 'starting',
      progress: 0,
      detail: '',
      startedAt: new Date(),
      finishedAt: null,
      modelVersionId: null,
      error: null,
    };
    this.runs.push(run);
    let total = 1;
    const progress: ProgressSink = {
      start(label, phaseTotal) {
        run.phase = label;
        run.progress = 0;
        total = Math.max(phaseTotal, 1);
        observer?.start(label, phaseTotal);
      },
      update(done, rows, detail) {
        run.progress = done / total;
        run.detail = detail ?? '';
        observer?.update(done, rows, detail);
      },
      stop() {
        observer?.stop();
      },
    };
    runTraining(this.db, { ...args, progress, logger: this.logger, modelVersionsKept: this.modelVersionsKept }).then(
      async (report) => {
        Object.assign(run, { status: 'succeeded', phase: 'done', progress: 1, finishedAt: new Date(), modelVersionId: report.modelVersionId, detail: report.activation });
        await this.models.refresh();
      },
      (error: unknown) => {
        Object.assign(run, { status: 'failed', finishedAt: new Date(), error: error instanceof Error ? error.message : String(error) });
        this.logger?.warn({ err: error, run: run.id }, 'training run failed');
      },
    );
    return run;
  }
}
