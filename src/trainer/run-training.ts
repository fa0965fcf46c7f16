/**
 * One training run, end to end: load the ratings, split them (seeded), fit the baselines,
 * train, evaluate on the held-out test set (errors and ranking quality), map the item
 * embeddings to 2-D, and publish a model version in one transaction, activating it when asked
 * or when it beats the active model on this run's validation data.
 */
import { InvariantError } from '../errors';
import type { Database } from '../db/database';
import { failpoint } from '../faults/failpoint';
import { silentProgress, type ProgressSink } from '../progress';
import { selectBackend, type BackendName } from '../models/backend';
import { presetHyperparameters, type Hyperparameters, type PresetName } from '../models/hyperparameters';
import { kindDefinition, type ModelKind } from '../models/kinds';
import { ItemScorer } from '../models/all-items-scorer';
import { type Model } from '../models/model';
import { serializeHead } from '../models/serialize';
import { loadRatingModel } from '../versions/rating-model';
import { serializeReranker, type Reranker } from '../ranking/reranker';
import type { BlendWeights } from '../ranking/two-stage';
import { similarTitlesQuality, twoStageScorer } from './train-retrieval';
import type { Logger } from '../logger';
import { fitBaselineOnly, globalMeanBaseline, predictAll, type RatingPredictor } from './baselines';
import { loadRatingsDataset, pick, splitDataset, type DatasetSplit, type RatingsDataset } from './dataset';
import type { MapMethod } from './map2d';
import { computeMapInThread } from './map-thread';
import { regressionMetrics, type RankingMetrics, type RegressionMetrics } from './metrics';
import type { EaseModel } from '../ranking/ease';
import { fitRankingBaselines, rankingOn, type EvaluationSample, type RankingBaselines } from './ranking-baselines';
import { rankingData, type RankingData } from './ranking-data';
import type { EpochRecord, ModelVersionDraft, PredictionSample } from '../versions/draft';
import { activeModelVersionId } from '../versions/activation';
import { publishModelVersion } from '../versions/publish';
import { DEFAULT_MODEL_VERSIONS_KEPT, retainModelVersions } from '../versions/retention';
import { samplePredictions } from './prediction-sample';
import { PreparedDataCache, preparationKey } from './prepared-data-cache';
import { trainModel } from './train';
import type { ModelTrainer, TrainedModel } from './trainer';
import { trainRetrieval } from './train-retrieval';
import { predictRows } from '../models/predict';
import { withTrainingLock } from './training-lock';

export interface TrainingRunOptions {
  kind: ModelKind;
  preset: PresetName;
  /** Hyperparameters given explicitly, over the preset's. */
  overrides?: Partial<Hyperparameters>;
  /** 'always' (--activate), or 'if-better': only when it beats the active model on validation RMSE. */
  activate: 'always' | 'if-better';
  /** The 2-D map of item embeddings; null skips it. */
  map: MapMethod | null;
  backend?: BackendName;
  /** Test users sampled for ranking metrics (seeded); scoring every item per user costs time. */
  rankingUsers?: number;
  progress?: ProgressSink;
  logger?: Logger;
  signal?: AbortSignal;
  /** Ready versions kept after publishing besides the active one (MODEL_VERSIONS_KEPT); older ones are dropped. */
  modelVersionsKept?: number;
}

export interface ModelMetrics {
  train: RegressionMetrics;
  test: RegressionMetrics;
  ranking: RankingMetrics;
  /** Classifiers only: the notebook's argmax+1 prediction on the test set. */
  testArgmax?: RegressionMetrics;
  /** retrieval only: item-kNN driven by its item vectors (shrunk by support, and not), against raw item-kNN in rankingBaselines. */
  similarTitles?: { shrunk: RankingMetrics; unshrunk: RankingMetrics };
  /** retrieval only: the re-ranking blend fitted on validation. */
  blend?: { weights: BlendWeights; validationNdcg: number | null };
}

export interface TrainingReport {
  modelVersionId: number;
  activated: boolean;
  /** Why it was (not) activated. */
  activation: string;
  kind: ModelKind;
  preset: PresetName;
  hyperparameters: Hyperparameters;
  backend: BackendName;
  dataset: { ratings: number; users: number; items: number; train: number; validation: number; test: number };
  metrics: ModelMetrics & { validationRmse: number };
  baselines: { globalMean: ModelMetrics; baselineOnly: ModelMetrics };
  /** Top-10 ranking baselines on the same split: popularity, item-kNN, EASE. */
  rankingBaselines: RankingBaselines;
  history: EpochRecord[];
  bestEpoch: number;
  trainSeconds: number;
  samplesPerSecond: number;
}

export const DEFAULT_RANKING_USERS = 1000;

interface Evaluator {
  predict(users: Int32Array, items: Int32Array): Float32Array;
  scoreUser(user: number, scores: Float32Array): void;
}

