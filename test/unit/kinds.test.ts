/** Each model kind's definition agrees with its presets, its fresh model and its predictions. */
import { kindDefinition, MODEL_KINDS } from '../../src/models/kinds';
import { PRESETS, presetHyperparameters } from '../../src/models/hyperparameters';
import { initModel } from '../../src/models/model';
import { predictRows } from '../../src/models/predict';
import { MAX_RATING, MIN_RATING } from '../../src/models/rating-scale';
import { mulberry32 } from '../../src/trainer/random';

const cases = MODEL_KINDS.flatMap((kind) => PRESETS.map((preset) => [kind, preset] as const));

describe('model kind definitions', () => {
  it.each(cases)('%s (%s preset): loss, biases and item features as the definition says', (kind, preset) => {
    const definition = kindDefinition(kind);
    const hyper = presetHyperparameters(kind, preset);
    expect(hyper.loss === 'crossentropy').toBe(definition.loss === 'crossentropy');
    if (!definition.biases) expect(hyper.biases).toBe(false);
    expect(hyper.features !== null).toBe(definition.itemFeatures);
  });

  it.each(MODEL_KINDS)('%s: a fresh model has a head of the defined output width, and predicts on the rating scale (a score kind: a finite score)', (kind) => {
    const definition = kindDefinition(kind);
    const hyper = { ...presetHyperparameters(kind, 'default'), embeddingDim: 8, features: null };
    const ids = { users: Int32Array.from([1, 2, 3]), items: Int32Array.from([10, 20]) };
    const model = initModel(hyper, ids, 7, null, new Float32Array(0), mulberry32(1));
    if (definition.headOutputs === 0) expect(model.head).toBeNull();
    else expect(model.head!.layers.at(-1)!.units).toBe(definition.headOutputs);
    const ratings = predictRows(model, Int32Array.from([0, 1, 2, 0]), Int32Array.from([0, 1, 0, 1]));
    for (const rating of ratings) {
      expect(Number.isFinite(rating)).toBe(true);
      if (definition.rating === 'score') continue;
      expect(rating).toBeGreaterThanOrEqual(MIN_RATING);
      expect(rating).toBeLessThanOrEqual(MAX_RATING);
    }
  });
});
