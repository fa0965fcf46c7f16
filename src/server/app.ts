/** The HTTP application: GraphQL at /graphql, health at /healthz, CLI jobs on the embedded database. */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from '../config';
import type { Database } from '../db/database';
import { bearerToken, createContext, type GraphQLContext } from '../graphql/context';
import cors from '@fastify/cors';
import { contextError, errorStatusPlugin, formatError } from '../graphql/format-error';
import { CostAdmission } from '../graphql/admission';
import { queryCostPlugin, queryLimitsRule, servedListSizes } from '../graphql/limits';
import type { ModelCache } from '../recsys/model-cache';
import { VerifiedTokens } from '../recsys/tokens';
import { knownGenuine } from '../recsys/users';
import type { JobRunner } from '../jobs/job-runner';
import type { AnimeCatalog } from '../recsys/anime-catalog';
import { buildGraphQLSchema } from '../graphql/schema';
import { registerJobRoutes } from '../jobs/remote-jobs';
import type { Logger } from '../logger';
import { BadTokenLimiter, mutationRateLimitPlugin } from './rate-limit';
import { openRateLimitStore } from './rate-limit-store';
import { foldInReadsPlugin } from './fold-in-reads';
import type { Metrics } from './metrics';
import { registerPlayground } from './playground';
import { registerSecurityHeaders } from './security-headers';
import { registerUtf8JsonParser, rejectNulPlugin, unsupportedOperationPlugin } from './input-guards';

/** Largest request body accepted (a GraphQL query with variables is far smaller). */
export const BODY_LIMIT_BYTES = 1 << 20;
/** Most lexical tokens a GraphQL document may have (GRAPHQL_PARSE_FAILED beyond). */
export const MAX_QUERY_TOKENS = 15_000;

export interface AppOptions {
  config: Config;
  db: Database;
  models: ModelCache;
  logger: Logger;
  /** When set, CLI jobs may run in this server (embedded database only). */
  jobToken?: string;
  /** Runs every job of this server: API, start-up and CLI jobs sent here. */
  jobs: JobRunner;
  catalog: AnimeCatalog;
  /** Prometheus metrics of the requests (METRICS_PORT); undefined: none collected. */
  metrics?: Metrics;
}

/** TRUST_PROXY for fastify; a hop count becomes proxy-addr's trust function (hop 0 is the socket's peer). */
function trustedProxies(setting: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}

/** The cost limit, with the map's and the embeddings' sizes taken from the served model. */
function queryCost(config: Config, models: ModelCache) {
  return queryCostPlugin<GraphQLContext>({
    budget: config.queryCostLimit,
    admission: new CostAdmission({ capacity: config.queryCostLimit, maxWaitMs: config.queryAdmissionWaitMs }),
    listSize: servedListSizes(() => {
      const served = models.current();
      return served ? { items: served.itemRow.size, embeddingDim: served.model.hyper.embeddingDim } : undefined;
    }),
  });
}

export async function buildApp({ config, db, models, logger, jobToken, jobs, catalog, metrics }: AppOptions): Promise<FastifyInstance> {
  // No log line per request: errors are logged once, by formatError.
  const logController = new LogController({ disableRequestLogging: true });
  const app: FastifyInstance = Fastify({ loggerInstance: logger as FastifyBaseLogger, logController, bodyLimit: BODY_LIMIT_BYTES, trustProxy: trustedProxies(config.trustProxy) });
  const limitStore = openRateLimitStore(db, config.redisUrl, logger);
  app.addHook('onClose', () => limitStore.close());
  const apollo = new ApolloServer<GraphQLContext>({
    schema: await buildGraphQLSchema(),
    includeStacktraceInErrorResponses: config.errorStacktraces,
    formatError: formatError(logger),
    validationRules: [queryLimitsRule()],
    // Parsing stops here: a 1 MB query of 50,000 fields took ~0.5-2 s to parse before the limits
    // above could refuse it; 15,000 tokens fit 1,000 literal predictRatings pairs.
    parseOptions: { maxTokens: MAX_QUERY_TOKENS },
    introspection: config.introspection,
    // The default landing page (Apollo Sandbox) loads from a CDN, which fails offline.
    // No cache hints are used: the cache-control plugin would only add per-field work.
    plugins: [fastifyApolloDrainPlugin(app), ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled(), unsupportedOperationPlugin(), rejectNulPlugin(), queryCost(config, models), mutationRateLimitPlugin(config.rateLimit, limitStore), foldInReadsPlugin(), errorStatusPlugin(), ...(metrics ? [metrics.plugin()] : [])],
  });
  // No CORS_ORIGINS: no CORS headers at all, so browsers allow only same-origin pages.
  if (config.corsOrigins.length > 0) {
    await app.register(cors, { origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins, methods: ['GET', 'POST'], maxAge: 600 });
  }
  await registerSecurityHeaders(app);
  await apollo.start();
  registerUtf8JsonParser(app);
  const badTokens = new BadTokenLimiter(config.rateLimit, limitStore, config.adminToken);
  const verifiedTokens = new VerifiedTokens();
  const services = { db, catalog, models, jobs, logger, verifiedTokens, adminToken: config.adminToken, tokenTtlDays: config.tokenTtlDays };
  await app.register(fastifyApollo(apollo), {
    context: async (request) => {
      try {
        const { authorization } = request.headers;
        const token = bearerToken(authorization);
        if (token !== undefined) await badTokens.check(request.ip, token, () => knownGenuine(db, verifiedTokens, token));
        const context = await createContext(services, authorization, request.ip);
        if (context.caller.badToken && token !== undefined) await badTokens.failed(request.ip, token);
        return context;
      } catch (error) {
        throw contextError(error);
      }
    },
  });

  app.get('/healthz', async (_request, reply) => {
    try {
      await db.query('SELECT 1');
      return { status: 'ok', database: db.driver };
    } catch (error) {
      logger.warn({ err: error }, 'health check failed');
      return reply.code(503).send({ status: 'unavailable', database: db.driver });
    }
  });

  await registerPlayground(app, { playground: config.playgroundEnabled, graphiql: config.graphiqlEnabled });
  if (jobToken !== undefined) registerJobRoutes(app, { jobs, token: jobToken });
  return app;
}