function modelEvaluator(model: Model, scorer: ItemScorer): Evaluator {
  const dim = model.hyper.embeddingDim;
  return {
    predict: (users, items) => predictRows(model, users, items),
    scoreUser: (user, scores) => void scorer.score(model.userEmbeddings.subarray(user * dim, (user + 1) * dim), model.userBias[user]!, scores),
  };
}

function baselineEvaluator(predictor: RatingPredictor, numItems: number): Evaluator {
  return {
    predict: (users, items) => predictAll(predictor, users, items),
    scoreUser: (user, scores) => {
      for (let i = 0; i < numItems; i++) scores[i] = predictor.predict(user, i);
    },
  };
}

async function evaluate(evaluator: Evaluator, dataset: RatingsDataset, split: DatasetSplit, ranking: RankingData, sample: EvaluationSample): Promise<ModelMetrics> {
  const train = pick(dataset, split.train);
  const test = pick(dataset, split.test);
  return {
    train: regressionMetrics(evaluator.predict(train.users, train.items), train.ratings),
    test: regressionMetrics(evaluator.predict(test.users, test.items), test.ratings),
    ranking: await rankingOn(ranking.test, evaluator, dataset.itemIds.length, sample),
  };
}

/** RMSE of a stored model on this run's validation ratings; pairs it does not know use its biases or mean. */
function validationRmseOf(model: Model, dataset: RatingsDataset, validation: Int32Array): number {
  const rowsOf = (ids: Int32Array) => new Map(Array.from(ids, (id, row) => [id, row]));
  const userRow = rowsOf(model.userIds);
  const itemRow = rowsOf(model.itemIds);
  const known: number[] = [];
  let squared = 0;
  for (const index of validation) {
    const u = userRow.get(dataset.userIds[dataset.users[index]!]!);
    const i = itemRow.get(dataset.itemIds[dataset.items[index]!]!);
    if (u === undefined || i === undefined) {
      const fallback = model.globalMean + (i === undefined ? 0 : model.itemBias[i]!) + (u === undefined ? 0 : model.userBias[u]!);
      const error = (model.hyper.biases ? fallback : 7) - dataset.ratings[index]!;
      squared += error * error;
    } else {
      known.push(index);
    }
  }
  const users = Int32Array.from(known, (index) => userRow.get(dataset.userIds[dataset.users[index]!]!)!);
  const items = Int32Array.from(known, (index) => itemRow.get(dataset.itemIds[dataset.items[index]!]!)!);
  const predicted = predictRows(model, users, items);
  known.forEach((index, k) => {
    const error = predicted[k]! - dataset.ratings[index]!;
    squared += error * error;
  });
  return Math.sqrt(squared / Math.max(validation.length, 1));
}

function toDraft(model: Model, report: Omit<TrainingReport, 'modelVersionId' | 'activated' | 'activation'>, map: Float32Array | null, testSample: PredictionSample, reranker: Reranker | undefined): ModelVersionDraft {
  const dim = model.hyper.embeddingDim;
  const biases = kindDefinition(model.hyper.kind).biases && model.hyper.biases;
  return {
    reranker: reranker ? serializeReranker(reranker) : undefined,
    kind: model.hyper.kind,
    embeddingDim: dim,
    hyperparameters: { ...model.hyper, preset: report.preset, backend: report.backend },
    metrics: { ...report.metrics, baselines: report.baselines, rankingBaselines: report.rankingBaselines, dataset: report.dataset, bestEpoch: report.bestEpoch, trainSeconds: report.trainSeconds, samplesPerSecond: report.samplesPerSecond, testSample },
    history: report.history,
    headWeights: serializeHead(model),
    users: { ids: model.userIds, vectors: model.userEmbeddings, dim, biases: biases ? model.userBias : undefined },
    items: { ids: model.itemIds, vectors: model.itemEmbeddings, dim, biases: biases ? model.itemBias : undefined },
    map: map ? { ids: model.itemIds, xy: map } : undefined,
  };
}

/** What every run on the same data shares: the ratings, the seeded split, the baselines. */
export interface PreparedData {
  dataset: RatingsDataset;
  split: DatasetSplit;
  baselines: TrainingReport['baselines'];
  rankingBaselines: RankingBaselines;
  /** Training interactions and held-out sets for ranking. */
  ranking: RankingData;
  /** The EASE fit chosen on validation: the retrieval kind's item neighbours come from it. */
  ease: EaseModel;
  rankingUsers: number;
  /** tfjs' global backend: mf training, evaluation, maps. */
  backend: BackendName;
  /** Where head training steps run: the GPU backend under webgpu, else `backend`. */
  headBackend: BackendName;
}

const preparedData = new PreparedDataCache<PreparedData>();

