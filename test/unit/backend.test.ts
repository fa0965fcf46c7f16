/**
 * Backend selection (src/models/backend.ts), the TFJS_BACKEND setting, serverInfo, and batched
 * head scoring (src/models/predict.ts) against the CPU path: the GPU path's code on the CPU
 * here, and on the GPU backend wherever one is found (reported as skipped, by name, elsewhere).
 */
import { availableParallelism } from 'node:os';
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs';
import { graphql } from 'graphql';
import { ConfigError, loadConfig } from '../../src/config';
import { InvariantError } from '../../src/errors';
import { buildGraphQLSchema } from '../../src/graphql/schema';
import { dispatchOn, isInstalled, selectBackend, tfjsName } from '../../src/models/backend';
import type { Hyperparameters } from '../../src/models/hyperparameters';
import type { ModelKind } from '../../src/models/kinds';
import { headTrainStepOn, headTrainStep, type HeadGradients } from '../../src/models/head-train-step';
import { ItemScorer } from '../../src/models/all-items-scorer';
import { type Model } from '../../src/models/model';
import { mulberry32 } from '../../src/trainer/random';
import { probeGpuBackend } from '../helpers/gpu';
import { maxAbsDifference } from '../helpers/float-arrays';
import { randomModel } from '../helpers/random-model';
import { predictRowsOn, scoreAllItemsOn, predictRows } from '../../src/models/predict';

/** Every head model: the kinds, and the hybrid with its optional dot term. */
const HEAD_MODELS: [string, ModelKind, Partial<Hyperparameters>][] = [
  ['deep', 'deep', {}],
  ['hybrid', 'hybrid', {}],
  ['hybrid with the dot term', 'hybrid', { dotTerm: true }],
  ['hybrid-classifier', 'hybrid-classifier', {}],
];
const probe = probeGpuBackend();
const gpu = probe?.backend;
/** The GPU backend auto selection takes: none for a software adapter. */
const autoGpu = probe && !probe.software ? probe.backend : undefined;

/** Every (user, item) pair of a few users: more pairs than one GPU dispatch holds. */
function allPairs(model: Model, users: number): { userRows: Int32Array; itemRows: Int32Array } {
  const items = model.itemIds.length;
  const userRows = new Int32Array(users * items);
  const itemRows = new Int32Array(users * items);
  for (let u = 0; u < users; u++) {
    for (let i = 0; i < items; i++) {
      userRows[u * items + i] = u;
      itemRows[u * items + i] = i;
    }
  }
  return { userRows, itemRows };
}

const models = new Map(HEAD_MODELS.map(([label, kind, hyper]) => [label, randomModel(kind, { users: 12, items: 1500, hyper: { embeddingDim: 16, ...hyper } })]));

describe('SCORING_THREADS', () => {
  it('defaults to one per core but one (at least one), and takes a number', () => {
    expect(loadConfig({}).scoringThreads).toBe(Math.max(1, availableParallelism() - 1));
    expect(loadConfig({ SCORING_THREADS: 'auto' }).scoringThreads).toBe(Math.max(1, availableParallelism() - 1));
    expect(loadConfig({ SCORING_THREADS: '0' }).scoringThreads).toBe(0);
    expect(loadConfig({ SCORING_THREADS: '3' }).scoringThreads).toBe(3);
    expect(() => loadConfig({ SCORING_THREADS: 'many' })).toThrow(ConfigError);
    expect(() => loadConfig({ SCORING_THREADS: '65' })).toThrow(ConfigError);
  });
});

describe('TFJS_BACKEND', () => {
  it.each([
    ['auto', undefined],
    ['webgpu', 'webgpu'],
    ['tensorflow-gpu', 'tensorflow-gpu'],
    ['cpu', 'cpu'],
  ])('reads %s as %s', (value, expected) => {
    expect(loadConfig({ TFJS_BACKEND: value }).tfjsBackend).toBe(expected);
  });

  it('defaults to auto and refuses an unknown backend, naming the variable', () => {
    expect(loadConfig({}).tfjsBackend).toBeUndefined();
    expect(() => loadConfig({ TFJS_BACKEND: 'cuda' })).toThrow(ConfigError);
    expect(() => loadConfig({ TFJS_BACKEND: 'cuda' })).toThrow(/TFJS_BACKEND="cuda"/);
  });
});

