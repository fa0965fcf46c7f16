/** The child of embedded-init.ts: creates the embedded database in argv[2], migrates it, exits. */
import { openPGliteHere } from './embedded';
import { migrate } from './migrate';
import { messageOf } from '../errors';

async function initialize(dataDir: string): Promise<void> {
  const db = await openPGliteHere(dataDir);
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
}

initialize(process.argv[2]!).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${messageOf(error)}\n`);
    process.exit(1);
  },
);
