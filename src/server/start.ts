/**
 * Start-up: take the data directory (embedded), open and migrate the database, load the demo
 * data into an empty one, listen, and on the embedded database accept CLI jobs.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config';
import { acquireDataDirLock, type DataDirLock } from '../db/data-dir-lock';
import type { Database } from '../db/database';
import { migrate } from '../db/migrate';
import { openDatabase } from '../db/open';
import { seedDemoDataIfEmpty } from '../ingest/demo';
import type { ProgressSink } from '../progress';
import type { Logger } from '../logger';
import { ModelCache } from '../recsys/model-cache';
import { selectBackend } from '../models/backend';
import { ScoringPool } from '../recsys/scoring-thread';
import { FoldInThread } from '../recsys/fold-in-thread';
import { JobRunner } from '../jobs/job-runner';
import { AnimeCatalog } from '../recsys/anime-catalog';
import { buildApp } from './app';
import { Metrics } from './metrics';

export interface RunningServer {
  app: FastifyInstance;
  db: Database;
  models: ModelCache;
  jobs: JobRunner;
  /** http://host:port */
  url: string;
  /** Where `/metrics` is served (METRICS_PORT); undefined when off. */
  metricsUrl: string | undefined;
  close(): Promise<void>;
}

function urlOf(app: FastifyInstance): string {
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
}

async function hasRatings(db: Database): Promise<boolean> {
  const { rows } = await db.query<{ present: boolean }>('SELECT EXISTS (SELECT 1 FROM rating) AS present');
  return rows[0]!.present;
}

export async function startServer(config: Config, logger: Logger, progress: ProgressSink): Promise<RunningServer> {
  const lock: DataDirLock | undefined =
    config.databaseUrl === undefined ? acquireDataDirLock(config.dataDir, 'server') : undefined;
  let db: Database | undefined;
  try {
    db = await openDatabase(config, logger);
    logger.info({ driver: db.driver, location: db.location }, 'database open');
    const migrated = await migrate(db);
    if (migrated.applied.length > 0) logger.info({ applied: migrated.applied }, 'migrations applied');
    if (config.seedDemoData) {
      const seeded = await seedDemoDataIfEmpty(db, config.demoDataDir, progress);
      if (seeded) logger.info({ anime: seeded.anime.inserted, ratings: seeded.ratings.inserted, seconds: seeded.seconds }, 'demo data loaded');
    }
    // Only on the embedded database must CLI jobs run in here (one process owns the files).
    const jobToken = lock ? randomBytes(24).toString('hex') : undefined;
    // The served model heads run on the fastest tensor backend (GPU first), chosen once at
    // start-up unless TFJS_BACKEND names one.
    const backend = await selectBackend(config.tfjsBackend, logger);
    // The scoring threads boot (each its own tfjs) while the catalog loads; none when scoring runs on a GPU.
    const threadStarting = ScoringPool.start(backend.scoring, config.scoringThreads, logger);
    const catalog = new AnimeCatalog(db, logger);
    await catalog.load();
    catalog.start();
    const scoringThread = await threadStarting;
    // Retrieval fold-ins (one after every rating) run beside the main thread.
    const foldInThread = FoldInThread.start(logger);
    const models = new ModelCache(db, logger, scoringThread, foldInThread);
    await models.refresh();
    await models.start();
    const jobs = new JobRunner(db, {
      logger,
      modelVersionsKept: config.modelVersionsKept,
      // Serve a version trained here at once; other servers hear of it by NOTIFY (model-sync.ts).
      onSucceeded: async (name) => {
        if (name === 'train' || name === 'tune') await models.refresh();
      },
    });
    const metrics = config.metricsPort === undefined ? undefined : new Metrics({ db, models, jobs });
    const app = await buildApp({ config, db, models, logger, jobToken, jobs, catalog, metrics });
    await app.listen({ host: config.host, port: config.port });
    const url = urlOf(app);
    const metricsEndpoint = metrics && (await metrics.serve(config.host, config.metricsPort!));
    if (metricsEndpoint) logger.info({ url: metricsEndpoint.url }, 'metrics served');
    if (lock && jobToken) lock.advertiseJobs(url, jobToken);
    if (config.trainAtStart && !models.current() && (await hasRatings(db))) {
      // Serve at once; the model arrives when trained (trainingRuns shows the progress).
      logger.info({ kind: config.trainAtStart }, 'no model is active: training one in the background');
      await jobs.start('train', { kind: config.trainAtStart, preset: 'default', overrides: {}, activate: 'always', map: 'umap' }, { origin: 'start-up', observer: progress });
    }
    const opened = db;
    return {
      app,
      db: opened,
      models,
      jobs,
      url,
      metricsUrl: metricsEndpoint?.url,
      async close() {
        catalog.stop();
        await metricsEndpoint?.close();
        // Its runs (a CLI's streamed job included, which would hold app.close) end as aborted while the database is open.
        await jobs.stop();
        await app.close();
        // After the last request: the fold-ins it scheduled still reach the database.
        await models.stop();
        await opened.close();
        await scoringThread?.close();
        await foldInThread?.close();
        lock?.release();
      },
    };
  } catch (error) {
    await db?.close().catch(() => undefined);
    lock?.release();
    throw error;
  }
}