/**
 * The split and baselines of the database's ratings; a run on the same data and options within
 * PREPARED_DATA_TTL_MS of the last one gets the same preparation (prepared-data-cache.ts).
 */
export async function prepareTrainingData(
  db: Database,
  split: { testFraction: number; validationSplit: number; seed: number },
  options: Pick<TrainingRunOptions, 'backend' | 'rankingUsers' | 'logger'>,
): Promise<PreparedData> {
  const backend = await selectBackend(options.backend, options.logger);
  const dataset = await loadRatingsDataset(db);
  const splitOptions = { testFraction: split.testFraction, validationSplit: split.validationSplit, seed: split.seed };
  const rankingUsers = options.rankingUsers ?? DEFAULT_RANKING_USERS;
  // A sample at least as large as the dataset's users is all of them, whatever its size: such
  // runs measure the same users and share one preparation (and its three EASE fits).
  const sample = rankingUsers >= dataset.userIds.length ? 'all' : rankingUsers;
  const key = preparationKey(dataset, { ...splitOptions, sample, backend: backend.name, scoring: backend.scoring });
  return preparedData.get(key, () => prepareDataset(dataset, splitOptions, rankingUsers, backend));
}

async function prepareDataset(
  dataset: RatingsDataset,
  split: { testFraction: number; validationSplit: number; seed: number },
  rankingUsers: number,
  backend: { name: BackendName; scoring: BackendName },
): Promise<PreparedData> {
  const splitIndices = splitDataset(dataset.ratings.length, split);
  const trainRatings = pick(dataset, splitIndices.train);
  const baselineOnly = fitBaselineOnly({ ...trainRatings, numUsers: dataset.userIds.length, numItems: dataset.itemIds.length });
  const globalMean = globalMeanBaseline(trainRatings.ratings);
  const numItems = dataset.itemIds.length;
  const ranking = rankingData(dataset, splitIndices);
  const sample = { maxUsers: rankingUsers, seed: split.seed };
  const rankingBaselines = await fitRankingBaselines(ranking, sample);
  return {
    dataset,
    split: splitIndices,
    ranking,
    rankingBaselines: rankingBaselines.metrics,
    ease: rankingBaselines.ease,
    rankingUsers,
    backend: backend.name,
    headBackend: backend.scoring,
    baselines: {
      globalMean: await evaluate(baselineEvaluator(globalMean, numItems), dataset, splitIndices, ranking, sample),
      baselineOnly: await evaluate(baselineEvaluator(baselineOnly, numItems), dataset, splitIndices, ranking, sample),
    },
  };
}

const sgdTrainer: ModelTrainer = (input, hyper, callbacks) => trainModel(input.dataset, input.split, hyper, callbacks);

/** The trainers of the kinds not trained by the SGD trainer (ModelKindDefinition.trainer 'own'). */
const OWN_TRAINERS: Partial<Record<ModelKind, ModelTrainer>> = { retrieval: trainRetrieval };

function trainerOf(kind: ModelKind): ModelTrainer {
  const trainer = kindDefinition(kind).trainer === 'sgd' ? sgdTrainer : OWN_TRAINERS[kind];
  if (!trainer) throw new InvariantError(`model kind ${kind} has no trainer`);
  return trainer;
}

/** Trains one model on prepared data, reporting progress per epoch. */
export function trainPrepared(prepared: PreparedData, hyper: Hyperparameters, options: Pick<TrainingRunOptions, 'progress' | 'logger' | 'signal'>): Promise<TrainedModel> {
  const progress = options.progress ?? silentProgress;
  let shownEpoch = 0;
  return trainerOf(hyper.kind)(prepared, hyper, {
    signal: options.signal,
    onBatch: (p) => {
      // Reports come every ~200 ms, not every batch: a new epoch starts its bar at its first report.
      if (p.epoch !== shownEpoch) {
        shownEpoch = p.epoch;
        progress.start(`epoch ${p.epoch}/${p.epochs}`, p.batches);
      }
      progress.update(p.batch, p.batch * hyper.batchSize, `loss ${p.loss.toFixed(4)} | ${Math.round(p.samplesPerSecond)} samples/s`);
      if (p.batch === p.batches) progress.stop();
    },
    onEpoch: (record) => options.logger?.info({ ...record }, 'epoch'),
  });
}

