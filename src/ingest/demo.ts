/** The real demo data shipped in data/: loaded into an empty database at first start. */
import { join } from 'node:path';
import type { Database } from '../db/database';
import { kaggleFormat } from './formats/kaggle';
import { ingest, type IngestReport } from './ingest';
import type { ProgressSink } from '../progress';

export const DEMO_FILES = {
  anime: 'anime.csv.gz',
  ratings: 'rating_sample_5000users.csv.gz',
} as const;

/** Ingests the demo files when the catalog is empty; returns null when there was data already. */
export async function seedDemoDataIfEmpty(db: Database, demoDataDir: string, progress: ProgressSink): Promise<IngestReport | null> {
  const { rows } = await db.query<{ present: boolean }>('SELECT EXISTS (SELECT 1 FROM anime) AS present');
  if (rows[0]!.present) return null;
  return ingest(db, {
    format: kaggleFormat,
    animePath: join(demoDataDir, DEMO_FILES.anime),
    ratingsPath: join(demoDataDir, DEMO_FILES.ratings),
    progress,
  });
}
