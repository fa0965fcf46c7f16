/**
 * Real processes for tests and benchmarks: the server as `npm start` runs it (src/main.ts) with
 * an environment of our choosing, CLI runs (training/*.ts, test helpers run as scripts) and any
 * command, each run to its end with its output collected, or killable by any signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
const LISTENING = /animerec listening on (http:\/\/\S+)/;

/** The environment for a child: ours without animerec's settings, plus `env`. */
function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'DATA_DIR', 'PORT', 'ANIMEREC_FAILPOINT', 'ADMIN_TOKEN', 'TRAIN_AT_START', 'SEED_DEMO_DATA', 'NODE_ENV']) delete base[name];
  for (const [name, value] of Object.entries(env)) if (value !== undefined) base[name] = value;
  return base;
}

function nodeArgs(script: string, args: string[] = []): string[] {
  return ['-r', '@swc-node/register', join(ROOT, script), ...args];
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit signal (or code) when the process is gone. */
  exited: Promise<NodeJS.Signals | number | null>;
  /** The last lines of its stderr, for failure messages. */
  tail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts src/main.ts with `env` (port 0, loopback, no training and no demo data unless `env`
 * says otherwise) and waits for it to listen.
 */
export function startServerProcess(env: Record<string, string | undefined>, timeoutMs = 120_000): Promise<ServerProcess> {
  const serverEnv = childEnv({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', NODE_ENV: 'production', TRAIN_AT_START: 'none', SEED_DEMO_DATA: 'false', ...env });
  return launchServer(process.execPath, nodeArgs('src/main.ts'), serverEnv, { timeoutMs });
}

/**
 * Spawns a server command (src/main.ts, possibly behind a wrapper such as taskset) with exactly
 * `env`, and waits for its "listening" line; a server that exits or does not listen in time is
 * killed and the error carries the end of its stderr. `onSpawn` sees the child at once (to track
 * it for clean-up or to echo its output).
 */
export async function launchServer(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  { timeoutMs, onSpawn }: { timeoutMs: number; onSpawn?: (child: ChildProcess) => void },
): Promise<ServerProcess> {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  onSpawn?.(child);
  const lines: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split(/\r?\n|\r/)) if (line.trim() !== '') lines.push(line);
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  });
  const exited = new Promise<NodeJS.Signals | number | null>((done) => child.once('exit', (code, signal) => done(signal ?? code)));
  const url = await new Promise<string>((done, fail) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`the server did not listen within ${timeoutMs / 1000} s:\n${lines.join('\n')}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const match = LISTENING.exec(stdout);
      if (match) {
        clearTimeout(timer);
        done(match[1]!);
      }
      if (stdout.length > 100_000) stdout = stdout.slice(-10_000);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`the server exited (${signal ?? `code ${code}`}) before listening:\n${lines.join('\n')}`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    url,
    child,
    exited,
    tail: () => lines.join('\n'),
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface CliOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a CLI script (e.g. training/train.ts) to its end, killed after `timeoutMs`. */
export function runCli(script: string, args: string[], env: Record<string, string | undefined>, timeoutMs = 120_000): Promise<CliOutcome> {
  return startCli(script, args, env, timeoutMs).outcome;
}

/** Starts a CLI script, for a test that signals it (Ctrl-C is SIGINT) while it runs. */
export function startCli(script: string, args: string[], env: Record<string, string | undefined>, timeoutMs = 120_000): RunningProcess {
  return startProcess(process.execPath, nodeArgs(script, args), env, timeoutMs);
}

/** Runs a command (e.g. `npm run …`) in the repository root to its end, killed after `timeoutMs`. */
export function runProcess(command: string, args: string[], env: Record<string, string | undefined>, timeoutMs = 120_000): Promise<CliOutcome> {
  return startProcess(command, args, env, timeoutMs).outcome;
}

export interface RunningProcess {
  child: ChildProcess;
  /** Resolves when it has exited, with its output. */
  outcome: Promise<CliOutcome>;
}

function startProcess(command: string, args: string[], env: Record<string, string | undefined>, timeoutMs: number): RunningProcess {
  const child = spawn(command, args, { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const outcome = new Promise<CliOutcome>((done, fail) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
  return { child, outcome };
}
