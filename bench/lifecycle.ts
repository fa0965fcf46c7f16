/**
 * What every benchmark script shares: clean-ups that run at the end, on failure and on Ctrl-C
 * (temp folders, scratch databases, a running child process), and the main() wrapper.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { compiledEntry } from '../training/compile';
import { PROJECT_ROOT } from '../src/paths';

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

export interface BenchChildOptions {
  /** Each complete stdout line, in order. */
  onLine(line: string): void;
  /** Whether the child delivered what it was run for (checked when it exits). */
  succeeded(): boolean;
  /** Kill it (SIGKILL) after this long; undefined: no limit. */
  timeoutSeconds?: number;
  /** Set in its environment, over this process's. */
  env?: Record<string, string>;
  /**
   * Run the script's JavaScript compiled into build/ (compiled first if needed), as the CLI
   * whose memory it measures runs, instead of compiling it on the fly.
   */
  compiled?: boolean;
}

/**
 * Runs a benchmark's child script (TypeScript, from the repository root) as the running child,
 * feeding its stdout lines to `onLine`. Resolves when it exits with why it failed: killed at the
 * timeout, or exited without `succeeded()` (with the end of its stderr); undefined otherwise.
 */
export function runBenchChild(script: string, args: string[], options: BenchChildOptions): Promise<string | undefined> {
  return new Promise((resolvePromise) => {
    const command = options.compiled ? [compiledEntry(script)] : ['-r', '@swc-node/register', script];
    const child = spawn(process.execPath, [...command, ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    setRunningChild(child);
    let failure: string | undefined;
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      let newline: number;
      while ((newline = stdout.indexOf('\n')) >= 0) {
        const line = stdout.slice(0, newline);
        stdout = stdout.slice(newline + 1);
        options.onLine(line);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const { timeoutSeconds } = options;
    const timer =
      timeoutSeconds === undefined
        ? undefined
        : setTimeout(() => {
            failure = `killed after ${timeoutSeconds} s`;
            child.kill('SIGKILL');
          }, timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      setRunningChild(undefined);
      if (!options.succeeded() && !failure) failure = `exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`;
      resolvePromise(failure);
    });
  });
}

/** Runs `fn` on every item, at most `limit` at a time. */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
