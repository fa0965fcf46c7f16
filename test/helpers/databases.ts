/**
 * The databases every contract test runs against: the embedded PGlite always, and the
 * PostgreSQL server named by TEST_POSTGRES_URL (CI sets it). Each opened database is new and
 * migrated: an in-memory PGlite copied from the run's template (pglite-template.ts), or a fresh
 * PostgreSQL database created for the test file and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database } from '../../src/db/database';
import { migrate } from '../../src/db/migrate';
import { openPostgresDatabase } from '../../src/db/postgres';
import { tempDir, type TempDir } from './data-slices';
import { openTemplateCopy } from './pglite-template';

export interface TestDatabase {
  db: Database;
  /** Connection string of a PostgreSQL test database; undefined for the embedded one. */
  url?: string;
  dispose(): Promise<void>;
}

export interface TestDriver {
  name: 'embedded' | 'postgres';
  /** Opens a new empty database; migrated unless `migrated: false`. */
  open(options?: { migrated?: boolean }): Promise<TestDatabase>;
}

export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL || undefined;

const embedded: TestDriver = {
  name: 'embedded',
  async open({ migrated = true } = {}) {
    const db = await openTemplateCopy({ migrated });
    return { db, dispose: () => db.close() };
  },
};

/** Creates a uniquely named database on the test server and returns its URL. */
export async function createPostgresTestDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `animerec_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

function postgres(adminUrl: string): TestDriver {
  return {
    name: 'postgres',
    async open({ migrated = true } = {}) {
      const created = await createPostgresTestDatabase(adminUrl);
      const db = await openPostgresDatabase(created.url);
      if (migrated) await migrate(db);
      return {
        db,
        url: created.url,
        async dispose() {
          await db.close();
          await created.drop();
        },
      };
    },
  };
}

/** The drivers to run contract tests on; PostgreSQL only when TEST_POSTGRES_URL is set. */
export const TEST_DRIVERS: TestDriver[] = [embedded, ...(TEST_POSTGRES_URL ? [postgres(TEST_POSTGRES_URL)] : [])];

/**
 * `describe` once per driver. Without TEST_POSTGRES_URL the PostgreSQL block is reported as
 * skipped, by name, rather than silently missing.
 */
export function describeEachDriver(title: string, body: (driver: TestDriver) => void): void {
  for (const driver of TEST_DRIVERS) describe(`${title} [${driver.name}]`, () => body(driver));
  if (!TEST_POSTGRES_URL) describe.skip(`${title} [postgres: skipped, TEST_POSTGRES_URL is unset]`, () => it('runs on PostgreSQL', () => undefined));
}

/** A describe block's new database and temp folder for input files, made before its tests and removed after. */
export interface DatabaseWithFiles {
  readonly test: TestDatabase;
  readonly files: TempDir;
}

/** Registers the beforeAll/afterAll that open `driver`'s database and a temp folder (hooks added later run after these). */
export function useDatabaseWithFiles(driver: TestDriver): DatabaseWithFiles {
  const made: { test?: TestDatabase; files?: TempDir } = {};
  beforeAll(async () => {
    made.test = await driver.open();
    made.files = tempDir();
  });
  afterAll(async () => {
    await made.test?.dispose();
    made.files?.remove();
  });
  return {
    get test() {
      return made.test!;
    },
    get files() {
      return made.files!;
    },
  };
}
