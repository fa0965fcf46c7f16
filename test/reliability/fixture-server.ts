/**
 * A real animerec server for the reliability tests, started in this process on a throwaway
 * embedded data directory that already holds a small catalog (anime 1..N, dataset users 1..M),
 * seeded random ratings and an active `mf` model trained on them, so every query path is live.
 * That database is prepared once per test run and copied.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import type { Database } from '../../src/db/database';
import { migrate } from '../../src/db/migrate';
import { embeddedDir, openDatabase } from '../../src/db/open';
import { silentProgress } from '../../src/progress';
import { createLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/server/start';
import { runTraining } from '../../src/trainer/run-training';
import { mulberry32 } from '../../src/trainer/random';
import { tempDir, type TempDir } from '../helpers/data-slices';
import type { TestDriver } from '../helpers/databases';
import { seedCatalog } from '../helpers/publish-child';
import { seedDataDir } from '../helpers/pglite-template';
import { builtOncePerRun } from '../helpers/run-cache';

export const FIXTURE_SIZE = { items: 200, users: 50 };
/** Ratings per dataset user, random anime and values (seeded). */
const RATINGS_PER_USER = 40;
/** Where the prepared data directory keeps its active version's id. */
const VERSION_FILE = 'model-version.json';

export interface FixtureServer {
  server: RunningServer;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/** Migrates `db` and adds the catalog, ratings and an active small mf model; returns its version id. */
export async function prepareDatabase(db: Database): Promise<number> {
  await migrate(db);
  await seedCatalog(db, FIXTURE_SIZE);
  // As ingestion does: API users get ids after the dataset's.
  await db.query(`SELECT setval(pg_get_serial_sequence('app_user', 'id'), (SELECT max(id) FROM app_user))`);
  const next = mulberry32(7);
  let ratings = '';
  for (let user = 1; user <= FIXTURE_SIZE.users; user++) {
    const rated = new Set<number>();
    while (rated.size < RATINGS_PER_USER) rated.add(1 + Math.floor(next() * FIXTURE_SIZE.items));
    for (const anime of rated) ratings += `${user}\t${anime}\t${1 + Math.floor(next() * 10)}\n`;
  }
  await db.copyFrom('rating', ['user_id', 'anime_id', 'rating'], ratings);
  const report = await runTraining(db, { kind: 'mf', preset: 'default', overrides: { embeddingDim: 16, epochs: 2 }, activate: 'always', map: null, rankingUsers: 10 });
  return report.modelVersionId;
}

/**
 * The embedded database in `dataDir` as prepareDatabase leaves it: a copy of one prepared once
 * per test run (run-cache.ts), so the files that use it train its model once. Returns the
 * active version's id.
 */
export async function prepareDataDir(dataDir: string): Promise<number> {
  const prepared = await builtOncePerRun('reliability-fixture', async (folder) => {
    await seedDataDir(folder);
    const db = await openDatabase({ dataDir: folder });
    try {
      writeFileSync(join(folder, VERSION_FILE), JSON.stringify(await prepareDatabase(db)));
    } finally {
      await db.close();
    }
  });
  mkdirSync(dataDir, { recursive: true });
  cpSync(embeddedDir(prepared), embeddedDir(dataDir), { recursive: true });
  return JSON.parse(readFileSync(join(prepared, VERSION_FILE), 'utf8')) as number;
}

export interface FixtureDatabase {
  db: Database;
  /** The active version prepareDatabase trained. */
  versionId: number;
  dispose(): Promise<void>;
}

/**
 * The fixture's database on `driver`, for the services' tests: on the embedded driver a copy of
 * the data directory prepared once per run, on PostgreSQL a new database prepared here.
 */
export async function openFixtureDatabase(driver: TestDriver): Promise<FixtureDatabase> {
  if (driver.name === 'postgres') {
    const test = await driver.open();
    return { db: test.db, versionId: await prepareDatabase(test.db), dispose: () => test.dispose() };
  }
  const dir = tempDir('animerec-fixture-');
  const versionId = await prepareDataDir(dir.path);
  const db = await openDatabase({ dataDir: dir.path });
  return {
    db,
    versionId,
    async dispose() {
      await db.close();
      dir.remove();
    },
  };
}

/** Starts the server with `env` over the fixture's defaults (port 0, no demo data, no training). */
export async function startFixtureServer(env: Record<string, string> = {}): Promise<FixtureServer> {
  const dir: TempDir = tempDir('animerec-reliability-');
  const dataDir = `${dir.path}/data`;
  await prepareDataDir(dataDir);
  const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, NODE_ENV: 'test', SEED_DEMO_DATA: 'false', TRAIN_AT_START: 'none', ...env });
  const server = await startServer(config, createLogger('silent'), silentProgress);
  return {
    server,
    url: server.url,
    dataDir,
    async close() {
      await server.close();
      dir.remove();
    },
  };
}
