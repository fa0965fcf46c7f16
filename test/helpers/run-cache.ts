/**
 * Things built once per test run and shared by every test file and worker: each lives in a
 * folder of the run's folder (ANIMEREC_TEST_RUN_DIR, made by jest's globalSetup,
 * global-setup.ts), built by the first test that needs it.
 */
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_RUN_DIR_VARIABLE } from './global-setup';

/** The run's folder; outside jest (no globalSetup), one for this process, removed at its exit. */
function runDir(): string {
  const named = process.env[TEST_RUN_DIR_VARIABLE];
  if (named) return named;
  const made = mkdtempSync(join(tmpdir(), 'animerec-test-run-'));
  process.on('exit', () => rmSync(made, { recursive: true, force: true }));
  process.env[TEST_RUN_DIR_VARIABLE] = made;
  return made;
}

/** Builds in progress in this test file, by name: its concurrent callers share one build. */
const building = new Map<string, Promise<string>>();

/**
 * The run's folder `name`, which `build` fills when it is missing. Built aside and renamed into
 * place, so a reader never sees half of one; two workers that build at once both succeed and
 * one copy is kept. A failed build is tried again by the next caller.
 */
export function builtOncePerRun(name: string, build: (folder: string) => Promise<void>): Promise<string> {
  let once = building.get(name);
  if (!once) {
    once = buildAside(name, build);
    once.catch(() => building.delete(name));
    building.set(name, once);
  }
  return once;
}

async function buildAside(name: string, build: (folder: string) => Promise<void>): Promise<string> {
  const root = runDir();
  const done = join(root, name);
  if (existsSync(done)) return done;
  const aside = mkdtempSync(join(root, `.${name}-${process.pid}-`));
  try {
    await build(aside);
    renameSync(aside, done);
  } catch (error) {
    rmSync(aside, { recursive: true, force: true });
    if (!existsSync(done)) throw error; // else another worker finished first
  }
  return done;
}
