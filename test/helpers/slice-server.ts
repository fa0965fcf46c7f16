/**
 * A real server on a fresh database holding the shipped catalog and the first `ratingRows`
 * lines of the shipped ratings (the demo-data path of start-up), for API and browser tests.
 * The embedded database starts as a copy of the run's migrated template (pglite-template.ts).
 */
import { copyFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '../../src/config';
import { silentProgress } from '../../src/progress';
import { createLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/server/start';
import { headLines, SHIPPED_ANIME, SHIPPED_RATINGS, tempDir, type TempDir } from './data-slices';
import type { TestDriver, TestDatabase } from './databases';
import { seedDataDir } from './pglite-template';

export interface SliceServer {
  server: RunningServer;
  /** The ratings file as loaded (CSV text: user_id,anime_id,rating with CRLF). */
  ratingsCsv: string;
  /** The server's DATA_DIR (on PostgreSQL it holds only the lock file). */
  dataDir: string;
  /** The PostgreSQL database's URL, for CLI processes beside the server; undefined on the embedded one. */
  databaseUrl: string | undefined;
  /** The temp folder that holds the demo files and DATA_DIR, for a test's own files; removed by close. */
  files: TempDir;
  close(): Promise<void>;
}

export async function startSliceServer(options: { ratingRows: number; driver?: TestDriver; env?: Record<string, string> }): Promise<SliceServer> {
  const files = tempDir();
  const ratingsCsv = headLines(SHIPPED_RATINGS, options.ratingRows);
  copyFileSync(SHIPPED_ANIME, `${files.path}/anime.csv.gz`);
  files.write('rating_sample_5000users.csv.gz', gzipSync(ratingsCsv));
  const env: Record<string, string> = { PORT: '0', DATA_DIR: `${files.path}/data`, DEMO_DATA_DIR: files.path, NODE_ENV: 'test', TRAIN_AT_START: 'none', ...options.env };
  let test: TestDatabase | undefined;
  if (options.driver?.name === 'postgres') {
    test = await options.driver.open({ migrated: false });
    env.DATABASE_URL = test.url!;
  } else {
    await seedDataDir(env.DATA_DIR!);
  }
  const server = await startServer(loadConfig(env), createLogger('silent'), silentProgress);
  return {
    server,
    ratingsCsv,
    dataDir: env.DATA_DIR!,
    databaseUrl: test?.url,
    files,
    async close() {
      await server.close();
      await test?.dispose();
      files.remove();
    },
  };
}
