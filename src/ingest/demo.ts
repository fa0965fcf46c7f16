/** The real demo data shipped in data/: loaded into an empty database at first start. */
import { join } from 'node:path';
import { advisoryLockKey, type Database } from '../db/database';
import { kaggleFormat } from './formats/kaggle';
import { ingest, type IngestReport } from './ingest';
import type { ProgressSink } from '../progress';

export const DEMO_FILES = {
  anime: 'anime.csv.gz',
  ratings: 'rating_sample_5000users.csv.gz',
} as const;

/** The advisory lock that seeding servers take in turn. */
const SEED_LOCK_KEY = advisoryLockKey('seed-demo-data');
/** How often a server waiting for another's seeding asks again. */
const SEED_LOCK_RETRY_MS = 250;

/**
 * Ingests the demo files when the catalog is empty; returns null when there was data already.
 * Servers started together on one empty database take turns (an advisory lock): the first
 * loads, the others wait and then find the data there, where two loads at once would collide
 * (a deadlock or a duplicate key, and a server that exits).
 */
export async function seedDemoDataIfEmpty(db: Database, demoDataDir: string, progress: ProgressSink): Promise<IngestReport | null> {
  let lock = await db.tryAdvisoryLock(SEED_LOCK_KEY);
  while (lock === null) {
    await new Promise((resolve) => setTimeout(resolve, SEED_LOCK_RETRY_MS));
    lock = await db.tryAdvisoryLock(SEED_LOCK_KEY);
  }
  try {
    const { rows } = await db.query<{ present: boolean }>('SELECT EXISTS (SELECT 1 FROM anime) AS present');
    if (rows[0]!.present) return null;
    return await ingest(db, {
      format: kaggleFormat,
      animePath: join(demoDataDir, DEMO_FILES.anime),
      ratingsPath: join(demoDataDir, DEMO_FILES.ratings),
      progress,
    });
  } finally {
    await lock.release();
  }
}
