/**
 * GraphQL enums for the closed sets of training: model kind, preset, 2-D map method, and a run's
 * status, origin and job. Names are the upper-case forms (MF, HYBRID_CLASSIFIER, START_UP);
 * resolvers see the values the services use ('mf', 'hybrid-classifier', 'start-up').
 */
import { registerEnumType } from 'type-graphql';
import { TRAINING_JOBS } from '../../jobs/job';
import { JOB_ORIGINS, JOB_STATUSES } from '../../jobs/job-runs';
import { PRESETS } from '../../models/hyperparameters';
import { kindDefinition, MODEL_KINDS } from '../../models/kinds';

/** `{ HYBRID_CLASSIFIER: 'hybrid-classifier', ... }` for a list of service values. */
function enumOf<T extends string>(values: readonly T[]): Record<string, T> {
  return Object.fromEntries(values.map((value) => [value.toUpperCase().replace(/-/g, '_'), value]));
}

export const ModelKindEnum = enumOf(MODEL_KINDS);
registerEnumType(ModelKindEnum, {
  name: 'ModelKind',
  description: 'What a model is; each value says how it predicts (the `modelKinds` query lists them).',
  valuesConfig: Object.fromEntries(Object.entries(ModelKindEnum).map(([name, kind]) => [name, { description: kindDefinition(kind).description }])),
});

export const PresetEnum = enumOf(PRESETS);
registerEnumType(PresetEnum, { name: 'TrainingPreset', description: 'A set of hyperparameters: DEFAULT, or NOTEBOOK (those of the original notebook).' });

export const MAP_METHODS = ['umap', 'tsne', 'none'] as const;
export type MapMethod = (typeof MAP_METHODS)[number];
export const MapMethodEnum = enumOf(MAP_METHODS);
registerEnumType(MapMethodEnum, { name: 'MapMethod', description: "How the 2-D map of a version's item embeddings is made: UMAP, TSNE (up to 2,500 anime), or NONE (no map)." });

export const TrainingStatusEnum = enumOf(JOB_STATUSES);
registerEnumType(TrainingStatusEnum, {
  name: 'TrainingStatus',
  description: 'Where a training run is: RUNNING, SUCCEEDED, FAILED (its error says why; "interrupted": its process died) or ABORTED.',
});

export const JobOriginEnum = enumOf(JOB_ORIGINS);
registerEnumType(JobOriginEnum, { name: 'JobOrigin', description: 'Where a job was started: CLI (npm run train, tune or ingest), API (startTraining) or START_UP (TRAIN_AT_START).' });

export const TrainingJobEnum = enumOf(TRAINING_JOBS);
registerEnumType(TrainingJobEnum, { name: 'TrainingJob', description: 'TRAIN (one model) or TUNE (a random search whose best trial is published).' });
