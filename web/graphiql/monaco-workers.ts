/**
 * Where Monaco finds its workers: the bundles build.ts writes beside graphiql.js. Must run
 * before GraphiQL creates an editor (imported first by main.tsx).
 */
const WORKER_FILES: Record<string, string> = { json: 'json.worker.js', graphql: 'graphql.worker.js' };

(globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    return new Worker(`/assets/${WORKER_FILES[label] ?? 'editor.worker.js'}`);
  },
};
