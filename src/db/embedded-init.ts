/**
 * Creates and migrates a new embedded data directory in a child process
 * (embedded-init.child.ts). PGlite's initdb grows the WebAssembly memory to ~800 MB and the
 * first migration adds ~75 MB more, and WebAssembly memory never shrinks: done in-process, the
 * server or CLI that made the database would hold ~600 MB for the rest of its life; reopened
 * after a child made it, the same database costs ~200 MB (measured, BENCHMARKS.md, Memory).
 * The child builds it beside the target and the finished folder is renamed into place, so a
 * crash mid-way leaves no half-made database behind.
 */
import { DataDirUnusableError } from '../errors';
import { fork } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, rmdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isAlive } from './data-dir-lock';

/** Whether `dataDir` holds a database (PostgreSQL writes PG_VERSION into every data directory). */
export function isInitialized(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

function buildingPrefix(dataDir: string): string {
  return `.${basename(dataDir)}.init-`;
}

/** Removes half-built databases left beside `dataDir` by processes killed while creating one. */
function removeAbandoned(dataDir: string): void {
  const parent = dirname(dataDir);
  const prefix = buildingPrefix(dataDir);
  for (const name of readdirSync(parent)) {
    const pid = Number(name.slice(prefix.length));
    if (name.startsWith(prefix) && Number.isInteger(pid) && pid !== process.pid && !isAlive(pid)) rmSync(join(parent, name), { recursive: true, force: true });
  }
}

/** Makes and migrates the database in `dataDir` (absent or an empty folder) in a child process. */
export async function initializeInChild(dataDir: string): Promise<void> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new DataDirUnusableError(`${dataDir} holds files but no database (no PG_VERSION): move them away, or set DATA_DIR to another folder`);
  }
  removeAbandoned(dataDir);
  const building = join(dirname(dataDir), `${buildingPrefix(dataDir)}${process.pid}`);
  rmSync(building, { recursive: true, force: true });
  // From TypeScript sources (npm start, tests) the child needs the same on-the-fly compiler.
  const execArgv = __filename.endsWith('.ts') ? ['-r', '@swc-node/register'] : [];
  const child = fork(__filename.replace(/embedded-init\.(ts|js)$/, 'embedded-init.child.$1'), [building], { execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0 || !isInitialized(building)) {
    rmSync(building, { recursive: true, force: true });
    throw new DataDirUnusableError(`creating the embedded database in ${dataDir} failed (exit ${code}): ${stderr.trim().split('\n').pop() ?? ''}`);
  }
  if (existsSync(dataDir)) rmdirSync(dataDir); // empty: checked above
  renameSync(building, dataDir);
}
