/**
 * A private, throwaway PostgreSQL cluster for the fault scripts: initdb in a temp folder, its
 * own port, started and stopped (or restarted) at will — never the shared server. pgvector
 * must be installed for the machine's PostgreSQL (it is, for the system's PG15 here).
 * PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const BIN_CANDIDATES = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];

function binDir(): string {
  const found = process.env.PG_BIN ?? BIN_CANDIDATES.find((dir) => existsSync(join(dir, 'initdb')));
  if (!found) throw new Error(`no PostgreSQL binaries found (set PG_BIN; looked in ${BIN_CANDIDATES.join(', ')})`);
  return found;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => done(port));
    });
  });
}

export interface PrivatePostgres {
  /** Superuser URL of database `postgres` on this cluster. */
  adminUrl: string;
  port: number;
  stop(mode?: 'fast' | 'immediate'): void;
  start(): void;
  /** Stops (fast: open connections are terminated), then starts again. */
  restart(): void;
  destroy(): void;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const root = mkdtempSync(join(tmpdir(), 'animerec-private-pg-'));
  const data = join(root, 'data');
  const asRoot = userInfo().uid === 0;
  if (asRoot) chownSync(root, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), Number(execFileSync('id', ['-g', 'postgres']).toString().trim()));
  const run = (tool: string, args: string[]) => {
    const [command, full] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    execFileSync(command, full, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  };
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=100`;
  const log = join(root, 'server.log');
  const start = () => run('pg_ctl', ['-D', data, '-o', options, '-l', log, '-w', '-t', '60', 'start']);
  const stop = (mode: 'fast' | 'immediate' = 'fast') => run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
  start();
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    restart() {
      stop('fast');
      start();
    },
    destroy() {
      try {
        if (existsSync(join(data, 'postmaster.pid'))) stop('immediate');
      } catch {
        // already stopped
      }
      if (statSync(root, { throwIfNoEntry: false })) rmSync(root, { recursive: true, force: true });
    },
  };
}
