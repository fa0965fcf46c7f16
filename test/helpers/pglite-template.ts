/**
 * One embedded database per test run that every test copies, instead of each test file running
 * initdb and the migrations (8–11 s on 2 cores; a copy opens in 1–2 s). The first test that
 * needs it builds it in the run's folder (ANIMEREC_TEST_RUN_DIR, made by jest's globalSetup,
 * test/helpers/global-setup.ts) and later tests, in any worker, reuse it. Three forms:
 * - `bare.tar`: right after initdb, no migrations (for the tests of migrate itself);
 * - `migrated.tar`: migrated, for in-memory copies;
 * - `migrated-data/`: the same as a data directory on disk, for servers and CLIs given DATA_DIR.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, openAsBlob, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPGliteHere, type EmbeddedDatabase } from '../../src/db/embedded';
import { migrate } from '../../src/db/migrate';
import { embeddedDir } from '../../src/db/open';
import { TEST_RUN_DIR_VARIABLE } from './global-setup';


const TEMPLATE = 'pglite-template';

/** The run's folder; outside jest (no globalSetup), one for this process, removed at its exit. */
function runDir(): string {
  const named = process.env[TEST_RUN_DIR_VARIABLE];
  if (named) return named;
  const made = mkdtempSync(join(tmpdir(), 'animerec-test-run-'));
  process.on('exit', () => rmSync(made, { recursive: true, force: true }));
  process.env[TEST_RUN_DIR_VARIABLE] = made;
  return made;
}

async function writeImage(db: EmbeddedDatabase, path: string): Promise<void> {
  writeFileSync(path, new Uint8Array(await (await db.dumpImage()).arrayBuffer()));
}

let templateDirOnce: Promise<string> | undefined;

/** The template's folder, built when missing; a test file's concurrent callers share one build. */
function templateDir(): Promise<string> {
  templateDirOnce ??= buildTemplateDir();
  templateDirOnce.catch(() => (templateDirOnce = undefined)); // a failed build is retried by the next caller
  return templateDirOnce;
}

/**
 * Builds the template aside and renames it into place, so a reader never sees half of one; two
 * workers that build at once both succeed and one copy is kept.
 */
async function buildTemplateDir(): Promise<string> {
  const root = runDir();
  const done = join(root, TEMPLATE);
  if (existsSync(done)) return done;
  const building = mkdtempSync(join(root, `.${TEMPLATE}-${process.pid}-`));
  const db = await openPGliteHere(undefined);
  try {
    await writeImage(db, join(building, 'bare.tar'));
    await migrate(db);
    await writeImage(db, join(building, 'migrated.tar'));
  } finally {
    await db.close();
  }
  const onDisk = await openPGliteHere(join(building, 'migrated-data'), { image: await openAsBlob(join(building, 'migrated.tar')) });
  await onDisk.close();
  try {
    renameSync(building, done);
  } catch (error) {
    if (!existsSync(done)) throw error;
    rmSync(building, { recursive: true, force: true }); // another worker finished first
  }
  return done;
}

/** A new in-memory embedded database: a copy of the migrated template, or of the bare one (no migrations). */
export async function openTemplateCopy({ migrated }: { migrated: boolean }): Promise<EmbeddedDatabase> {
  const image = await openAsBlob(join(await templateDir(), migrated ? 'migrated.tar' : 'bare.tar'));
  return openPGliteHere(undefined, { image });
}

/**
 * Puts a copy of the migrated template where the app keeps its embedded database for `dataDir`
 * (DATA_DIR), so a server or CLI started on it finds a database and skips creating one.
 */
export async function seedDataDir(dataDir: string): Promise<void> {
  const target = embeddedDir(dataDir);
  mkdirSync(dataDir, { recursive: true });
  cpSync(join(await templateDir(), 'migrated-data'), target, { recursive: true });
}
