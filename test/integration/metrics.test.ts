/** /metrics over HTTP: off by default; with METRICS_PORT, Prometheus text on its own port. */
import { codeOf, gql } from '../helpers/graphql';
import { startFixtureServer, type FixtureServer } from '../reliability/fixture-server';

/** The value of a sample line `name{labels} value` (labels as written by prom-client), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  let off: FixtureServer;
  let on: FixtureServer;
  beforeAll(async () => {
    [off, on] = await Promise.all([startFixtureServer(), startFixtureServer({ METRICS_PORT: '0' })]);
  }, 180_000);
  afterAll(async () => {
    await off?.close();
    await on?.close();
  });

  it('are off by default: no metrics port, and none on the API port', async () => {
    expect(off.server.metricsUrl).toBeUndefined();
    expect((await fetch(`${off.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${on.url}/metrics`)).status).toBe(404);
  });

  it('count requests per operation, errors per code, the served version and the fold-in lag', async () => {
    for (let i = 0; i < 3; i++) expect((await gql(on.url, '{ similarAnime(animeId: 1, k: 3) { similarity } }')).status).toBe(200);
    expect(codeOf(await gql(on.url, '{ similarAnime(animeId: 999999, k: 3) { similarity } }'))).toBe('NOT_FOUND');
    const token = (await gql(on.url, 'mutation { createUser(input: { name: "measured" }) { token } }')).body.data.createUser.token as string;
    await gql(on.url, 'mutation { rateAnime(input: { animeId: 4, rating: 8 }) { rating { rating } } }', undefined, token);
    expect((await gql(on.url, '{ me { embedding } }', undefined, token)).body.data.me.embedding).not.toBeNull();

    const response = await fetch(on.server.metricsUrl!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(sample(text, 'animerec_graphql_requests_total{operation="similarAnime",type="query"}')).toBe(4);
    expect(sample(text, 'animerec_graphql_requests_total{operation="rateAnime",type="mutation"}')).toBe(1);
    expect(sample(text, 'animerec_graphql_request_duration_seconds_count{operation="similarAnime",type="query"}')).toBe(4);
    expect(sample(text, 'animerec_graphql_errors_total{code="NOT_FOUND"}')).toBe(1);
    expect(sample(text, 'animerec_model_version_served')).toBe(on.server.models.current()!.versionId);
    expect(sample(text, 'animerec_model_listener_connected')).toBe(1);
    expect(sample(text, 'animerec_fold_in_lag_seconds_count')).toBe(1);
    expect(sample(text, 'animerec_fold_in_lag_seconds_bucket{le="+Inf"}')).toBe(1);
    expect(sample(text, 'animerec_fold_in_pending_users')).toBe(0);
    expect(text).toContain('# TYPE animerec_training_run_progress gauge');
    expect(text).toContain('# TYPE animerec_db_pool_connections gauge');
    expect(text).toMatch(/^animerec_process_resident_memory_bytes \d+/m);
    expect((await fetch(on.server.metricsUrl!.replace('/metrics', '/other'))).status).toBe(404);
  });
});
