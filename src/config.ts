/**
 * The one place that reads the environment. `loadConfig(env)` is pure: it validates every
 * setting, applies defaults and fails with one message naming the bad variable.
 */
import { AppError } from './errors';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { projectPath } from './paths';
import { MODEL_KINDS, type ModelKind } from './models/kinds';
import { BACKENDS, type BackendName } from './models/backend-names';
import { DEFAULT_MODEL_VERSIONS_KEPT } from './versions/retention';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const portNumber = z.string().regex(/^\d+$/, 'must be a port number').transform(Number).pipe(z.number().max(65535));

const wholeNumber = z.string().regex(/^\d+$/, 'must be a whole number').transform(Number);

/** proxy-addr's names for address ranges (what fastify's trustProxy accepts besides addresses). */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** An IPv4/IPv6 address, optionally with a /prefix, or one of PROXY_RANGE_NAMES. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/**
 * Which proxies' X-Forwarded-For to believe for the client address (rate limits per address):
 * false (none: the socket's peer), true (any), a hop count, or proxy addresses/ranges.
 */
const trustProxySetting = z.string().transform((value, context): boolean | number | string[] => {
  if (value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const bad = entries.find((entry) => !isProxyAddress(entry));
  if (entries.length === 0 || bad !== undefined) {
    context.addIssue({ code: 'custom', message: `must be false, true, a hop count, or proxy addresses/CIDR ranges (or ${PROXY_RANGE_NAMES.join(', ')}) separated by commas${bad === undefined ? '' : `; ${JSON.stringify(bad)} is none of these`}` });
    return z.NEVER;
  }
  return entries;
});

const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  DATABASE_REPLICA_URLS: z
    .string()
    .transform((value) => value.split(',').map((url) => url.trim()).filter((url) => url !== ''))
    .pipe(z.array(z.string().regex(/^postgres(ql)?:\/\//, 'each URL must start with postgres:// or postgresql://')).min(1, 'must name at least one URL'))
    .optional(),
  DATABASE_REPLICA_MAX_LAG_MS: wholeNumber.pipe(z.number().min(1)).default(2000),
  DATA_DIR: z.string().min(1).default('.data'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: portNumber.default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  SEED_DEMO_DATA: booleanFlag.default(true),
  DEMO_DATA_DIR: z.string().min(1).optional(),
  ADMIN_TOKEN: z.string().min(16, 'must have at least 16 characters').optional(),
  TRAIN_AT_START: z.enum([...MODEL_KINDS, 'none']).default('retrieval'),
  PLAYGROUND_ENABLED: booleanFlag.default(true),
  GRAPHIQL_ENABLED: booleanFlag.default(true),
  TFJS_BACKEND: z.enum(['auto', ...BACKENDS]).default('auto'),
  SCORING_THREADS: z.union([z.literal('auto'), wholeNumber.pipe(z.number().max(64))]).default('auto'),
  CORS_ORIGINS: z
    .string()
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter((origin) => origin !== ''))
    .pipe(z.array(z.union([z.literal('*'), z.url({ protocol: /^https?$/, message: 'each origin must be * or an http(s) URL' })])))
    .optional(),
  GRAPHQL_INTROSPECTION: booleanFlag.optional(),
  ERROR_STACKTRACES: booleanFlag.default(false),
  QUERY_COST_LIMIT: wholeNumber.pipe(z.number().min(100, 'must be at least 100')).default(50_000),
  QUERY_ADMISSION_WAIT_MS: wholeNumber.pipe(z.number().min(1, 'must be at least 1 ms').max(600_000, 'must be at most 600000 ms (10 minutes)')).default(15_000),
  TOKEN_TTL_DAYS: wholeNumber.pipe(z.number().min(1, 'must be at least 1 day').max(3650, 'must be at most 3650 days (10 years)')).default(90),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  TRUST_PROXY: trustProxySetting.default(false),
  METRICS_PORT: portNumber.optional(),
  RATE_LIMIT_WINDOW_S: wholeNumber.pipe(z.number().min(1)).default(60),
  RATE_LIMIT_MUTATIONS_PER_TOKEN: wholeNumber.default(600),
  RATE_LIMIT_MUTATIONS_PER_IP: wholeNumber.default(1200),
  MODEL_VERSIONS_KEPT: wholeNumber.pipe(z.number().min(1, 'must be at least 1').max(1000)).default(DEFAULT_MODEL_VERSIONS_KEPT),
});

export interface Config {
  /** PostgreSQL connection string; undefined selects the embedded database. */
  databaseUrl: string | undefined;
  /**
   * Streaming read replicas of DATABASE_URL for reads that tolerate lag (`urls` empty: none);
   * one further behind the primary than `maxLagMs` takes no reads until it catches up.
   */
  replicas: { urls: string[]; maxLagMs: number };
  /** Where the embedded database and its lock file live (absolute). */
  dataDir: string;
  host: string;
  port: number;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  nodeEnv: z.infer<typeof envSchema>['NODE_ENV'];
  /** Ingest the shipped demo data at start-up when the database has no anime. */
  seedDemoData: boolean;
  /** Folder with the shipped demo files (anime.csv.gz, ratings). */
  demoDataDir: string;
  /** Bearer token of the administrator (activate models, start training); unset: no admin. */
  adminToken: string | undefined;
  /** The model kind trained in the background at start-up when no model is active; null: none. */
  trainAtStart: ModelKind | null;
  /** The tensor backend for serving and training; undefined: the fastest found (GPU first). */
  tfjsBackend: BackendName | undefined;
  /** Threads that run recommendations' head passes on the CPU backends (0: the main thread does). */
  scoringThreads: number;
  /** Serve the playground UI at `/` (built by `npm run build:web`). */
  playgroundEnabled: boolean;
  /** Serve GraphiQL at `/graphiql`. */
  graphiqlEnabled: boolean;
  /** Origins allowed to call the API from a browser (CORS); empty: none but the server's own. */
  corsOrigins: string[];
  /** Whether the schema may be introspected (GraphiQL needs it); default: not in production. */
  introspection: boolean;
  /** Put stack traces (with file paths) into GraphQL error responses; off unless set: they help an attacker. */
  errorStacktraces: boolean;
  /** Most estimated cost one request may have (src/graphql/limits.ts); over it: QUERY_TOO_COSTLY. */
  queryCostLimit: number;
  /**
   * Longest a request waits for room while costly requests run (at most QUERY_COST_LIMIT of
   * estimated cost runs at once; src/graphql/admission.ts); then SERVICE_UNAVAILABLE.
   */
  queryAdmissionWaitMs: number;
  /** Days an API token is accepted after it is issued (createUser, rotateToken). */
  tokenTtlDays: number;
  /** Mutation budgets per window, per token (signed-in user) and per client IP; 0 turns one off. */
  rateLimit: { windowSeconds: number; mutationsPerToken: number; mutationsPerIp: number };
  /** Ready model versions kept besides the active one after each training run; older ones are dropped. */
  modelVersionsKept: number;
  /** Redis for the rate-limit counters shared by several servers; unset: PostgreSQL (or memory, embedded). */
  redisUrl: string | undefined;
  /** Proxies whose X-Forwarded-For gives the client address (fastify's trustProxy); false: none. */
  trustProxy: boolean | number | string[];
  /** Port of the Prometheus `/metrics` endpoint, on HOST; undefined: no metrics. */
  metricsPort: number | undefined;
}

/** An environment variable animerec cannot use; start-up stops with its one-line message. */
export class ConfigError extends AppError {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
}

/** The environment variables animerec reads, with their defaults, for docs and `--help`. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Treat empty strings as unset, as shells and compose files often pass them.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`invalid ${variable}=${JSON.stringify(present[variable])}: ${issue.message}`);
  }
  const e = parsed.data;
  if (e.DATABASE_REPLICA_URLS && !e.DATABASE_URL) {
    throw new ConfigError('invalid DATABASE_REPLICA_URLS: read replicas need DATABASE_URL (the primary); the embedded database has none');
  }
  return {
    databaseUrl: e.DATABASE_URL,
    replicas: { urls: e.DATABASE_REPLICA_URLS ?? [], maxLagMs: e.DATABASE_REPLICA_MAX_LAG_MS },
    dataDir: resolve(e.DATA_DIR),
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    nodeEnv: e.NODE_ENV,
    seedDemoData: e.SEED_DEMO_DATA,
    demoDataDir: resolve(e.DEMO_DATA_DIR ?? projectPath('data')),
    adminToken: e.ADMIN_TOKEN,
    trainAtStart: e.TRAIN_AT_START === 'none' ? null : e.TRAIN_AT_START,
    tfjsBackend: e.TFJS_BACKEND === 'auto' ? undefined : e.TFJS_BACKEND,
    // One per core but the main thread's: on 2 cores a second scoring thread measured slower
    // (233 vs 271 req/s of recommendations), as the threads then fight the main thread.
    scoringThreads: e.SCORING_THREADS === 'auto' ? Math.max(1, availableParallelism() - 1) : e.SCORING_THREADS,
    playgroundEnabled: e.PLAYGROUND_ENABLED,
    graphiqlEnabled: e.GRAPHIQL_ENABLED,
    corsOrigins: e.CORS_ORIGINS ?? [],
    introspection: e.GRAPHQL_INTROSPECTION ?? e.NODE_ENV !== 'production',
    errorStacktraces: e.ERROR_STACKTRACES,
    queryCostLimit: e.QUERY_COST_LIMIT,
    queryAdmissionWaitMs: e.QUERY_ADMISSION_WAIT_MS,
    tokenTtlDays: e.TOKEN_TTL_DAYS,
    rateLimit: {
      windowSeconds: e.RATE_LIMIT_WINDOW_S,
      mutationsPerToken: e.RATE_LIMIT_MUTATIONS_PER_TOKEN,
      mutationsPerIp: e.RATE_LIMIT_MUTATIONS_PER_IP,
    },
    modelVersionsKept: e.MODEL_VERSIONS_KEPT,
    redisUrl: e.REDIS_URL,
    trustProxy: e.TRUST_PROXY,
    metricsPort: e.METRICS_PORT,
  };
}
