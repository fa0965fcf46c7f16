/**
 * Publishing model versions on both drivers: the rows written (exact floats and bytes),
 * activation, validation before any write, clean-up of old versions, and atomicity under a
 * real crash (a child process killed by SIGKILL at each failpoint of the publish).
 */
import { cpSync } from 'node:fs';
import type { Database } from '../../src/db/database';
import { migrate } from '../../src/db/migrate';
import { NotFoundError } from '../../src/errors';
import { openDatabase } from '../../src/db/open';
import { openPostgresDatabase } from '../../src/db/postgres';
import type { ModelVersionDraft } from '../../src/versions/draft';
import { activateModelVersion, activeModelVersionId } from '../../src/versions/activation';
import { InvalidModelVersionDraftError } from '../../src/versions/draft-validation';
import { hnswIndexName, SUPPORTED_EMBEDDING_DIMS } from '../../src/versions/embedding-indexes';
import { publishModelVersion } from '../../src/versions/publish';
import { retainModelVersions } from '../../src/versions/retention';
import { tempDir, type TempDir } from '../helpers/data-slices';
import { createPostgresTestDatabase, describeEachDriver, TEST_POSTGRES_URL, type TestDatabase, type TestDriver } from '../helpers/databases';
import { bits } from '../helpers/float-arrays';
import { seedDataDir } from '../helpers/pglite-template';
import { runCli, type CliOutcome } from '../helpers/processes';
import { CRASH_DRAFT_SIZE, seedCatalog, syntheticDraft } from '../helpers/publish-child';
import { mulberry32 } from '../../src/trainer/random';

const CHILD = 'test/helpers/publish-child.ts';
const CATALOG = { items: 300, users: 200 };

/** The float32s of pgvector's binary form (vector_send: int16 dim, int16 unused, big-endian float4s). */
function decodeVector(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dim = view.getInt16(0);
  return Float32Array.from({ length: dim }, (_, i) => view.getFloat32(4 + 4 * i));
}

/** A float4 from float4send's four big-endian bytes. */
function decodeFloat4(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat32(0);
}

