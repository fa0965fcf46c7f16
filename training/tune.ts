/**
 * npm run tune -- --model deep --trials N [train options]
 * Random search over dropout, layer size, embedding size, learning rate and L2; the best trial
 * by validation loss is published as a model version.
 */
import { loadConfig } from '../src/config';
import { silentProgress, terminalProgress } from '../src/progress';
import { runJob } from '../src/jobs/run-job';
import { formatTrainingReport } from '../src/trainer/report-table';
import { formatTrials } from '../src/trainer/tune';
import { parsePositiveInt, runCommand, UsageError } from './cli';
import { trainArgsFromCommandLine } from './train';

const USAGE = 'npm run tune -- --model KIND --trials N [any npm run train option]';

function splitTrials(argv: string[]): { trials: number; rest: string[] } {
  const at = argv.findIndex((arg) => arg === '--trials' || arg.startsWith('--trials='));
  if (at === -1) throw new UsageError('--trials is required');
  const inline = argv[at]!.includes('=') ? argv[at]!.split('=')[1] : argv[at + 1];
  const trials = parsePositiveInt('trials', inline);
  if (!trials) throw new UsageError('--trials must be at least 1');
  const rest = [...argv.slice(0, at), ...argv.slice(at + (argv[at]!.includes('=') ? 1 : 2))];
  return { trials, rest };
}

runCommand('tune', USAGE, async () => {
  const { trials, rest } = splitTrials(process.argv.slice(2));
  const { quiet, ...args } = trainArgsFromCommandLine(rest);
  const run = await runJob(loadConfig(), 'tune', { ...args, trials }, quiet ? silentProgress : terminalProgress());
  process.stdout.write(
    `tuned on ${run.database} (in ${run.ranIn})\n${formatTrials(run.result.trials)}\n\nbest trial:\n${formatTrainingReport(run.result.best)}\n`,
  );
});
