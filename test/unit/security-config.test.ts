/** The security settings of src/config.ts: CORS origins, introspection, mutation rate limits. */
import { ConfigError, loadConfig } from '../../src/config';

describe('security settings', () => {
  it('defaults: no CORS origins, introspection except in production, limits on', () => {
    expect(loadConfig({})).toMatchObject({ corsOrigins: [], introspection: true, rateLimit: { windowSeconds: 60, mutationsPerToken: 600, mutationsPerIp: 1200 } });
    expect(loadConfig({ NODE_ENV: 'production' }).introspection).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }).introspection).toBe(true);
    expect(loadConfig({ GRAPHQL_INTROSPECTION: 'no' }).introspection).toBe(false);
  });

  it.each([
    ['https://a.example', ['https://a.example']],
    [' https://a.example , http://localhost:5173 ', ['https://a.example', 'http://localhost:5173']],
    ['*', ['*']],
  ])('CORS_ORIGINS=%j gives %j', (value, expected) => {
    expect(loadConfig({ CORS_ORIGINS: value }).corsOrigins).toEqual(expected);
  });

  it.each([
    [{ CORS_ORIGINS: 'a.example' }, /invalid CORS_ORIGINS="a.example": each origin must be \* or an http\(s\) URL/],
    [{ CORS_ORIGINS: 'ftp://a.example' }, /invalid CORS_ORIGINS/],
    [{ RATE_LIMIT_MUTATIONS_PER_IP: '-1' }, /invalid RATE_LIMIT_MUTATIONS_PER_IP="-1": must be a whole number/],
    [{ RATE_LIMIT_MUTATIONS_PER_TOKEN: '1.5' }, /invalid RATE_LIMIT_MUTATIONS_PER_TOKEN/],
    [{ RATE_LIMIT_WINDOW_S: '0' }, /invalid RATE_LIMIT_WINDOW_S="0"/],
    [{ GRAPHQL_INTROSPECTION: 'maybe' }, /invalid GRAPHQL_INTROSPECTION/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('0 turns a rate limit off', () => {
    expect(loadConfig({ RATE_LIMIT_MUTATIONS_PER_TOKEN: '0', RATE_LIMIT_MUTATIONS_PER_IP: '0' }).rateLimit).toMatchObject({ mutationsPerToken: 0, mutationsPerIp: 0 });
  });
});