async function countOf(db: Database, table: string, versionId: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE model_version_id = $1`, [versionId]);
  return rows[0]!.n;
}

async function activeIds(db: Database): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM model_version WHERE is_active ORDER BY id');
  return rows.map((row) => row.id);
}

/** Embeddings of a version as stored, exact: ids, float32 vectors and biases, in id order. */
async function storedEmbeddings(db: Database, table: 'item_embedding' | 'user_embedding', versionId: number) {
  const idColumn = table === 'item_embedding' ? 'anime_id' : 'user_id';
  const { rows } = await db.query<{ id: number; dim: number; vec: Uint8Array; bias: Uint8Array | null }>(
    `SELECT ${idColumn} AS id, dim, vector_send(embedding) AS vec, float4send(bias) AS bias
     FROM ${table} WHERE model_version_id = $1 ORDER BY ${idColumn}`,
    [versionId],
  );
  return {
    ids: Int32Array.from(rows.map((row) => row.id)),
    dims: new Set(rows.map((row) => row.dim)),
    vectors: Float32Array.from(rows.flatMap((row) => Array.from(decodeVector(row.vec)))),
    biases: Float32Array.from(rows.map((row) => (row.bias === null ? Number.NaN : decodeFloat4(row.bias)))),
  };
}

/** pgvector's codec writes vectors as JSON numbers, where -0 is 0; every other float32 is kept exactly. */
function withoutNegativeZero(values: Float32Array): Float32Array {
  return values.map((value) => (value === 0 ? 0 : value));
}

/** Random float32 bit patterns over the whole range (subnormals, extremes, -0), all finite. */
function everyKindOfFloat(length: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const values = new Float32Array(length);
  const raw = new Uint32Array(values.buffer);
  const special = [0x80000000, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x3f800001, 0x33d6bf95];
  for (let i = 0; i < length; i++) {
    do raw[i] = i < special.length ? special[i]! : Math.floor(next() * 2 ** 32);
    while (!Number.isFinite(values[i]!));
  }
  return values;
}

describeEachDriver('publishModelVersion', (driver) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await driver.open();
    await seedCatalog(test.db, CATALOG);
  });
  afterAll(() => test.dispose());

  it('writes exactly the rows of the draft: vectors, biases, map points, head bytes and JSON', async () => {
    const { db } = test;
    const draft = syntheticDraft({ items: 120, users: 80, dim: 16, seed: 11, kind: 'hybrid' });
    // Every byte value, including those that need escaping in text forms (0x00, '\\', tab).
    draft.headWeights = Uint8Array.from({ length: 1024 }, (_, i) => (i * 7) % 256);
    draft.hyperparameters = { learningRate: 0.001, layers: [64, 64], note: 'tab\there, "quotes", \\ and ünïcödé', nested: { dropout: 0.3 } };
    draft.metrics = { rmse: 1.1234567890123, hitRate: { at10: 0.25 } };
    draft.map = { ids: draft.items.ids.slice(0, 100), xy: draft.map!.xy.slice(0, 200) };

    const result = await publishModelVersion(db, draft, { activate: true });
    expect(result).toEqual({ id: expect.any(Number), activated: true });

    const { rows } = await db.query<Record<string, unknown>>('SELECT * FROM model_version WHERE id = $1', [result.id]);
    const row = rows[0]!;
    expect(row).toMatchObject({
      kind: 'hybrid',
      status: 'ready',
      embedding_dim: 16,
      hyperparameters: draft.hyperparameters,
      metrics: draft.metrics,
      history: draft.history,
      is_active: true,
    });
    expect(row.finished_at).toBeInstanceOf(Date);
    expect(row.activated_at).toBeInstanceOf(Date);
    expect(Buffer.from(row.head_weights as Uint8Array).equals(Buffer.from(draft.headWeights))).toBe(true);

    expect(await countOf(db, 'item_embedding', result.id)).toBe(120);
    expect(await countOf(db, 'user_embedding', result.id)).toBe(80);
    expect(await countOf(db, 'item_map_point', result.id)).toBe(100);

    for (const [table, set] of [['item_embedding', draft.items], ['user_embedding', draft.users]] as const) {
      const stored = await storedEmbeddings(db, table, result.id);
      expect(stored.ids).toEqual(set.ids);
      expect(stored.dims).toEqual(new Set([16]));
      expect(bits(stored.vectors)).toEqual(bits(set.vectors));
      expect(bits(stored.biases)).toEqual(bits(set.biases!));
    }

    // The text form too: one vector read back as pgvector prints it equals the input exactly.
    const text = await db.query<{ embedding: string }>('SELECT embedding::text AS embedding FROM item_embedding WHERE model_version_id = $1 AND anime_id = 7', [result.id]);
    const parsed = Float32Array.from(JSON.parse(text.rows[0]!.embedding) as number[]);
    expect(parsed).toEqual(draft.items.vectors.slice(6 * 16, 7 * 16));

    const points = await db.query<{ anime_id: number; x: Uint8Array; y: Uint8Array }>(
      'SELECT anime_id, float4send(x) AS x, float4send(y) AS y FROM item_map_point WHERE model_version_id = $1 ORDER BY anime_id',
      [result.id],
    );
    expect(Int32Array.from(points.rows.map((p) => p.anime_id))).toEqual(draft.map.ids);
    expect(bits(Float32Array.from(points.rows.flatMap((p) => [decodeFloat4(p.x), decodeFloat4(p.y)])))).toEqual(bits(draft.map.xy));
  });

  it('stores every finite float32 exactly: subnormals, extremes, negative zero (as 0 in vectors); no biases, no map, empty head', async () => {
    const { db } = test;
    const draft = syntheticDraft({ items: 100, users: 60, dim: 32, seed: 12 });
    draft.items.vectors = everyKindOfFloat(100 * 32, 1);
    draft.users.vectors = everyKindOfFloat(60 * 32, 2);
    draft.items.biases = everyKindOfFloat(100, 3);
    delete draft.users.biases;
    delete draft.map;
    draft.headWeights = new Uint8Array(0);

    const { id } = await publishModelVersion(db, draft, { activate: false });
    const items = await storedEmbeddings(db, 'item_embedding', id);
    expect(bits(items.vectors)).toEqual(bits(withoutNegativeZero(draft.items.vectors)));
    expect(bits(items.biases)).toEqual(bits(draft.items.biases));
    const users = await storedEmbeddings(db, 'user_embedding', id);
    expect(bits(users.vectors)).toEqual(bits(withoutNegativeZero(draft.users.vectors)));
    const nullBiases = await db.query<{ n: number }>('SELECT count(*) AS n FROM user_embedding WHERE model_version_id = $1 AND bias IS NULL', [id]);
    expect(nullBiases.rows[0]!.n).toBe(60);
    expect(await countOf(db, 'item_map_point', id)).toBe(0);
    const head = await db.query<{ head_weights: Uint8Array | null }>('SELECT head_weights FROM model_version WHERE id = $1', [id]);
    expect(head.rows[0]!.head_weights).not.toBeNull();
    expect(Buffer.from(head.rows[0]!.head_weights!).length).toBe(0);
  });

  it('activation swaps the single active flag; activate: false leaves the active one', async () => {
    const { db } = test;
    const a = await publishModelVersion(db, syntheticDraft({ items: 20, users: 10, dim: 8, seed: 21 }), { activate: true });
    expect(await activeIds(db)).toEqual([a.id]);
    expect(await activeModelVersionId(db)).toBe(a.id);

    const b = await publishModelVersion(db, syntheticDraft({ items: 20, users: 10, dim: 8, seed: 22 }), { activate: true });
    expect(await activeIds(db)).toEqual([b.id]);

    const c = await publishModelVersion(db, syntheticDraft({ items: 20, users: 10, dim: 64, seed: 23 }), { activate: false });
    expect(c.activated).toBe(false);
    expect(await activeIds(db)).toEqual([b.id]);
    const cRow = await db.query<{ status: string; activated_at: Date | null }>('SELECT status, activated_at FROM model_version WHERE id = $1', [c.id]);
    expect(cRow.rows[0]).toEqual({ status: 'ready', activated_at: null });

    await activateModelVersion(db, c.id);
    expect(await activeIds(db)).toEqual([c.id]);
    await activateModelVersion(db, a.id);
    expect(await activeIds(db)).toEqual([a.id]);
    // Activating the active one again changes nothing, not even its activation time.
    const before = await db.query<{ activated_at: Date }>('SELECT activated_at FROM model_version WHERE id = $1', [a.id]);
    await activateModelVersion(db, a.id);
    const after = await db.query<{ activated_at: Date }>('SELECT activated_at FROM model_version WHERE id = $1', [a.id]);
    expect(after.rows[0]!.activated_at).toEqual(before.rows[0]!.activated_at);
    expect(await activeIds(db)).toEqual([a.id]);
  });

  it('refuses to activate a version that does not exist or is not ready, leaving the active one', async () => {
    const { db } = test;
    const active = await activeModelVersionId(db);
    expect(active).not.toBeNull();
    const missing = await activateModelVersion(db, 999_999).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).message).toBe('cannot activate model version 999999: it does not exist');
    const failed = await publishModelVersion(db, syntheticDraft({ items: 5, users: 5, dim: 8, seed: 31 }), { activate: false });
    await db.query(`UPDATE model_version SET status = 'failed' WHERE id = $1`, [failed.id]);
    await expect(activateModelVersion(db, failed.id)).rejects.toThrow(`cannot activate model version ${failed.id}: its status is 'failed', not 'ready'`);
    expect(await activeModelVersionId(db)).toBe(active);
  });

  const base = () => syntheticDraft({ items: 10, users: 8, dim: 8, seed: 41 });
  const invalid: [string, (draft: ModelVersionDraft) => void, RegExp][] = [
    ['an unsupported dim', (d) => { d.embeddingDim = 12; d.items.dim = 12; d.users.dim = 12; }, /embeddingDim 12 is not supported; use one of 8, 16, 32, 64, 128, 256/],
    ['a set dim unlike embeddingDim', (d) => { d.users.dim = 16; }, /users\.dim is 16, but embeddingDim is 8/],
    ['too few vector values', (d) => { d.items.vectors = d.items.vectors.slice(1); }, /items\.vectors has 79 values, expected 10 ids × dim 8 = 80/],
    ['a NaN in an item vector', (d) => { d.items.vectors[13] = Number.NaN; }, /items\.vectors\[13\] \(anime 2, component 5\) is NaN/],
    ['an infinity in a user vector', (d) => { d.users.vectors[0] = Number.NEGATIVE_INFINITY; }, /users\.vectors\[0\] \(user 1, component 0\) is -Infinity/],
    ['a NaN bias', (d) => { d.users.biases![3] = Number.NaN; }, /users\.biases\[3\] \(user 4\) is NaN/],
    ['biases of the wrong length', (d) => { d.items.biases = new Float32Array(9); }, /items\.biases has 9 values, expected one per id \(10\)/],
    ['a duplicate id', (d) => { d.items.ids[4] = 1; }, /items\.ids lists anime 1 more than once/],
    ['map coordinates of the wrong length', (d) => { d.map!.xy = new Float32Array(3); }, /map\.xy has 3 values, expected 10 ids × 2 = 20/],
    ['a map point of an item without an embedding', (d) => { d.map!.ids[0] = 250; }, /map\.ids has anime 250, which has no item embedding/],
    ['an unknown kind', (d) => { (d as { kind: string }).kind = 'svd'; }, /unknown model kind "svd"/],
    ['metrics that are not an object', (d) => { (d as { metrics: unknown }).metrics = [1, 2]; }, /metrics must be a plain object/],
  ];

  it.each(invalid)('refuses a draft with %s before touching the database', async (_name, spoil, message) => {
    const { db } = test;
    const draft = base();
    spoil(draft);
    const touched: string[] = [];
    const spy = new Proxy(db, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          touched.push(String(property));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const versions = await db.query('SELECT id FROM model_version');
    const error = await publishModelVersion(spy, draft, { activate: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidModelVersionDraftError);
    expect((error as Error).message).toMatch(message);
    expect(touched).toEqual([]);
    expect((await db.query('SELECT id FROM model_version')).rowCount).toBe(versions.rowCount);
  });

  it('exports the embedding sizes the schema indexes', () => {
    expect(SUPPORTED_EMBEDDING_DIMS).toEqual([8, 16, 32, 64, 128, 256]);
  });

  it('retainModelVersions keeps the newest ready versions, the active one and the protected ones, and drops the rest with their indexes', async () => {
    const { db } = test;
    await db.query('DELETE FROM model_version');
    const small = (seed: number) => syntheticDraft({ items: 10, users: 5, dim: 8, seed });
    const v1 = (await publishModelVersion(db, small(51), { activate: true })).id;
    const v2 = (await publishModelVersion(db, small(52), { activate: false })).id;
    const failed = (await publishModelVersion(db, small(53), { activate: false })).id;
    await db.query(`UPDATE model_version SET status = 'failed' WHERE id = $1`, [failed]);
    const v3 = (await publishModelVersion(db, small(54), { activate: false })).id;
    const v4 = (await publishModelVersion(db, small(55), { activate: false })).id;
    const v5 = (await publishModelVersion(db, small(56), { activate: false })).id;

    await expect(retainModelVersions(db, { keep: -1 })).rejects.toThrow('keep must be a whole number ≥ 0');
    expect(await retainModelVersions(db, { keep: 2, protect: [v3] })).toEqual([v2]);
    expect(await versionIds(db)).toEqual([v1, failed, v3, v4, v5]);
    expect(await countOf(db, 'item_embedding', v2)).toBe(0);
    expect(await countOf(db, 'user_embedding', v2)).toBe(0);
    expect(await countOf(db, 'item_map_point', v2)).toBe(0);
    expect(await countOf(db, 'item_embedding', v1)).toBe(10);
    expect(await hnswIndexesOf(db, v2)).toEqual([]);
    expect(await hnswIndexesOf(db, v3)).toEqual([hnswIndexName('item_embedding', v3)]);

    expect(await retainModelVersions(db, { keep: 0 })).toEqual([v3, v4, v5]);
    expect(await versionIds(db)).toEqual([v1, failed]);
    expect(await activeModelVersionId(db)).toBe(v1);
    expect(await hnswIndexesOf(db, v1)).toEqual([hnswIndexName('item_embedding', v1)]);
    for (const id of [v3, v4, v5]) expect(await hnswIndexesOf(db, id)).toEqual([]);
    expect(await retainModelVersions(db, { keep: 0 })).toEqual([]);
  });
});

async function versionIds(db: Database): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM model_version ORDER BY id');
  return rows.map((row) => row.id);
}

/** The HNSW indexes of a version on both embedding tables, by name. */
async function hnswIndexesOf(db: Database, versionId: number): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT indexname AS name FROM pg_indexes WHERE indexname LIKE '%\\_hnsw\\_v' || $1 ORDER BY indexname`,
    [String(versionId)],
  );
  return rows.map((row) => row.name);
}

