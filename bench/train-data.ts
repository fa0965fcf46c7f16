/**
 * The training benchmark's data: the shipped demo sample loaded into an in-memory PGlite
 * database (as a fresh server would), and a binary copy of its ratings dataset that the
 * throughput children (bench/train-child.ts) read instead of loading the database again.
 * Internal to bench/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../src/db/database';
import { openEmbeddedDatabase } from '../src/db/embedded';
import { migrate } from '../src/db/migrate';
import { seedDemoDataIfEmpty } from '../src/ingest/demo';
import { silentProgress } from '../src/progress';
import { presetHyperparameters } from '../src/models/hyperparameters';
import { splitDataset, type DatasetSplit, type RatingsDataset } from '../src/trainer/dataset';
import { projectPath } from '../src/paths';

export const DEMO_DATA_DIR = projectPath('data');

/** The split every preset uses (both presets agree: 20% test, 10% of the rest validation, seed 42). */
export function benchSplitParams(seed?: number): { testFraction: number; validationSplit: number; seed: number } {
  const notebook = presetHyperparameters('mf', 'notebook');
  const defaults = presetHyperparameters('mf', 'default');
  if (notebook.testFraction !== defaults.testFraction || notebook.validationSplit !== defaults.validationSplit) {
    throw new Error('the notebook and default presets split the data differently: the benchmark assumes one split');
  }
  return { testFraction: notebook.testFraction, validationSplit: notebook.validationSplit, seed: seed ?? notebook.seed };
}

export function benchSplit(dataset: RatingsDataset, seed?: number): DatasetSplit {
  return splitDataset(dataset.ratings.length, benchSplitParams(seed));
}

/** An in-memory embedded database, migrated, holding the shipped demo data (5,000 users). */
export async function openDemoDatabase(): Promise<Database> {
  const db = await openEmbeddedDatabase(undefined);
  try {
    await migrate(db);
    await seedDemoDataIfEmpty(db, DEMO_DATA_DIR, silentProgress);
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}

interface Header {
  ratings: number;
  users: number;
  items: number;
  itemMetadata: RatingsDataset['itemMetadata'];
}

const HEADER_FILE = 'dataset.json';
const ARRAYS_FILE = 'dataset.bin';

/** Writes the dataset into `dir` (two files); returns `dir` for readBenchDataset. */
export function writeBenchDataset(dir: string, dataset: RatingsDataset): string {
  const header: Header = {
    ratings: dataset.ratings.length,
    users: dataset.userIds.length,
    items: dataset.itemIds.length,
    itemMetadata: dataset.itemMetadata,
  };
  writeFileSync(join(dir, HEADER_FILE), JSON.stringify(header));
  const parts = [dataset.userIds, dataset.itemIds, dataset.users, dataset.items, dataset.ratings];
  writeFileSync(join(dir, ARRAYS_FILE), Buffer.concat(parts.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))));
  return dir;
}

export function readBenchDataset(dir: string): RatingsDataset {
  const header = JSON.parse(readFileSync(join(dir, HEADER_FILE), 'utf8')) as Header;
  const bytes = readFileSync(join(dir, ARRAYS_FILE));
  // Copy into a fresh, aligned buffer: Buffer slices may start at any byte offset.
  const buffer = new Uint8Array(bytes).buffer;
  let offset = 0;
  const take = <T extends Int32Array | Float32Array>(make: (b: ArrayBuffer, o: number, n: number) => T, length: number): T => {
    const array = make(buffer, offset, length);
    offset += length * 4;
    return array;
  };
  const int32 = (b: ArrayBuffer, o: number, n: number) => new Int32Array(b, o, n);
  const dataset: RatingsDataset = {
    userIds: take(int32, header.users),
    itemIds: take(int32, header.items),
    users: take(int32, header.ratings),
    items: take(int32, header.ratings),
    ratings: take((b, o, n) => new Float32Array(b, o, n), header.ratings),
    itemMetadata: header.itemMetadata,
  };
  if (offset !== buffer.byteLength) throw new Error(`${dir}: ${buffer.byteLength} bytes of arrays, expected ${offset}`);
  return dataset;
}
