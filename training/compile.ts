/**
 * npm run build:js — compiles src/, training/ and bench/ to JavaScript under build/ (same layout),
 * with the options `-r @swc-node/register` uses at run time, so compiled and on-the-fly code are
 * the same code. `npm start` and the CLIs (ingest, train, tune, migrate) run it from build/;
 * tests and benchmark scripts run the sources through @swc-node/register.
 *
 * Why: a process that compiles TypeScript as it loads it also holds the TypeScript compiler
 * (which @swc-node/register loads), swc's native module and every module's source map: the
 * ingest CLI needed ~50 MB more (its goal is < 300 MB), the server ~110 MB more (BENCHMARKS.md,
 * Memory).
 *
 * Incremental: a file is compiled again when its source is newer than its output, and
 * everything when the compiler or its options change. Outputs whose source is gone are removed.
 * Two commands compiling at once (npm start beside npm run ingest) write the same files; each
 * file is replaced whole.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { compile } from '@swc-node/register/register';
import { readDefaultTsConfig } from '@swc-node/register/read-default-tsconfig';
import { PROJECT_ROOT } from '../src/paths';

const SOURCE_DIRS = ['src', 'training', 'bench'];

/** Files below `dir` (none if it does not exist) whose names pass `wanted`. */
function* filesUnder(dir: string, wanted: (name: string) => boolean): Generator<string> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path, wanted);
    else if (wanted(entry.name)) yield path;
  }
}

const isTypeScript = (name: string) => name.endsWith('.ts') && !name.endsWith('.d.ts');

/** What changes the output besides the sources: the compiler's versions and the tsconfig. */
function compilerStamp(root: string, options: object): string {
  // Read from node_modules: these packages' exports do not include package.json.
  const version = (pkg: string) => (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  return createHash('sha256')
    .update(JSON.stringify([version('@swc-node/register'), version('@swc/core'), options]))
    .digest('hex');
}

/** Where a TypeScript source's compiled JavaScript goes. */
export function compiledPath(source: string, root = PROJECT_ROOT): string {
  return join(root, 'build', relative(root, source)).replace(/\.ts$/, '.js');
}

/** Compiles the project at `root` (this one unless a test gives another) into its build/. */
export function compileProject(root = PROJECT_ROOT): { compiled: number; upToDate: number; removed: number } {
  const buildDir = join(root, 'build');
  const stampFile = join(buildDir, '.compiler');
  const options = readDefaultTsConfig(join(root, 'tsconfig.json'));
  const stamp = compilerStamp(root, options);
  // A changed compiler recompiles everything in place (a running server may still load files).
  const fresh = !existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp;
  let compiled = 0;
  let upToDate = 0;
  const outputs = new Set<string>();
  for (const sourceDir of SOURCE_DIRS) {
    for (const source of filesUnder(join(root, sourceDir), isTypeScript)) {
      const output = compiledPath(source, root);
      outputs.add(output);
      if (!fresh && existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) {
        upToDate++;
        continue;
      }
      // compile() takes options it may change: a copy per file.
      const code = compile(readFileSync(source, 'utf8'), source, { ...options }) as string;
      mkdirSync(dirname(output), { recursive: true });
      // Written beside and renamed: a process starting meanwhile (npm start beside npm run
      // ingest) never loads half a file.
      const partial = `${output}.${process.pid}.partial`;
      writeFileSync(partial, code);
      renameSync(partial, output);
      compiled++;
    }
  }
  let removed = 0;
  for (const output of filesUnder(buildDir, (name) => name.endsWith('.js'))) {
    if (!outputs.has(output)) {
      rmSync(output, { force: true }); // another compiler may have removed it already
      removed++;
    }
  }
  // Written only when it changed: an up-to-date build/ may be read-only (the Docker image).
  if (fresh) {
    mkdirSync(buildDir, { recursive: true });
    writeFileSync(stampFile, stamp);
  }
  return { compiled, upToDate, removed };
}

/** The compiled JavaScript of `source` in this project, compiling what is out of date first. */
export function compiledEntry(source: string): string {
  compileProject();
  return compiledPath(source);
}

if (require.main === module) {
  const started = performance.now();
  const { compiled, upToDate, removed } = compileProject();
  if (!process.argv.includes('--quiet') || compiled + removed > 0) {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.error(`build:js: ${compiled} compiled, ${upToDate} up to date, ${removed} removed (${seconds} s)`);
  }
}
