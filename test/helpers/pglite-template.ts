/**
 * One embedded database per test run that every test copies, instead of each test file running
 * initdb and the migrations (8–11 s on 2 cores; a copy opens in 1–2 s). Built once per run
 * (run-cache.ts), in three forms:
 * - `bare.tar`: right after initdb, no migrations (for the tests of migrate itself);
 * - `migrated.tar`: migrated, for in-memory copies;
 * - `migrated-data/`: the same as a data directory on disk, for servers and CLIs given DATA_DIR.
 */
import { cpSync, mkdirSync, openAsBlob, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openPGliteHere, type EmbeddedDatabase } from '../../src/db/embedded';
import { migrate } from '../../src/db/migrate';
import { embeddedDir } from '../../src/db/open';
import { builtOncePerRun } from './run-cache';

async function writeImage(db: EmbeddedDatabase, path: string): Promise<void> {
  writeFileSync(path, new Uint8Array(await (await db.dumpImage()).arrayBuffer()));
}

/** The template's folder, built when missing. */
function templateDir(): Promise<string> {
  return builtOncePerRun('pglite-template', async (folder) => {
    const db = await openPGliteHere(undefined);
    try {
      await writeImage(db, join(folder, 'bare.tar'));
      await migrate(db);
      await writeImage(db, join(folder, 'migrated.tar'));
    } finally {
      await db.close();
    }
    const onDisk = await openPGliteHere(join(folder, 'migrated-data'), { image: await openAsBlob(join(folder, 'migrated.tar')) });
    await onDisk.close();
  });
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