/** Evaluates a trained model, maps its items, and publishes it (activating as asked). */
export async function finishTrainingRun(
  db: Database,
  prepared: PreparedData,
  hyper: Hyperparameters,
  result: TrainedModel,
  options: Pick<TrainingRunOptions, 'preset' | 'activate' | 'map' | 'progress' | 'signal' | 'logger' | 'modelVersionsKept'>,
): Promise<TrainingReport> {
  const progress = options.progress ?? silentProgress;
  const { dataset, split, rankingUsers } = prepared;
  const model = result.model;

  progress.start('evaluate', 1);
  const sample = { maxUsers: rankingUsers, seed: hyper.seed };
  // Predicted ratings come from the rating model: the model itself, or a retrieval version's re-ranker's.
  const ratingModel = result.reranker?.ratingModel ?? model;
  let metrics: ModelMetrics;
  if (result.reranker) {
    const evaluator = { predict: (users: Int32Array, items: Int32Array) => predictRows(ratingModel, users, items), ...twoStageScorer(model, result.reranker, prepared.ranking, prepared.ranking.test) };
    metrics = await evaluate(evaluator, dataset, split, prepared.ranking, sample);
    metrics.similarTitles = await similarTitlesQuality(model, result.reranker, prepared.ranking, sample);
    metrics.blend = { weights: result.reranker.weights, validationNdcg: result.blendValidationNdcg ?? null };
  } else {
    const scorer = new ItemScorer(model);
    metrics = await evaluate(modelEvaluator(model, scorer), dataset, split, prepared.ranking, sample);
    scorer.release();
  }
  if (kindDefinition(ratingModel.hyper.kind).rating === 'class-expectation') {
    const test = pick(dataset, split.test);
    const argmax = new Float32Array(test.users.length);
    predictRows(ratingModel, test.users, test.items, undefined, argmax);
    metrics.testArgmax = regressionMetrics(argmax, test.ratings);
  }
  const validationRmse = validationRmseOf(ratingModel, dataset, split.validation);
  const testSample = samplePredictions((users, items) => predictRows(ratingModel, users, items), dataset, split.test, { seed: hyper.seed });
  progress.update(1, 0);
  progress.stop();

  let map: Float32Array | null = null;
  if (options.map) {
    progress.start(`map (${options.map})`, 100);
    map = await computeMapInThread(model.itemEmbeddings, model.itemIds.length, hyper.embeddingDim, {
      method: options.map,
      seed: hyper.seed,
      signal: options.signal,
      onProgress: (fraction) => progress.update(Math.round(fraction * 100), model.itemIds.length),
    });
    progress.stop();
  }
  options.signal?.throwIfAborted();

  const report: Omit<TrainingReport, 'modelVersionId' | 'activated' | 'activation'> = {
    kind: hyper.kind,
    preset: options.preset,
    hyperparameters: hyper,
    backend: result.model.head ? prepared.headBackend : prepared.backend,
    dataset: {
      ratings: dataset.ratings.length,
      users: dataset.userIds.length,
      items: dataset.itemIds.length,
      train: split.train.length,
      validation: split.validation.length,
      test: split.test.length,
    },
    metrics: { ...metrics, validationRmse },
    baselines: prepared.baselines,
    rankingBaselines: prepared.rankingBaselines,
    history: result.history,
    bestEpoch: result.bestEpoch,
    trainSeconds: result.seconds,
    samplesPerSecond: result.samplesPerSecond,
  };

  let activate = options.activate === 'always';
  let activation = 'activated as asked (--activate)';
  if (!activate) {
    const activeId = await activeModelVersionId(db);
    if (activeId === null) {
      activate = true;
      activation = 'activated: no model was active';
    } else {
      const activeRmse = validationRmseOf(await loadRatingModel(db, activeId), dataset, split.validation);
      activate = validationRmse < activeRmse;
      activation = `${activate ? 'activated' : 'not activated'}: validation RMSE ${validationRmse.toFixed(4)} vs ${activeRmse.toFixed(4)} of active version ${activeId}`;
    }
  }
  progress.start('publish', 1);
  const published = await publishModelVersion(db, toDraft(model, report, map, testSample, result.reranker), { activate });
  // The new version is protected: when not activated, an admin may still want to activate it.
  const dropped = await retainModelVersions(db, { keep: options.modelVersionsKept ?? DEFAULT_MODEL_VERSIONS_KEPT, protect: [published.id] });
  if (dropped.length > 0) options.logger?.info({ modelVersionIds: dropped }, 'old model versions dropped');
  progress.update(1, 0);
  progress.stop();
  return { ...report, modelVersionId: published.id, activated: published.activated, activation };
}

/** Trains, evaluates and publishes one model (see the top of this file); one per kind at a time. */
export function runTraining(db: Database, options: TrainingRunOptions): Promise<TrainingReport> {
  return withTrainingLock(db, options.kind, () => trainAndPublish(db, options));
}

async function trainAndPublish(db: Database, options: TrainingRunOptions): Promise<TrainingReport> {
  const hyper: Hyperparameters = { ...presetHyperparameters(options.kind, options.preset), ...options.overrides, kind: options.kind };
  const prepared = await prepareTrainingData(db, hyper, options);
  const result = await trainPrepared(prepared, hyper, options);
  failpoint('train:after-training');
  return finishTrainingRun(db, prepared, hyper, result, options);
}
