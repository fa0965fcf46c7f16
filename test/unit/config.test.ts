import { isAbsolute, basename, join, resolve } from 'node:path';
import { ConfigError, CONFIG_VARIABLES, loadConfig } from '../../src/config';

/** The error loadConfig fails with; fails the test when it succeeds. */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    return error as ConfigError;
  }
  throw new Error(`expected loadConfig(${JSON.stringify(env)}) to fail`);
}

describe('loadConfig defaults', () => {
  it('applies every default to an empty environment', () => {
    const config = loadConfig({});
    expect(isAbsolute(config.dataDir)).toBe(true);
    expect(basename(config.dataDir)).toBe('.data');
    expect(config.dataDir).toBe(resolve('.data'));
    expect(config).toMatchObject({
      databaseUrl: undefined,
      host: '127.0.0.1',
      port: 4000,
      logLevel: 'info',
      nodeEnv: 'development',
      seedDemoData: true,
      modelVersionsKept: 5,
    });
    expect(isAbsolute(config.demoDataDir)).toBe(true);
    expect(basename(config.demoDataDir)).toBe('data');
  });

  it('treats empty strings as unset', () => {
    const empty = Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, '']));
    expect(loadConfig(empty)).toEqual(loadConfig({}));
  });

  it('ignores variables it does not read', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/home/someone', UNRELATED: 'x' })).toEqual(loadConfig({}));
  });

  it('lists the variables it reads', () => {
    expect(CONFIG_VARIABLES).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'DATA_DIR', 'HOST', 'PORT', 'LOG_LEVEL', 'NODE_ENV', 'SEED_DEMO_DATA', 'DEMO_DATA_DIR']),
    );
  });
});

describe('loadConfig values', () => {
  it.each([
    [{ PORT: '8080' }, { port: 8080 }],
    [{ PORT: '0' }, { port: 0 }],
    [{ PORT: '65535' }, { port: 65535 }],
    [{ HOST: '0.0.0.0' }, { host: '0.0.0.0' }],
    [{ DATABASE_URL: 'postgres://u:p@db:5432/anime' }, { databaseUrl: 'postgres://u:p@db:5432/anime' }],
    [{ DATABASE_URL: 'postgresql://localhost/anime' }, { databaseUrl: 'postgresql://localhost/anime' }],
    [{ LOG_LEVEL: 'debug' }, { logLevel: 'debug' }],
    [{ LOG_LEVEL: 'silent' }, { logLevel: 'silent' }],
    [{ NODE_ENV: 'production' }, { nodeEnv: 'production' }],
    [{ DATA_DIR: '/var/lib/animerec' }, { dataDir: '/var/lib/animerec' }],
    [{ DATA_DIR: 'relative/dir' }, { dataDir: resolve('relative/dir') }],
    [{ DEMO_DATA_DIR: '/srv/demo' }, { demoDataDir: '/srv/demo' }],
    [{ MODEL_VERSIONS_KEPT: '1' }, { modelVersionsKept: 1 }],
    [{ MODEL_VERSIONS_KEPT: '20' }, { modelVersionsKept: 20 }],
    [{}, { trustProxy: false, redisUrl: undefined }],
    [{ TRUST_PROXY: 'false' }, { trustProxy: false }],
    [{ TRUST_PROXY: 'true' }, { trustProxy: true }],
    [{ TRUST_PROXY: '2' }, { trustProxy: 2 }],
    [{ TRUST_PROXY: '10.0.0.1, 10.1.0.0/16,loopback,::1,fd00::/8' }, { trustProxy: ['10.0.0.1', '10.1.0.0/16', 'loopback', '::1', 'fd00::/8'] }],
    [{ REDIS_URL: 'redis://127.0.0.1:6379' }, { redisUrl: 'redis://127.0.0.1:6379' }],
    [{}, { errorStacktraces: false, tokenTtlDays: 90, queryCostLimit: 50_000 }],
    [{ NODE_ENV: 'development' }, { errorStacktraces: false }],
    [{ ERROR_STACKTRACES: 'true' }, { errorStacktraces: true }],
    [{ TOKEN_TTL_DAYS: '1' }, { tokenTtlDays: 1 }],
    [{ QUERY_COST_LIMIT: '200000' }, { queryCostLimit: 200_000 }],
    [{}, { queryAdmissionWaitMs: 15_000 }],
    [{ QUERY_ADMISSION_WAIT_MS: '500' }, { queryAdmissionWaitMs: 500 }],
    [{}, { replicas: { urls: [], maxLagMs: 2000 } }],
    [
      { DATABASE_URL: 'postgres://db/anime', DATABASE_REPLICA_URLS: 'postgres://r1/anime, postgresql://r2/anime', DATABASE_REPLICA_MAX_LAG_MS: '500' },
      { replicas: { urls: ['postgres://r1/anime', 'postgresql://r2/anime'], maxLagMs: 500 } },
    ],
  ])('reads %j as %j', (env, expected) => {
    expect(loadConfig(env)).toMatchObject(expected);
  });

  it.each([
    ['false', false],
    ['0', false],
    ['no', false],
    ['true', true],
    ['1', true],
    ['yes', true],
  ])('SEED_DEMO_DATA=%s gives seedDemoData %s', (value, expected) => {
    expect(loadConfig({ SEED_DEMO_DATA: value }).seedDemoData).toBe(expected);
  });

  it('resolves a relative DATA_DIR against the working directory', () => {
    expect(loadConfig({ DATA_DIR: 'x' }).dataDir).toBe(join(process.cwd(), 'x'));
  });
});

