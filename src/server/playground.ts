/**
 * The playground UI at `/` and GraphiQL at `/graphiql`: static files bundled by
 * `npm run build:web` into dist/web (every asset local: it works offline), served with their
 * precompressed .br/.gz copies. When the bundle is missing, `/` says how to build it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { projectPath } from '../paths';

/** Where build:web writes the bundle (web/build.ts). */
export const PLAYGROUND_DIR = projectPath('dist', 'web');

export interface PlaygroundOptions {
  playground: boolean;
  graphiql: boolean;
  /** Overrides PLAYGROUND_DIR (tests). */
  dir?: string;
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>animerec</title>
<p>The playground is not built. Run <code>npm run build:web</code> (<code>npm start</code> does it) and reload.
GraphQL is served at <a href="/graphql">/graphql</a>.</p>`;

export async function registerPlayground(app: FastifyInstance, options: PlaygroundOptions): Promise<void> {
  if (!options.playground && !options.graphiql) return;
  const dir = options.dir ?? PLAYGROUND_DIR;
  if (!existsSync(join(dir, 'index.html'))) {
    const notBuilt = async (_request: unknown, reply: import('fastify').FastifyReply) => reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
    if (options.playground) app.get('/', notBuilt);
    if (options.graphiql) app.get('/graphiql', notBuilt);
    return;
  }
  // Only the built files are routed (no wildcard): nothing outside dist/web can be reached.
  await app.register(fastifyStatic, { root: dir, prefix: '/', wildcard: false, index: false, preCompressed: true, serve: false });
  await app.register(fastifyStatic, {
    root: join(dir, 'assets'),
    prefix: '/assets/',
    wildcard: false,
    preCompressed: true,
    decorateReply: false,
    // File names do not change with content except the hashed font: revalidate quickly.
    maxAge: '5m',
  });
  if (options.playground) app.get('/', (_request, reply) => reply.sendFile('index.html', { maxAge: 0 }));
  if (options.graphiql) app.get('/graphiql', (_request, reply) => reply.sendFile('graphiql.html', { maxAge: 0 }));
}
