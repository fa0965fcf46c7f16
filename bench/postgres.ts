/** PostgreSQL helpers for the benchmarks: throwaway databases and the `psql \copy` ceiling. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const BENCH_POSTGRES_URL =
  process.env.BENCH_POSTGRES_URL || process.env.TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function serverVersion(adminUrl: string): Promise<string> {
  return withClient(adminUrl, async (client) => {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return `PostgreSQL ${rows[0]!.server_version}`;
  });
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** The URL of database `name` on the server of `adminUrl`. */
export function databaseUrlOf(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops database `name` if it exists and creates it empty. */
export async function recreateDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  });
}

/**
 * Creates a uniquely named database on the server of `adminUrl`: empty, or a copy of
 * `template` (PostgreSQL copies it file by file; nobody may be connected to it meanwhile).
 */
export async function createScratchDatabase(adminUrl: string, template?: string): Promise<ScratchDatabase> {
  const name = `animerec_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}${template === undefined ? '' : ` TEMPLATE ${template}`}`));
  return {
    url: databaseUrlOf(adminUrl, name),
    drop: () => withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

export async function query(url: string, sql: string): Promise<void> {
  await withClient(url, (client) => client.query(sql));
}

/** Runs psql and returns its wall time in seconds: process start, connect, the command, exit. */
export function timePsql(url: string, command: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const psql = spawn('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', command], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    psql.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    psql.on('error', reject);
    psql.on('close', (code) => {
      if (code === 0) resolve((performance.now() - started) / 1000);
      else reject(new Error(`psql exited with ${code}: ${stderr.trim()}`));
    });
  });
}