// ---- crash atomicity, with real processes ----

/** A database that outlives a process: a PGlite data directory on disk, or a PostgreSQL database. */
interface DurableStore {
  /** Arguments that make publish-child.ts open this database. */
  childArgs: string[];
  open(): Promise<Database>;
  dispose(): Promise<void>;
}

/** The state every crash starts from: migrated, catalog seeded, one version published and active. */
async function prepare(db: Database): Promise<number> {
  await migrate(db);
  await seedCatalog(db, CRASH_DRAFT_SIZE);
  return (await publishModelVersion(db, syntheticDraft({ ...CRASH_DRAFT_SIZE, seed: 1 }), { activate: true })).id;
}

function stores(driver: TestDriver) {
  if (driver.name === 'embedded') {
    // Creating a PGlite data directory takes long (initdb); make one, then copy it per test.
    let template: TempDir;
    let previous = 0;
    return {
      async setUp() {
        template = tempDir('animerec-publish-template-');
        await seedDataDir(template.path);
        const db = await openDatabase({ dataDir: template.path });
        previous = await prepare(db);
        await db.close();
      },
      async tearDown() {
        template?.remove();
      },
      async fresh(): Promise<{ store: DurableStore; previous: number }> {
        const dir = tempDir('animerec-publish-crash-');
        cpSync(template.path, dir.path, { recursive: true });
        return {
          previous,
          store: { childArgs: ['--data-dir', dir.path], open: () => openDatabase({ dataDir: dir.path }), dispose: async () => dir.remove() },
        };
      },
    };
  }
  return {
    async setUp() {},
    async tearDown() {},
    async fresh(): Promise<{ store: DurableStore; previous: number }> {
      const created = await createPostgresTestDatabase(TEST_POSTGRES_URL!);
      const db = await openPostgresDatabase(created.url);
      const previous = await prepare(db).finally(() => db.close());
      return { previous, store: { childArgs: ['--url', created.url], open: () => openPostgresDatabase(created.url), dispose: () => created.drop() } };
    },
  };
}

