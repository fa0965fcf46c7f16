/**
 * `npm run ingest` runs compiled JavaScript from build/ (training/compile.ts): the compiler
 * writes and updates it, and the CLI it produces works, through the package.json script itself.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, unlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { compiledPath, compileProject } from '../../training/compile';
import { runProcess } from '../helpers/processes';
import { projectPath } from '../../src/paths';
import { headLines, SHIPPED_ANIME, SHIPPED_RATINGS, tempDir, type TempDir } from '../helpers/data-slices';

/** `npm run --silent …` as a user types it, with `env` over ours. */
const npmRun = (args: string[], env: Record<string, string>) => runProcess('npm', ['run', '--silent', ...args], { ...env, LOG_LEVEL: 'silent' });

describe('compiled CLI', () => {
  let files: TempDir;
  beforeAll(() => {
    files = tempDir();
  });
  afterAll(() => files.remove());

  it('compiles every source into build/, and a second run finds it all up to date', () => {
    compileProject();
    const paths = compiledPath(projectPath('src', 'paths.ts'));
    expect(paths).toBe(projectPath('build', 'src', 'paths.js'));
    expect(readFileSync(paths, 'utf8')).toContain('PROJECT_ROOT');
    expect(existsSync(compiledPath(projectPath('training', 'ingest.ts')))).toBe(true);
    expect(compileProject()).toMatchObject({ compiled: 0, removed: 0 });
  });

  it('recompiles a changed source, removes the output of a deleted one, and leaves no partial files', () => {
    const root = tempDir('animerec-compile-');
    try {
      copyFileSync(projectPath('tsconfig.json'), join(root.path, 'tsconfig.json'));
      symlinkSync(projectPath('node_modules'), join(root.path, 'node_modules'));
      mkdirSync(join(root.path, 'src'));
      const kept = root.write('src/kept.ts', 'export const kept: number = 1;\n');
      const gone = root.write('src/gone.ts', 'export const gone = 2;\n');
      expect(compileProject(root.path)).toEqual({ compiled: 2, upToDate: 0, removed: 0 });
      expect(require(compiledPath(kept, root.path))).toMatchObject({ kept: 1 });

      root.write('src/kept.ts', 'export const kept: number = 3;\n');
      utimesSync(kept, new Date(), new Date(Date.now() + 10_000)); // newer than its output, whatever the clock's resolution
      unlinkSync(gone);
      expect(compileProject(root.path)).toEqual({ compiled: 1, upToDate: 0, removed: 1 });
      expect(readFileSync(compiledPath(kept, root.path), 'utf8')).toContain('kept = 3');
      expect(existsSync(compiledPath(gone, root.path))).toBe(false);
      expect(readdirSync(join(root.path, 'build', 'src'))).toEqual(['kept.js']); // no partial files left
    } finally {
      root.remove();
    }
  });

  it('`npm run ingest` loads a slice into a new embedded database and reports it', async () => {
    const ratings = files.write('ratings.csv.gz', gzipSync(headLines(SHIPPED_RATINGS, 300)));
    const result = await npmRun(['ingest', '--', '--anime', SHIPPED_ANIME, '--ratings', ratings, '--quiet'], { DATA_DIR: `${files.path}/db` });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const explicit = headLines(SHIPPED_RATINGS, 300).split('\r\n').slice(1, -1).filter((line) => !line.endsWith(',-1')).length;
    expect(result.stdout).toContain(`ingested into ${files.path}/db/pglite (in this process)`);
    expect(result.stdout).toMatch(new RegExp(`ratings: +300 read, 0 filtered or repeated, ${explicit} new`));
  });

  it('`npm run ingest` fails with one line and a non-zero exit, as from the sources', async () => {
    const bad = files.write('bad.csv', 'user_id,anime_id,rating\r\n1,20,99\r\n');
    const result = await npmRun(['ingest', '--', '--anime', SHIPPED_ANIME, '--ratings', bad, '--quiet'], { DATA_DIR: `${files.path}/db` });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`animerec ingest: ${bad}:2: rating must be -1 (watched) or between 1 and 10, found 99\n`);
  });
});
