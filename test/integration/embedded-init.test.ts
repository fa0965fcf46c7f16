/** A new embedded data directory is created and migrated in a child process, then opened here. */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openEmbeddedDatabase } from '../../src/db/embedded';
import { readMigrations } from '../../src/db/migrate';
import { tempDir, type TempDir } from '../helpers/data-slices';

describe('embedded data directory creation', () => {
  let files: TempDir;
  beforeAll(() => {
    files = tempDir();
  });
  afterAll(() => files.remove());

  it('creates and migrates a new directory, with our settings, leaving nothing else behind; reopening keeps the data', async () => {
    const dataDir = join(files.path, 'fresh', 'pglite');
    const db = await openEmbeddedDatabase(dataDir);
    try {
      const { rows } = await db.query<{ migration_name: string }>('SELECT migration_name FROM _prisma_migrations ORDER BY migration_name');
      expect(rows.map((row) => row.migration_name)).toEqual(readMigrations().map((m) => m.name));
      expect((await db.query<{ value: string }>("SELECT current_setting('shared_buffers') AS value")).rows[0]!.value).toBe('16MB');
      await db.query("INSERT INTO anime (id, name, genres) VALUES (1, 'Cowboy Bebop', '{}')");
    } finally {
      await db.close();
    }
    expect(readdirSync(join(files.path, 'fresh'))).toEqual(['pglite']);
    const again = await openEmbeddedDatabase(dataDir);
    try {
      expect((await again.query<{ name: string }>('SELECT name FROM anime')).rows).toEqual([{ name: 'Cowboy Bebop' }]);
    } finally {
      await again.close();
    }
  });

  it('removes a half-built database left by a process that died while creating one, and keeps a live one', async () => {
    const parent = join(files.path, 'abandoned');
    // No process has this pid (above Linux's pid_max); the test's own parent process is alive.
    const dead = join(parent, '.pglite.init-99999999');
    const live = join(parent, `.pglite.init-${process.ppid}`);
    for (const folder of [dead, live]) {
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'PG_VERSION'), '17');
    }
    const db = await openEmbeddedDatabase(join(parent, 'pglite'));
    await db.close();
    expect(readdirSync(parent).sort()).toEqual([`.pglite.init-${process.ppid}`, 'pglite']);
  });

  it('refuses a folder that holds files but no database, and leaves it as it was', async () => {
    const dataDir = join(files.path, 'occupied');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'notes.txt'), 'mine');
    await expect(openEmbeddedDatabase(dataDir)).rejects.toThrow(`${dataDir} holds files but no database`);
    await expect(openEmbeddedDatabase(dataDir)).rejects.toMatchObject({ code: 'DATA_DIR_UNUSABLE' });
    expect(readdirSync(dataDir)).toEqual(['notes.txt']);
    expect(readdirSync(files.path).some((name) => name.includes('.init-'))).toBe(false);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(false);
  });
});
