/** The playground's routes over real HTTP: the built files only, precompressed, switchable. */
import { mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config';
import { registerPlayground, type PlaygroundOptions } from '../../src/server/playground';
import { tempDir, type TempDir } from '../helpers/data-slices';

const APP_JS = 'console.log("playground");'.repeat(50);

async function serve(options: PlaygroundOptions): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify();
  await registerPlayground(app, options);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

describe('playground routes', () => {
  let built: TempDir;
  let running: FastifyInstance | undefined;

  beforeAll(() => {
    built = tempDir();
    mkdirSync(`${built.path}/assets`);
    built.write('index.html', '<!doctype html><title>playground</title>');
    built.write('graphiql.html', '<!doctype html><title>graphiql</title>');
    built.write('assets/app.js', APP_JS);
    built.write('assets/app.js.gz', gzipSync(APP_JS));
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });
  afterAll(() => built.remove());

  it('serves the playground at /, GraphiQL at /graphiql and the assets, gzipped when asked', async () => {
    const { app, url } = await serve({ playground: true, graphiql: true, dir: built.path });
    running = app;
    const index = await fetch(`${url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await index.text()).toContain('<title>playground</title>');
    expect(await (await fetch(`${url}/graphiql`)).text()).toContain('<title>graphiql</title>');
    const script = await fetch(`${url}/assets/app.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(script.status).toBe(200);
    expect(script.headers.get('content-encoding')).toBe('gzip');
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(await script.text()).toBe(APP_JS); // fetch decodes it
  });

  it.each(['/assets/missing.js', '/assets/../index.html', '/assets/%2e%2e/graphiql.html', '/package.json'])('answers 404 for %s', async (path) => {
    const { app, url } = await serve({ playground: true, graphiql: true, dir: built.path });
    running = app;
    expect((await fetch(`${url}${path}`)).status).toBe(404);
  });

  it('leaves out what is switched off', async () => {
    const { app, url } = await serve({ playground: false, graphiql: true, dir: built.path });
    running = app;
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect((await fetch(`${url}/graphiql`)).status).toBe(200);
  });

  it('says how to build it when the bundle is missing', async () => {
    const empty = tempDir();
    try {
      const { app, url } = await serve({ playground: true, graphiql: true, dir: empty.path });
      running = app;
      const answer = await fetch(`${url}/`);
      expect(answer.status).toBe(503);
      expect(await answer.text()).toContain('npm run build:web');
    } finally {
      empty.remove();
    }
  });

  it.each([
    [{}, true, true],
    [{ PLAYGROUND_ENABLED: 'false' }, false, true],
    [{ GRAPHIQL_ENABLED: 'no' }, true, false],
  ])('reads PLAYGROUND_ENABLED and GRAPHIQL_ENABLED from %p', (env, playground, graphiql) => {
    const config = loadConfig(env);
    expect([config.playgroundEnabled, config.graphiqlEnabled]).toEqual([playground, graphiql]);
  });
});