/** Runs publish-child.ts as its own process with ANIMEREC_FAILPOINT set (or unset). */
function runChild(args: string[], failpointName: string | undefined): Promise<CliOutcome> {
  // A child that neither dies nor finishes must not hang the suite (its SIGTERM then fails the test).
  return runCli(CHILD, args, { ANIMEREC_FAILPOINT: failpointName }, 50_000);
}

/** Fails with the child's stderr when it did not end as expected. */
function expectEnded(outcome: CliOutcome, expected: { signal: 'SIGKILL' } | { code: 0 }): void {
  const ended = 'signal' in expected ? outcome.signal === expected.signal : outcome.code === expected.code && outcome.signal === null;
  if (!ended) {
    throw new Error(`publish-child ended with code ${outcome.code}, signal ${outcome.signal}; expected ${JSON.stringify(expected)}\n--- stderr ---\n${outcome.stderr}`);
  }
}

const INSIDE_TRANSACTION = ['publish:after-version-row', 'publish:after-item-embeddings', 'publish:after-user-embeddings', 'publish:after-indexes', 'publish:before-commit'];

describeEachDriver('publishModelVersion under a crash (SIGKILL at a failpoint)', (driver) => {
  const setup = stores(driver);
  let store: DurableStore | undefined;
  let previous: number;

  beforeAll(() => setup.setUp(), 120_000);
  afterAll(() => setup.tearDown());
  beforeEach(async () => {
    ({ store, previous } = await setup.fresh());
  });
  afterEach(async () => {
    await store?.dispose();
    store = undefined;
  });

  /** Opens the database after the child is gone, runs `check`, closes it. */
  async function inspect(check: (db: Database) => Promise<void>): Promise<void> {
    const db = await store!.open();
    try {
      await check(db);
    } finally {
      await db.close();
    }
  }

  it.each(INSIDE_TRANSACTION)('a crash at %s leaves no trace of the new version and the previous one active', async (name) => {
    const outcome = await runChild(store!.childArgs, name);
    expectEnded(outcome, { signal: 'SIGKILL' });
    expect(outcome.stdout).toBe('');

    await inspect(async (db) => {
      const versions = await db.query<{ id: number; is_active: boolean }>('SELECT id, is_active FROM model_version ORDER BY id');
      expect(versions.rows).toEqual([{ id: previous, is_active: true }]);
      for (const table of ['item_embedding', 'user_embedding', 'item_map_point']) {
        const { rows } = await db.query<{ id: number; n: number }>(`SELECT model_version_id AS id, count(*) AS n FROM ${table} GROUP BY 1`);
        const expected = table === 'user_embedding' ? CRASH_DRAFT_SIZE.users : CRASH_DRAFT_SIZE.items;
        expect(rows).toEqual([{ id: previous, n: expected }]);
      }
      // The database recovered into a usable state: the next publish succeeds and activates.
      const next = await publishModelVersion(db, syntheticDraft({ ...CRASH_DRAFT_SIZE, seed: 3 }), { activate: true });
      expect(await activeIds(db)).toEqual([next.id]);
    });
  });

  it('a crash at publish:after-commit keeps the committed version, and it is the active one', async () => {
    const outcome = await runChild(store!.childArgs, 'publish:after-commit');
    expectEnded(outcome, { signal: 'SIGKILL' });
    expect(outcome.stdout).toBe('');

    await inspect(async (db) => {
      const versions = await db.query<{ id: number; is_active: boolean }>('SELECT id, is_active FROM model_version ORDER BY id');
      expect(versions.rows).toHaveLength(2);
      const [old, published] = versions.rows;
      expect(old).toEqual({ id: previous, is_active: false });
      expect(published!.is_active).toBe(true);
      expect(await countOf(db, 'item_embedding', published!.id)).toBe(CRASH_DRAFT_SIZE.items);
      expect(await countOf(db, 'user_embedding', published!.id)).toBe(CRASH_DRAFT_SIZE.users);
      expect(await countOf(db, 'item_map_point', published!.id)).toBe(CRASH_DRAFT_SIZE.items);
      const stored = await storedEmbeddings(db, 'item_embedding', published!.id);
      expect(bits(stored.vectors)).toEqual(bits(syntheticDraft({ ...CRASH_DRAFT_SIZE, seed: 2 }).items.vectors));
    });
  });

  it('without a failpoint the child publishes and exits normally (the control)', async () => {
    const outcome = await runChild(store!.childArgs, undefined);
    expectEnded(outcome, { code: 0 });
    const result = JSON.parse(outcome.stdout) as { id: number; activated: boolean };
    expect(result.activated).toBe(true);
    await inspect(async (db) => expect(await activeIds(db)).toEqual([result.id]));
  });
});
