/** The train job: what `npm run train` runs, locally or inside the running server. */
import { z } from 'zod';
import type { Database } from '../db/database';
import { BACKENDS } from '../models/backend-names';
import { PRESETS } from '../models/hyperparameters';
import { SUPPORTED_EMBEDDING_DIMS } from '../versions/embedding-indexes';
import { kindDefinition, MODEL_KINDS } from '../models/kinds';
import type { TrainingReport } from '../trainer/run-training';
import type { JobContext } from './job';

/** Hyperparameters a caller may set over the preset's. */
const hyperparameterOverrides = z
  .object({
    embeddingDim: z
      .number()
      .int()
      .refine((dim) => (SUPPORTED_EMBEDDING_DIMS as readonly number[]).includes(dim), {
        message: `embedding size must be one of ${SUPPORTED_EMBEDDING_DIMS.join(', ')}`,
      }),
    hiddenUnits: z.array(z.number().int().positive().max(4096)).max(4),
    dropout: z.number().min(0).max(0.9),
    learningRate: z.number().positive().max(1),
    learningRateDecay: z.number().positive().max(1),
    l2Embeddings: z.number().min(0),
    l2Head: z.number().min(0),
    batchSize: z.number().int().min(1).max(65536),
    epochs: z.number().int().min(1).max(1000),
    earlyStoppingPatience: z.number().int().min(1).nullable(),
    seed: z.number().int(),
    biases: z.boolean(),
    dotTerm: z.boolean(),
    loss: z.enum(['mae', 'mse', 'huber']),
  })
  .partial()
  .strict();

export const trainJobArgs = z
  .object({
    kind: z.enum(MODEL_KINDS),
    preset: z.enum(PRESETS),
    overrides: hyperparameterOverrides,
    activate: z.enum(['always', 'if-better']),
    map: z.enum(['umap', 'tsne']).nullable(),
    backend: z.enum(BACKENDS).optional(),
    rankingUsers: z.number().int().positive().optional(),
  })
  // A classifier's output is a distribution: a point loss or biases would train on nonsense.
  .superRefine((args, context) => {
    const definition = kindDefinition(args.kind);
    if (definition.loss === 'crossentropy' && args.overrides.loss !== undefined) {
      context.addIssue({ code: 'custom', message: `${args.kind} always trains with cross-entropy: loss cannot be set` });
    }
    if (!definition.biases && args.overrides.biases) context.addIssue({ code: 'custom', message: `${args.kind} has no biases: biases cannot be set` });
  });

export type TrainJobArgs = z.infer<typeof trainJobArgs>;

export async function runTrainJob(db: Database, args: TrainJobArgs, context: JobContext): Promise<TrainingReport> {
  // Loaded when a training runs: the trainer brings tfjs and umap-js, ~12 MB that the ingest
  // CLI (which shares JOBS) would otherwise carry (BENCHMARKS.md, Memory).
  const { runTraining } = await import('../trainer/run-training');
  return runTraining(db, { ...args, progress: context.progress, signal: context.signal, modelVersionsKept: context.modelVersionsKept, logger: context.logger });
}