describe('loadConfig errors', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'localhost:5432/anime'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['SEED_DEMO_DATA', 'maybe'],
    ['SEED_DEMO_DATA', 'TRUE'],
    ['MODEL_VERSIONS_KEPT', '0'],
    ['MODEL_VERSIONS_KEPT', '-2'],
    ['MODEL_VERSIONS_KEPT', 'all'],
    ['TRUST_PROXY', 'yes please'],
    ['TRUST_PROXY', '10.0.0.1/33'],
    ['TRUST_PROXY', '10.0.0.300'],
    ['TRUST_PROXY', ','],
    ['REDIS_URL', 'localhost:6379'],
    ['TOKEN_TTL_DAYS', '0'],
    ['TOKEN_TTL_DAYS', '3651'],
    ['TOKEN_TTL_DAYS', '1.5'],
    ['QUERY_COST_LIMIT', '99'],
    ['QUERY_COST_LIMIT', 'lots'],
    ['QUERY_ADMISSION_WAIT_MS', '0'],
    ['QUERY_ADMISSION_WAIT_MS', '600001'],
    ['ERROR_STACKTRACES', 'on'],
    ['DATABASE_REPLICA_URLS', 'mysql://r1/anime'],
    ['DATABASE_REPLICA_MAX_LAG_MS', '0'],
  ])('%s=%s is a ConfigError naming the variable and value', (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.name).toBe('ConfigError');
    expect(error.message.startsWith(`invalid ${variable}=${JSON.stringify(value)}: `)).toBe(true);
  });

  it('explains what DATABASE_URL must look like', () => {
    expect(configError({ DATABASE_URL: 'mysql://x' }).message).toMatch(/postgres:\/\/ or postgresql:\/\//);
  });

  it('refuses read replicas without a primary', () => {
    expect(configError({ DATABASE_REPLICA_URLS: 'postgres://r1/anime' }).message).toMatch(/^invalid DATABASE_REPLICA_URLS: read replicas need DATABASE_URL/);
  });

  it('names the bad variable among good ones', () => {
    const error = configError({ HOST: '0.0.0.0', PORT: '4001', LOG_LEVEL: 'loud', SEED_DEMO_DATA: 'no' });
    expect(error.message).toMatch(/^invalid LOG_LEVEL="loud": /);
  });
});
