/**
 * One process owns an embedded data directory at a time (PGlite is in-process; two processes
 * writing the same files would corrupt them). The owner holds `animerec.lock` in DATA_DIR:
 * created atomically, naming its pid and role. A server also writes the loopback address and
 * a secret token there, so CLI jobs can hand their work to the running server instead of
 * opening the files themselves (see src/jobs/run-job.ts). A lock whose pid is gone is stale
 * and is taken over.
 */
import { mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../errors';

export interface LockInfo {
  pid: number;
  /** "server" or the CLI command holding it (e.g. "ingest"). */
  role: string;
  startedAt: string;
  /** Set by a listening server: where CLI jobs are sent, and the token they must present. */
  jobs?: { url: string; token: string };
}

/** Another process holds the embedded database's folder. */
export class DataDirBusyError extends AppError {
  override readonly name = 'DataDirBusyError';
  readonly code = 'DATA_DIR_BUSY';
  constructor(
    readonly dataDir: string,
    readonly holder: LockInfo,
  ) {
    super(
      `data directory ${dataDir} is in use by ${holder.role === 'server' ? 'the server' : `\`${holder.role}\``} (pid ${holder.pid}); ` +
        'wait for it to finish, or set DATABASE_URL to use PostgreSQL',
    );
  }
}

export function lockPath(dataDir: string): string {
  return join(dataDir, 'animerec.lock');
}

/** Whether a process with this pid exists (ours or someone else's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live holder of the data directory, or null when it is free (no lock, or a stale one). */
export function readDataDirLock(dataDir: string): LockInfo | null {
  let info: LockInfo;
  try {
    info = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as LockInfo;
  } catch {
    return null;
  }
  return typeof info.pid === 'number' && isAlive(info.pid) ? info : null;
}

export interface DataDirLock {
  readonly info: LockInfo;
  /** Publishes the server's job endpoint and the token clients must send to it. */
  advertiseJobs(url: string, token: string): void;
  release(): void;
}

/** Takes the data directory for this process or throws DataDirBusyError naming the holder. */
export function acquireDataDirLock(dataDir: string, role: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = lockPath(dataDir);
  const info: LockInfo = { pid: process.pid, role, startedAt: new Date().toISOString() };
  // Two tries: the second follows the removal of a stale lock (another process may win it).
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeFileSync(fd, JSON.stringify(info));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readDataDirLock(dataDir);
      if (holder) throw new DataDirBusyError(dataDir, holder);
      if (attempt > 0) throw error;
      rmSync(path, { force: true });
    }
  }
  let released = false;
  return {
    info,
    advertiseJobs(url, token) {
      info.jobs = { url, token };
      // Write-then-rename so a reader never sees half a file.
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(info), { mode: 0o600 });
      renameSync(temporary, path);
    },
    release() {
      if (released) return;
      released = true;
      const current = readDataDirLock(dataDir);
      if (current?.pid === process.pid) rmSync(path, { force: true });
    },
  };
}
