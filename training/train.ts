/**
 * npm run train -- --model hybrid [--preset notebook|default] [--epochs N] [--activate] ...
 * Trains one model on the ratings in the database and publishes it as a model version.
 */
import { loadConfig } from '../src/config';
import { silentProgress, terminalProgress } from '../src/progress';
import type { z } from 'zod';
import { BACKENDS } from '../src/models/backend';
import { PRESETS } from '../src/models/hyperparameters';
import { MODEL_KINDS } from '../src/models/kinds';
import { trainJobArgs, type TrainJobArgs } from '../src/jobs/train-job';
import { runJob } from '../src/jobs/run-job';
import { formatTrainingReport } from '../src/trainer/report-table';
import { parseCommandLine, parsePositiveInt, runCommand, UsageError } from './cli';

const USAGE =
  `npm run train -- --model ${MODEL_KINDS.join('|')} [--preset ${PRESETS.join('|')}] [--epochs N] [--batch-size N] ` +
  '[--embedding-dim N] [--hidden 64,64] [--dropout X] [--learning-rate X] [--l2 X] [--seed N] [--activate] ' +
  `[--map umap|tsne|none] [--backend ${BACKENDS.join('|')}] [--ranking-users N] [--quiet]`;

const OPTIONS = {
  model: { type: 'string' },
  preset: { type: 'string', default: 'default' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  'embedding-dim': { type: 'string' },
  hidden: { type: 'string' },
  dropout: { type: 'string' },
  'learning-rate': { type: 'string' },
  l2: { type: 'string' },
  seed: { type: 'string' },
  activate: { type: 'boolean', default: false },
  map: { type: 'string', default: 'umap' },
  backend: { type: 'string' },
  'ranking-users': { type: 'string' },
  quiet: { type: 'boolean', default: false },
} as const;

function parseNumber(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) throw new UsageError(`--${option} must be a number, got "${value}"`);
  return number;
}

function rankingUsers(value: string | undefined): number | undefined {
  const users = parsePositiveInt('ranking-users', value);
  if (users === 0) throw new UsageError('--ranking-users must be at least 1');
  return users;
}

/** The option a training argument comes from, where the schema checks it against a list. */
const LISTED_OPTIONS: Record<string, 'model' | 'preset' | 'map' | 'backend'> = { kind: 'model', preset: 'preset', map: 'map', backend: 'backend' };

/** trainJobArgs' complaint in the command line's words. */
function usageErrorOf(issue: z.core.$ZodIssue, values: Record<string, unknown>): UsageError {
  const field = issue.path[issue.path.length - 1];
  const option = issue.path.length === 1 ? LISTED_OPTIONS[String(field)] : undefined;
  if (option && issue.code === 'invalid_value') {
    // --map none stands for the schema's null.
    const choices = option === 'map' ? [...issue.values, 'none'] : issue.values;
    return new UsageError(`--${option} must be one of ${choices.join(', ')}, got "${String(values[option])}"`);
  }
  return new UsageError(field === undefined ? issue.message : `bad ${String(field)}: ${issue.message}`);
}

export function trainArgsFromCommandLine(argv: string[]): TrainJobArgs & { quiet: boolean } {
  const values = parseCommandLine(argv, OPTIONS);
  if (values.model === undefined) throw new UsageError('--model is required');
  const raw = {
    epochs: parsePositiveInt('epochs', values.epochs),
    batchSize: parsePositiveInt('batch-size', values['batch-size']),
    embeddingDim: parsePositiveInt('embedding-dim', values['embedding-dim']),
    hiddenUnits: values.hidden === undefined ? undefined : values.hidden.split(',').map((size) => parsePositiveInt('hidden', size.trim())!),
    dropout: parseNumber('dropout', values.dropout),
    learningRate: parseNumber('learning-rate', values['learning-rate']),
    l2Embeddings: parseNumber('l2', values.l2),
    seed: parsePositiveInt('seed', values.seed),
  };
  const checked = trainJobArgs.safeParse({
    kind: values.model,
    preset: values.preset,
    overrides: Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)),
    activate: values.activate ? 'always' : 'if-better',
    map: values.map === 'none' ? null : values.map,
    backend: values.backend,
    rankingUsers: rankingUsers(values['ranking-users']),
  });
  if (!checked.success) throw usageErrorOf(checked.error.issues[0]!, values);
  return { ...checked.data, quiet: values.quiet };
}

if (require.main === module) {
  runCommand('train', USAGE, async () => {
    const { quiet, ...args } = trainArgsFromCommandLine(process.argv.slice(2));
    const config = loadConfig();
    const run = await runJob(config, 'train', { ...args, backend: args.backend ?? config.tfjsBackend }, quiet ? silentProgress : terminalProgress());
    process.stdout.write(`trained on ${run.database} (in ${run.ranIn})\n${formatTrainingReport(run.result)}\n`);
  });
}
