/**
 * The server over real HTTP: start-up (migrate, demo data), /healthz, /graphql, the data
 * directory lock, and CLI jobs handed to the running server on the embedded database.
 */
import { loadConfig } from '../../src/config';
import { acquireDataDirLock, DataDirBusyError, readDataDirLock } from '../../src/db/data-dir-lock';
import { silentProgress } from '../../src/progress';
import { createLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/server/start';
import { tempDir } from '../helpers/data-slices';
import { describeEachDriver } from '../helpers/databases';
import { graphql } from '../helpers/graphql';
import { runCli } from '../helpers/processes';
import { startSliceServer, type SliceServer } from '../helpers/slice-server';

const SLICE_ROWS = 2000;
const logger = createLogger('silent');

describeEachDriver('server', (driver) => {
  let slice: SliceServer;
  let server: RunningServer;

  beforeAll(async () => {
    slice = await startSliceServer({ ratingRows: SLICE_ROWS, driver });
    server = slice.server;
  });
  afterAll(() => slice?.close());

  it('answers /healthz', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', database: driver.name });
  });

  it('migrated the new database and loaded the demo data at start-up', async () => {
    const result = await graphql(server.url, '{ catalogStats { anime users ratings watched } }');
    const stats = result.data!.catalogStats as Record<string, number>;
    expect(stats.anime).toBe(12294);
    expect(stats.ratings! + stats.watched!).toBe(SLICE_ROWS);
  });

  it('serves GraphQL over HTTP', async () => {
    const result = await graphql(server.url, '{ anime(id: 5114) { id name type episodes genres } missing: anime(id: 999999999) { id } }');
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      anime: { id: 5114, name: 'Fullmetal Alchemist: Brotherhood', type: 'TV', episodes: 64, genres: ['Action', 'Adventure', 'Drama', 'Fantasy', 'Magic', 'Military', 'Shounen'] },
      missing: null,
    });
  });

  it('rejects an invalid argument with BAD_USER_INPUT-class errors and no stack trace', async () => {
    const result = await graphql(server.url, '{ anime(id: "x") { id } }');
    expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(result)).not.toContain('stacktrace');
  });

  if (driver.name === 'embedded') {
    it('owns the data directory: a second server or a local job is refused with a clear message', async () => {
      expect(readDataDirLock(slice.dataDir)).toMatchObject({ pid: process.pid, role: 'server', jobs: { url: server.url } });
      expect(() => acquireDataDirLock(slice.dataDir, 'ingest')).toThrow(DataDirBusyError);
      expect(() => acquireDataDirLock(slice.dataDir, 'ingest')).toThrow(`is in use by the server (pid ${process.pid})`);
    });

    it('runs `npm run ingest` inside the running server, and reports its errors as one line', async () => {
      const env = { DATA_DIR: slice.dataDir, LOG_LEVEL: 'silent' };
      const good = slice.files.write('more.csv', 'user_id,anime_id,rating\r\n4999,5114,10\r\n');
      const ok = await runCli('training/ingest.ts', ['--ratings', good, '--quiet'], env);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('(in the running server)');
      const { rows } = await server.db.query('SELECT rating FROM rating WHERE user_id = 4999 AND anime_id = 5114');
      expect(rows).toEqual([{ rating: 10 }]);

      const bad = slice.files.write('bad.csv', 'user_id,anime_id,rating\r\n1,5114,99\r\n');
      const failed = await runCli('training/ingest.ts', ['--ratings', bad, '--quiet'], env);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toBe(`animerec ingest: ${bad}:2: rating must be -1 (watched) or between 1 and 10, found 99\n`);
      // Both ran through the server's job runner, listed like its own jobs.
      const runs = await server.jobs.list({ names: ['ingest'], first: 2 });
      expect(runs.map(({ origin, status, error }) => ({ origin, status, error }))).toEqual([
        { origin: 'cli', status: 'failed', error: `${bad}:2: rating must be -1 (watched) or between 1 and 10, found 99` },
        { origin: 'cli', status: 'succeeded', error: null },
      ]);
    });
  }
});

describe('embedded data directory without a server', () => {
  it('refuses to start a server while a CLI job holds the directory', async () => {
    const files = tempDir();
    const config = loadConfig({ DATA_DIR: files.path, PORT: '0', SEED_DEMO_DATA: 'false' });
    const lock = acquireDataDirLock(config.dataDir, 'ingest');
    try {
      await expect(startServer(config, logger, silentProgress)).rejects.toThrow(
        `data directory ${config.dataDir} is in use by \`ingest\` (pid ${process.pid})`,
      );
    } finally {
      lock.release();
      files.remove();
    }
  });

  it('a CLI job with bad arguments exits 2 with one line and the usage', async () => {
    const result = await runCli('training/ingest.ts', ['--ratings', 'x.csv', '--format', 'parquet'], {});
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe('animerec ingest: --format must be one of kaggle, movielens, got "parquet"');
  });
});
