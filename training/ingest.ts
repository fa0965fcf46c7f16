/**
 * npm run ingest -- --anime <anime.csv> --ratings <rating.csv> [options]
 * Loads dataset files (plain or .gz) into the database; see src/ingest/ingest.ts.
 */
import { loadConfig } from '../src/config';
import { FORMATS, isFormatName } from '../src/ingest/formats';
import { isPresetName, NO_FILTERS, PRESETS, type RatingFilters } from '../src/ingest/filters';
import { silentProgress, terminalProgress } from '../src/progress';
import { absoluteIngestPaths, type IngestJobArgs } from '../src/jobs/ingest-job';
import { runJob } from '../src/jobs/run-job';
import type { IngestReport } from '../src/ingest/ingest';
import { parseCommandLine, parsePositiveInt, runCommand, UsageError } from './cli';

const USAGE =
  'npm run ingest -- [--anime FILE] [--ratings FILE] [--format kaggle|movielens] [--preset notebook] ' +
  '[--drop-unrated] [--types TV,Movie] [--min-anime-ratings N] [--user-id-below N] [--skip-invalid] [--quiet]';

const OPTIONS = {
  anime: { type: 'string' },
  ratings: { type: 'string' },
  format: { type: 'string', default: 'kaggle' },
  preset: { type: 'string' },
  'drop-unrated': { type: 'boolean' },
  types: { type: 'string' },
  'min-anime-ratings': { type: 'string' },
  'user-id-below': { type: 'string' },
  'skip-invalid': { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
} as const;

/** Turns the command line into job arguments: a preset first, then explicit options over it. */
export function ingestArgsFromCommandLine(argv: string[]): IngestJobArgs & { quiet: boolean } {
  const values = parseCommandLine(argv, OPTIONS);
  if (values.anime === undefined && values.ratings === undefined) throw new UsageError('give --anime, --ratings or both');
  if (!isFormatName(values.format)) {
    throw new UsageError(`--format must be one of ${Object.keys(FORMATS).join(', ')}, got "${values.format}"`);
  }
  let filters: RatingFilters = NO_FILTERS;
  if (values.preset !== undefined) {
    if (!isPresetName(values.preset)) {
      throw new UsageError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}, got "${values.preset}"`);
    }
    filters = { ...PRESETS[values.preset], types: [...PRESETS[values.preset].types] };
  }
  filters = {
    dropUnrated: values['drop-unrated'] ?? filters.dropUnrated,
    types: values.types === undefined ? filters.types : values.types.split(',').map((type) => type.trim()),
    minAnimeRatings: parsePositiveInt('min-anime-ratings', values['min-anime-ratings']) ?? filters.minAnimeRatings,
    userIdBelow: parsePositiveInt('user-id-below', values['user-id-below']) ?? filters.userIdBelow,
  };
  const args = { anime: values.anime, ratings: values.ratings, format: values.format, filters, skipInvalid: values['skip-invalid'] };
  return { ...absoluteIngestPaths(args), quiet: values.quiet };
}

function formatReport(report: IngestReport): string {
  const lines = [
    `anime:   ${report.anime.read} read, ${report.anime.inserted} new, ${report.anime.updated} changed`,
    `ratings: ${report.ratings.read} read, ${report.ratings.filtered} filtered or repeated, ` +
      `${report.ratings.inserted} new, ${report.ratings.updated} changed, ${report.ratings.watchedInserted} new watched-unrated`,
    `users:   ${report.users.inserted} new`,
  ];
  if (report.invalid.count > 0) {
    lines.push(`skipped ${report.invalid.count} invalid rows, first ones:`, ...report.invalid.examples.map((e) => `  ${e}`));
  }
  lines.push(`done in ${report.seconds.toFixed(1)} s`);
  return lines.join('\n');
}

if (require.main === module) {
  runCommand('ingest', USAGE, async () => {
    const { quiet, ...args } = ingestArgsFromCommandLine(process.argv.slice(2));
    const config = loadConfig();
    const run = await runJob(config, 'ingest', args, quiet ? silentProgress : terminalProgress());
    process.stdout.write(`ingested into ${run.database} (in ${run.ranIn})\n${formatReport(run.result)}\n`);
  });
}
