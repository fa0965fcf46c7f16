/**
 * The project's root folder (where package.json is), for files the code reads at run time:
 * found from this module's folder, so the same code works from the TypeScript sources and
 * compiled into build/ (training/compile.ts), where paths relative to __dirname would not.
 */
import { InvariantError } from './errors';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new InvariantError(`no package.json above ${from} (the install is incomplete)`);
  }
}

export const PROJECT_ROOT = findRoot(__dirname);

/** A path under the project's root. */
export const projectPath = (...parts: string[]): string => join(PROJECT_ROOT, ...parts);
