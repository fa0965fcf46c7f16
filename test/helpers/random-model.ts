/**
 * Models with trained-looking random parameters (no training), for comparing scoring paths and
 * timing them: the default preset's shapes, item metadata with the catalog's number of genres
 * and types, seeded.
 */
import { fitFeatureSpec, itemFeatures, type ItemMetadata } from '../../src/models/features';
import { presetHyperparameters, type Hyperparameters } from '../../src/models/hyperparameters';
import { MODEL_KINDS, type ModelKind } from '../../src/models/kinds';
import { initModel, type Model } from '../../src/models/model';
import { mulberry32 } from '../../src/trainer/random';

const GENRES = Array.from({ length: 43 }, (_unused, g) => `genre-${g}`);
const TYPES = ['TV', 'Movie', 'OVA', 'Special', 'ONA', 'Music'];

export interface RandomModelOptions {
  users: number;
  items: number;
  /** Overrides of the default preset (e.g. a smaller embeddingDim for tests). */
  hyper?: Partial<Hyperparameters>;
  seed?: number;
}

export function randomModel(kind: ModelKind, options: RandomModelOptions): Model {
  const random = mulberry32(options.seed ?? 11);
  const hyper: Hyperparameters = { ...presetHyperparameters(kind, 'default'), ...options.hyper };
  const metadata: ItemMetadata[] = Array.from({ length: options.items }, () => ({
    episodes: random() < 0.1 ? null : 1 + Math.floor(random() * 100),
    members: Math.floor(random() * 1e6),
    genres: GENRES.filter(() => random() < 0.08),
    type: TYPES[Math.floor(random() * TYPES.length)]!,
  }));
  const spec = hyper.features ? fitFeatureSpec(metadata, hyper.features) : null;
  const features = spec ? itemFeatures(spec, metadata) : new Float32Array(0);
  const ids = (count: number) => Int32Array.from({ length: count }, (_unused, row) => 1000 + 3 * row);
  const model = initModel(hyper, { users: ids(options.users), items: ids(options.items) }, 7.25, spec, features, random);
  // Trained embeddings are far from Keras' ±0.05 start; spread them so the head's output varies.
  for (const table of [model.userEmbeddings, model.itemEmbeddings]) for (let j = 0; j < table.length; j++) table[j] = table[j]! * 20;
  for (let j = 0; j < model.userBias.length; j++) model.userBias[j] = random() * 2 - 1;
  for (let j = 0; j < model.itemBias.length; j++) model.itemBias[j] = random() * 2 - 1;
  for (const layer of model.head?.layers ?? []) for (let j = 0; j < layer.units; j++) layer.bias[j] = (random() * 2 - 1) * 0.3;
  return model;
}

/** Hyperparameters small enough for unit tests: embedding 8, a small head per kind, 3 epochs of batch 64. */
export function smallHyperparameters(kind: ModelKind, overrides: Partial<Hyperparameters> = {}): Hyperparameters {
  return {
    ...presetHyperparameters(kind, 'default'),
    embeddingDim: 8,
    hiddenUnits: kind === 'mf' ? [] : kind === 'deep' ? [16] : [16, 8],
    batchSize: 64,
    epochs: 3,
    ...overrides,
  };
}

/** A small model of `kind` (60 users, 40 items, smallHyperparameters) with trained-looking parameters everywhere. */
export function smallRandomModel(kind: ModelKind, overrides: Partial<Hyperparameters> = {}): Model {
  return randomModel(kind, { users: 60, items: 40, hyper: smallHyperparameters(kind, overrides), seed: 41 });
}

/** What every scoring path is checked on: each kind, the regression heads with the dot term, and the head shapes the WebAssembly kernel takes. */
export function scorerCases(): [string, Model][] {
  return [
    ...MODEL_KINDS.map((kind): [string, Model] => [kind, smallRandomModel(kind)]),
    ['deep with the dot term', smallRandomModel('deep', { dotTerm: true })],
    ['hybrid with the dot term', smallRandomModel('hybrid', { dotTerm: true })],
    // Hidden width a multiple of 16.
    ['hybrid, kernel-shaped head (16 x 32)', smallRandomModel('hybrid', { hiddenUnits: [16, 32] })],
    ['hybrid-classifier, kernel-shaped head (16 x 32)', smallRandomModel('hybrid-classifier', { hiddenUnits: [16, 32] })],
  ];
}