describe('selectBackend', () => {
  // First: later calls without a request return the first choice.
  it('without a request, takes a GPU backend when one is found, else the CPU path, and says what it passed over', async () => {
    const choice = await selectBackend();
    expect(choice.scoring).toBe(autoGpu ?? choice.name);
    if (!autoGpu) {
      expect(['tensorflow', 'wasm', 'cpu']).toContain(choice.name);
      expect(choice.reason).toContain('tensorflow-gpu: ');
      expect(choice.reason).toContain('webgpu: ');
    }
  });

  (isInstalled('webgpu/package.json') ? it.skip : it)('says why webgpu is unavailable when its package is not installed', async () => {
    await expect(selectBackend('webgpu')).rejects.toThrow('webgpu: the webgpu package is not installed');
    await expect(selectBackend('webgpu')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });

  it('activates a requested CPU backend and reports its device', async () => {
    const choice = await selectBackend('cpu');
    expect(choice).toMatchObject({ name: 'cpu', scoring: 'cpu', gpu: false, reason: 'requested' });
    expect(choice.device).toMatch(/\(\d+ cores\)$/);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('serverInfo reports the choice through the schema', async () => {
    const choice = await selectBackend(autoGpu ?? 'wasm');
    const schema = await buildGraphQLSchema();
    const result = await graphql({ schema, source: '{ serverInfo { backend device tensorBackend gpu reason nodeVersion } }' });
    expect(result.errors).toBeUndefined();
    expect(result.data?.serverInfo).toEqual({
      backend: choice.scoring,
      device: choice.device,
      tensorBackend: choice.name,
      gpu: autoGpu !== undefined,
      reason: choice.reason,
      nodeVersion: process.version,
    });
  });
});

describe('dispatchOn', () => {
  it('runs ops on the given backend and restores the global one', async () => {
    await selectBackend('wasm');
    await tf.setBackend('cpu');
    await tf.setBackend('wasm');
    const tensor = dispatchOn('cpu', () => tf.ones([2]));
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.engine().findBackend('cpu')!.numDataIds()).toBeGreaterThan(0);
    expect(Array.from(await tensor.data())).toEqual([1, 1]);
    tensor.dispose();
    expect(() => dispatchOn('webgl-never-initialised', () => 1)).toThrow(InvariantError);
    expect(tf.getBackend()).toBe('wasm');
  });
});

describe('batched head scoring: the GPU path (dispatch, then await the read) on the CPU', () => {
  it.each(HEAD_MODELS)('%s equals predictRows', async (label) => {
    await selectBackend('wasm');
    const model = models.get(label)!;
    const { userRows, itemRows } = allPairs(model, 12);
    const expected = predictRows(model, userRows, itemRows);
    const actual = await predictRowsOn('wasm', model, userRows, itemRows, { forceAsync: true });
    expect(maxAbsDifference(actual, expected)).toBeLessThan(1e-5);
    // Not a constant: the comparison would pass for any path that returned the same number.
    expect(new Set(expected).size).toBeGreaterThan(100);
  });
});

/** A user's vector and bias, as serving passes them to ItemScorer. */
function servedUser(model: Model, user: number): [Float32Array, number] {
  const dim = model.hyper.embeddingDim;
  return [model.userEmbeddings.subarray(user * dim, (user + 1) * dim), model.userBias[user]!];
}

describe('all-items scoring with an asynchronous read (the ItemScorer path serving takes on webgpu), on the CPU', () => {
  it.each(HEAD_MODELS)('%s: the head tail dispatched on wasm and awaited equals the synchronous one', async (label) => {
    await selectBackend('wasm');
    const model = models.get(label)!;
    const expected = predictRows(model, new Int32Array(model.itemIds.length).fill(5), Int32Array.from(model.itemIds, (_, item) => item));
    const scorer = new ItemScorer(model);
    expect(maxAbsDifference(scorer.score(...servedUser(model, 5)), expected)).toBeLessThan(1e-5);
    expect(maxAbsDifference(await scorer.scoreAsync(...servedUser(model, 5), { backend: 'wasm', forceAsync: true }), expected)).toBeLessThan(1e-5);
    scorer.release();
  });
});

/** A batch of head inputs, a dropout mask and a loss gradient for one training step. */
function trainingStepInputs(model: Model, batch: number) {
  const inputs = model.head!.layers[0]!.inputs;
  const random = mulberry32(7);
  const x = Float32Array.from({ length: batch * inputs }, () => random() * 2 - 1);
  const mask = Float32Array.from({ length: batch * inputs }, () => (random() < 0.3 ? 0 : 1 / 0.7));
  // Any function of the outputs serves: the step must pass it the outputs and backpropagate its result.
  const lossGradient = (outputs: Float32Array) => outputs.map((value, j) => (value - (j % 7)) / batch);
  return { x, mask, lossGradient };
}

function expectSameGradients(actual: HeadGradients, expected: HeadGradients, tolerance: number): void {
  actual.weights.forEach((grad, l) => expect(maxAbsDifference(grad, expected.weights[l]!)).toBeLessThan(tolerance));
  actual.biases.forEach((grad, l) => expect(maxAbsDifference(grad, expected.biases[l]!)).toBeLessThan(tolerance));
  expect(maxAbsDifference(actual.input, expected.input)).toBeLessThan(tolerance);
  // Not vacuous: the gradients are not all zero.
  expect(expected.weights[0]!.some((value) => Math.abs(value) > 1e-4)).toBe(true);
}

describe('a head training step with asynchronous reads (what training runs on webgpu), on the CPU', () => {
  it.each(HEAD_MODELS)('%s equals headTrainStep, dropout mask included', async (label) => {
    await selectBackend('wasm');
    const model = models.get(label)!;
    const { x, mask, lossGradient } = trainingStepInputs(model, 32);
    const expected = headTrainStep(model.head!, x, 32, lossGradient, mask);
    expectSameGradients(await headTrainStepOn('wasm', true, model.head!, x, 32, lossGradient, mask), expected, 1e-5);
  });
});

(gpu ? describe : describe.skip)(`batched head scoring on the GPU backend (${gpu ?? 'skipped: no GPU backend'}) equals the CPU path`, () => {
  it.each(HEAD_MODELS)('%s: predictRatings pairs and all items of a user', async (label) => {
    const model = models.get(label)!;
    const { userRows, itemRows } = allPairs(model, 12);
    await selectBackend('wasm');
    const expected = predictRows(model, userRows, itemRows);
    const choice = await selectBackend(gpu);
    expect(choice.scoring).toBe(gpu);
    expect(choice.gpu).toBe(!probe!.software);
    const actual = await predictRowsOn(choice.scoring, model, userRows, itemRows);
    // float32 on different hardware: summation order differs; ratings agree to 1e-3 of a star.
    expect(maxAbsDifference(actual, expected)).toBeLessThan(1e-3);
    const oneUser = await scoreAllItemsOn(choice.scoring, model, 3);
    expect(maxAbsDifference(oneUser, expected.subarray(3 * model.itemIds.length, 4 * model.itemIds.length))).toBeLessThan(1e-3);
    // What recommendations run: the item half kept on the GPU, the tail dispatched there.
    const scorer = new ItemScorer(model);
    const served = await scorer.scoreAsync(...servedUser(model, 3), { backend: choice.scoring });
    expect(maxAbsDifference(served, expected.subarray(3 * model.itemIds.length, 4 * model.itemIds.length))).toBeLessThan(1e-3);
    scorer.release();
    // What training runs there: one head step, dropout mask included.
    const step = trainingStepInputs(model, 32);
    await selectBackend('wasm');
    const cpuStep = headTrainStep(model.head!, step.x, 32, step.lossGradient, step.mask);
    await selectBackend(gpu);
    expectSameGradients(await headTrainStepOn(tfjsName(choice.scoring), true, model.head!, step.x, 32, step.lossGradient, step.mask), cpuStep, 1e-3);
  });
});
