/**
 * What every benchmark script shares: clean-ups that run at the end, on failure and on Ctrl-C
 * (temp folders, scratch databases, a running child process), and the main() wrapper.
 */
import type { ChildProcess } from 'node:child_process';

const cleanups: Array<() => unknown> = [];
let runningChild: ChildProcess | undefined;

/** Registers a clean-up; returns a function that runs nothing and unregisters it. */
export function onCleanUp(cleanup: () => unknown): () => void {
  cleanups.push(cleanup);
  return () => {
    const at = cleanups.indexOf(cleanup);
    if (at !== -1) cleanups.splice(at, 1);
  };
}

/** The child process to kill if the benchmark is interrupted (undefined when none runs). */
export function setRunningChild(child: ChildProcess | undefined): void {
  runningChild = child;
}

export async function cleanUp(): Promise<void> {
  runningChild?.kill('SIGKILL');
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!();
    } catch (error) {
      process.stderr.write(`cleanup failed: ${String(error)}\n`);
    }
  }
}

/** Runs a benchmark's main: clean-ups always run; a failure prints its stack and exits 1. */
export function runBenchmark(main: () => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  }
  main()
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    })
    .finally(cleanUp);
}
