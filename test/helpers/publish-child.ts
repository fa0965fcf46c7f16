/**
 * Synthetic model versions for the publishing tests, and a publish in its own process for the
 * crash tests (test/integration/publish.test.ts):
 *   node -r @swc-node/register test/helpers/publish-child.ts (--url POSTGRES_URL | --data-dir DIR) [--seed N]
 * It opens the database (--data-dir: the embedded one in DIR, as the app does), publishes
 * syntheticDraft({ ...CRASH_DRAFT_SIZE, seed }) with activate: true and prints the result as
 * one JSON line. Set ANIMEREC_FAILPOINT to make it die by SIGKILL at that point instead.
 * The catalog (seedCatalog with CRASH_DRAFT_SIZE) must be in the database already.
 */
import { mulberry32 } from '../../src/trainer/random';
import { parseArgs } from 'node:util';
import type { Queryable } from '../../src/db/database';
import { openDatabase } from '../../src/db/open';
import type { ModelKind } from '../../src/models/kinds';
import type { ModelVersionDraft } from '../../src/versions/draft';
import { publishModelVersion } from '../../src/versions/publish';

export interface DraftSize {
  items: number;
  users: number;
  dim: number;
}

/** Small enough that a child process spends its time starting, not publishing. */
export const CRASH_DRAFT_SIZE: DraftSize = { items: 50, users: 30, dim: 8 };



function floats(length: number, next: () => number): Float32Array {
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) values[i] = next() * 2 - 1;
  return values;
}

/**
 * A draft for anime 1..items and users 1..users (what seedCatalog creates), with biases,
 * map points for every item, and a few hundred bytes of head weights.
 */
export function syntheticDraft(size: DraftSize & { seed: number; kind?: ModelKind }): ModelVersionDraft {
  const next = mulberry32(size.seed); // seeded: the same draft in every process
  const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i + 1);
  const head = new Uint8Array(300);
  for (let i = 0; i < head.length; i++) head[i] = Math.floor(next() * 256);
  return {
    kind: size.kind ?? 'mf',
    embeddingDim: size.dim,
    hyperparameters: { seed: size.seed, learningRate: 0.001, epochs: 3 },
    metrics: { rmse: 1 + next(), seed: size.seed },
    history: [1, 2, 3].map((epoch) => ({ epoch, loss: 2 / epoch, valLoss: 2.2 / epoch, seconds: 0.5 })),
    headWeights: head,
    items: { ids: range(size.items), dim: size.dim, vectors: floats(size.items * size.dim, next), biases: floats(size.items, next) },
    users: { ids: range(size.users), dim: size.dim, vectors: floats(size.users * size.dim, next), biases: floats(size.users, next) },
    map: { ids: range(size.items), xy: floats(size.items * 2, next) },
  };
}

/** Anime 1..items and users 1..users, for the embeddings' foreign keys. */
export async function seedCatalog(db: Queryable, size: Pick<DraftSize, 'items' | 'users'>): Promise<void> {
  let anime = '';
  for (let id = 1; id <= size.items; id++) anime += `${id}\tAnime ${id}\n`;
  let users = '';
  for (let id = 1; id <= size.users; id++) users += `${id}\tUser ${id}\tingest\n`;
  if (anime) await db.copyFrom('anime', ['id', 'name'], anime);
  // Dataset users, as ingestion loads them: the public sample.
  if (users) await db.copyFrom('app_user', ['id', 'name', 'source'], users);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { url: { type: 'string' }, 'data-dir': { type: 'string' }, seed: { type: 'string', default: '2' } },
  });
  const dataDir = values['data-dir'];
  if ((values.url === undefined) === (dataDir === undefined)) throw new Error('give exactly one of --url and --data-dir');
  const db = await openDatabase(values.url !== undefined ? { databaseUrl: values.url, dataDir: '' } : { dataDir: dataDir! });
  const result = await publishModelVersion(db, syntheticDraft({ ...CRASH_DRAFT_SIZE, seed: Number(values.seed) }), { activate: true });
  await db.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
