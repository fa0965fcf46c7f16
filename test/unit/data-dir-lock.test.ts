import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  acquireDataDirLock,
  DataDirBusyError,
  lockPath,
  readDataDirLock,
  type DataDirLock,
  type LockInfo,
} from '../../src/db/data-dir-lock';

let root: string;
let dirCount = 0;
/** Locks taken by a test, released after it so one failing test cannot leak a lock. */
const held: DataDirLock[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'animerec-lock-'));
});

afterEach(() => {
  for (const lock of held.splice(0)) lock.release();
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A fresh data directory path (not created: acquire must create it). */
function dataDir(): string {
  return join(root, `data-${++dirCount}`, 'nested');
}

function acquire(dir: string, role: string): DataDirLock {
  const lock = acquireDataDirLock(dir, role);
  held.push(lock);
  return lock;
}

function lockFile(dir: string): LockInfo {
  return JSON.parse(readFileSync(lockPath(dir), 'utf8')) as LockInfo;
}

/** A pid that no longer exists: a child that has run and been reaped. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  expect(child.status).toBe(0);
  expect(child.pid).toBeGreaterThan(0);
  return child.pid!;
}

function writeLock(dir: string, info: object | string): void {
  writeFileSync(lockPath(dir), typeof info === 'string' ? info : JSON.stringify(info));
}

describe('acquireDataDirLock', () => {
  it.each(['server', 'ingest'])('creates the directory and a lock file naming this pid and role %s', (role) => {
    const dir = dataDir();
    const before = Date.now();
    const lock = acquire(dir, role);
    expect(lockPath(dir)).toBe(join(dir, 'animerec.lock'));
    const info = lockFile(dir);
    expect(info).toEqual({ pid: process.pid, role, startedAt: expect.any(String) });
    expect(Date.parse(info.startedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(info.startedAt)).toBeLessThanOrEqual(Date.now() + 1000);
    expect(lock.info).toEqual(info);
    expect(statSync(lockPath(dir)).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['server', 'the server'],
    ['ingest', '`ingest`'],
    ['migrate', '`migrate`'],
  ])('a second acquire while %s holds it throws DataDirBusyError naming %s and the pid', (role, holder) => {
    const dir = dataDir();
    acquire(dir, role);
    let error: unknown;
    try {
      acquire(dir, 'other');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DataDirBusyError);
    const busy = error as DataDirBusyError;
    expect(busy.code).toBe('DATA_DIR_BUSY');
    expect(busy.message).toContain(`data directory ${dir} is in use by ${holder} (pid ${process.pid})`);
    expect(busy.dataDir).toBe(dir);
    expect(busy.holder).toMatchObject({ pid: process.pid, role });
    // The holder's lock is untouched.
    expect(lockFile(dir)).toMatchObject({ pid: process.pid, role });
  });

  it('is refused while another live process holds the lock', () => {
    const dir = dataDir();
    acquire(dir, 'server').release();
    writeLock(dir, { pid: process.ppid, role: 'ingest', startedAt: new Date().toISOString() });
    expect(() => acquire(dir, 'server')).toThrow(DataDirBusyError);
    expect(() => acquire(dir, 'server')).toThrow(`(pid ${process.ppid})`);
  });

  it.each([
    ['a pid that has exited', () => ({ pid: deadPid(), role: 'ingest', startedAt: '2020-01-01T00:00:00.000Z' })],
    ['a lock file that is not JSON', () => '{"pid": 12'],
    ['a lock file without a pid', () => ({ role: 'server' })],
    ['an empty lock file', () => ''],
  ])('takes over a stale lock (%s)', (_name, stale) => {
    const dir = dataDir();
    acquire(dir, 'server').release();
    writeLock(dir, stale());
    expect(readDataDirLock(dir)).toBeNull();
    const lock = acquire(dir, 'ingest');
    expect(lockFile(dir)).toEqual(lock.info);
    expect(lock.info).toMatchObject({ pid: process.pid, role: 'ingest' });
    expect(readDataDirLock(dir)).toEqual(lock.info);
  });
});

describe('readDataDirLock', () => {
  it('returns the holder, or null when there is no lock', () => {
    const dir = dataDir();
    expect(readDataDirLock(dir)).toBeNull();
    const lock = acquire(dir, 'server');
    expect(readDataDirLock(dir)).toEqual({ pid: process.pid, role: 'server', startedAt: lock.info.startedAt });
  });
});

describe('release', () => {
  it('removes the lock file, after which the directory can be taken again', () => {
    const dir = dataDir();
    const first = acquire(dir, 'ingest');
    first.release();
    expect(existsSync(lockPath(dir))).toBe(false);
    expect(readDataDirLock(dir)).toBeNull();
    const second = acquire(dir, 'server');
    expect(readDataDirLock(dir)).toMatchObject({ pid: process.pid, role: 'server' });
    // Releasing the old handle again must not remove the new holder's lock.
    first.release();
    expect(readDataDirLock(dir)).toEqual(second.info);
  });

  it('leaves a lock that another process has taken over', () => {
    const dir = dataDir();
    const lock = acquire(dir, 'ingest');
    const other = { pid: process.ppid, role: 'server', startedAt: new Date().toISOString() };
    writeLock(dir, other);
    lock.release();
    expect(lockFile(dir)).toEqual(other);
  });
});

describe('advertiseJobs', () => {
  it.each([
    ['http://127.0.0.1:4000/jobs', 'secret-token'],
    ['http://[::1]:38211/jobs', 'a'.repeat(64)],
  ])('publishes %s with its token, in a file only the owner can read', (url, token) => {
    const dir = dataDir();
    const lock = acquire(dir, 'server');
    lock.advertiseJobs(url, token);
    expect(readDataDirLock(dir)).toEqual({ pid: process.pid, role: 'server', startedAt: lock.info.startedAt, jobs: { url, token } });
    expect(lock.info.jobs).toEqual({ url, token });
    expect(statSync(lockPath(dir)).mode & 0o777).toBe(0o600);
    // No temporary file is left beside the lock.
    expect(existsSync(`${lockPath(dir)}.${process.pid}.tmp`)).toBe(false);
  });

  it('keeps the lock held: a second acquire is still refused, and release removes it', () => {
    const dir = dataDir();
    const lock = acquire(dir, 'server');
    lock.advertiseJobs('http://127.0.0.1:4000/jobs', 't');
    expect(() => acquire(dir, 'ingest')).toThrow(DataDirBusyError);
    lock.release();
    expect(existsSync(lockPath(dir))).toBe(false);
  });
});
