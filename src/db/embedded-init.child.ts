/** The child of embedded-init.ts: creates the embedded database in argv[2], migrates it, exits. */
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { embeddedDatabaseOver } from './embedded';
import { EMBEDDED_SETTINGS } from './embedded-init';
import { migrate } from './migrate';

async function initialize(dataDir: string): Promise<void> {
  const db = embeddedDatabaseOver(await PGlite.create({ dataDir, extensions: { vector }, postgresqlconf: EMBEDDED_SETTINGS }), dataDir);
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
}

initialize(process.argv[2]!).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
