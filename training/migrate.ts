/** npm run migrate: applies pending migrations to the configured database. */
import { loadConfig } from '../src/config';
import { acquireDataDirLock, readDataDirLock, DataDirBusyError } from '../src/db/data-dir-lock';
import { migrate } from '../src/db/migrate';
import { openDatabase } from '../src/db/open';
import { parseCommandLine, runCommand } from './cli';

runCommand('migrate', 'npm run migrate', async () => {
  parseCommandLine(process.argv.slice(2), {});
  const config = loadConfig();
  let release = (): void => undefined;
  if (config.databaseUrl === undefined) {
    // A running server has already migrated its data directory at start-up.
    const holder = readDataDirLock(config.dataDir);
    if (holder) throw new DataDirBusyError(config.dataDir, holder);
    release = acquireDataDirLock(config.dataDir, 'migrate').release;
  }
  try {
    const db = await openDatabase(config);
    try {
      const result = await migrate(db);
      process.stdout.write(
        `${db.location}: ${result.applied.length} applied${result.applied.map((name) => `\n  ${name}`).join('')}, ` +
          `${result.alreadyApplied} already applied\n`,
      );
    } finally {
      await db.close();
    }
  } finally {
    release();
  }
});
