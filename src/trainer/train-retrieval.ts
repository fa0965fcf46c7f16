/**
 * The retrieval kind's trainer: its rating model (the hybrid, by the SGD trainer), implicit ALS
 * on every training interaction, item neighbours from the EASE fit the run's baselines chose on
 * validation, and the blend weights of the two-stage ranking fitted on validation ratings.
 */
import { InvariantError } from '../errors';
import type { Hyperparameters, RetrievalOptions } from '../models/hyperparameters';
import type { Model } from '../models/model';
import { ItemScorer } from '../models/all-items-scorer';
import { fitBlendWeights, idealDcg, type BlendExample } from '../ranking/blend';
import { topNeighbours } from '../ranking/ease';
import { fitIals, type IalsModel, type IalsOptions } from '../ranking/ials';
import { itemsOf, itemSupport } from '../ranking/interactions';
import { twoStageModel, type Reranker } from '../ranking/reranker';
import { blendScores, standardized, type Candidates, type TwoStageModel } from '../ranking/two-stage';
import { ratedCandidates } from '../ranking/user-ranker';
import type { UserScorer } from '../ranking/interactions';
import { DEFAULT_KNN_NEIGHBOURS } from '../ranking/item-knn';
import { neighbourScorer } from '../ranking/item-neighbours';
import { supportFactors, unitScanner, vectorNeighbours } from '../ranking/vector-neighbours';
import type { RankingMetrics } from './metrics';
import { rankingOn, type EvaluationSample } from './ranking-baselines';
import { mulberry32, shuffleInPlace } from './random';
import type { HeldOut, RankingData } from './ranking-data';
import type { TrainedModel, TrainerInput } from './trainer';
import { trainModel, type TrainCallbacks } from './train';
import { YieldPoint } from '../yield-point';

/** Relevant held-out rating, as the ranking metrics count it. */
const RELEVANT_RATING = 8;
const K = 10;
/** The blend starts from retrieval and neighbours alike, with a little of the rating. */
const INITIAL_WEIGHTS = { retrieval: 1, neighbours: 1, liked: 0, rating: 0.1, popularity: 0 };

function retrievalOptionsOf(hyper: Hyperparameters): RetrievalOptions {
  // Every preset of the kind sets them, and training arguments cannot remove them.
  if (!hyper.retrieval) throw new InvariantError('the retrieval kind was given no retrieval hyperparameters');
  return hyper.retrieval;
}

function ialsOptionsOf(hyper: Hyperparameters): IalsOptions {
  const options = retrievalOptionsOf(hyper);
  return {
    dim: hyper.embeddingDim,
    sweeps: options.sweeps,
    regularization: options.regularization,
    regularizationExponent: options.regularizationExponent,
    unobservedWeight: options.unobservedWeight,
    cgSteps: options.cgSteps,
    initScale: 0.1,
    seed: hyper.seed,
  };
}

/** The retrieval vectors as a Model of the retrieval kind (no head, no biases), rows as in the dataset. */
function retrievalModel(hyper: Hyperparameters, ids: { users: Int32Array; items: Int32Array }, ials: IalsModel): Model {
  return {
    hyper,
    userIds: ids.users,
    itemIds: ids.items,
    userEmbeddings: ials.userVectors,
    itemEmbeddings: ials.itemVectors,
    userBias: new Float32Array(ids.users.length),
    itemBias: new Float32Array(ids.items.length),
    globalMean: 0,
    head: null,
    featureSpec: null,
    itemFeatures: new Float32Array(0),
  };
}

/**
 * Stage one for a user of the training data, with the rating model's predictions filled in: the
 * path serving takes (ranking/user-ranker.ts), with the training rows for ids.
 */
export function candidatesFor(stage: TwoStageModel, retrieval: Model, ratings: ItemScorer, ranking: RankingData, excluded: Int32Array | undefined, user: number): Candidates {
  const dim = retrieval.hyper.embeddingDim;
  const skipped = new Uint8Array(retrieval.itemIds.length);
  for (const row of excluded ?? []) skipped[row] = 1;
  const history = { interacted: itemsOf(ranking.train, user), liked: itemsOf(ranking.liked, user) };
  return ratedCandidates(stage, ratings, retrieval.userEmbeddings.subarray(user * dim, (user + 1) * dim), history, skipped, user);
}

/** Validation users' candidates, for fitting the blend (a seeded sample of at most `maxUsers`). */
async function blendExamples(stage: TwoStageModel, retrieval: Model, ratingModel: Model, ranking: RankingData, heldOut: HeldOut, maxUsers: number, seed: number): Promise<BlendExample[]> {
  const users = [...heldOut.heldOutByUser.keys()].filter((user) => {
    const { ratings } = heldOut.heldOutByUser.get(user)!;
    return Array.from(ratings).some((rating) => rating >= RELEVANT_RATING);
  });
  users.sort((a, b) => a - b);
  if (users.length > maxUsers) {
    shuffleInPlace(users, mulberry32(seed));
    users.length = maxUsers;
  }
  const examples: BlendExample[] = [];
  const ratings = new ItemScorer(ratingModel);
  const yieldPoint = new YieldPoint();
  for (const user of users) {
    await yieldPoint.pass();
    const held = heldOut.heldOutByUser.get(user)!;
    const relevant = new Set<number>();
    for (let n = 0; n < held.items.length; n++) if (held.ratings[n]! >= RELEVANT_RATING) relevant.add(held.items[n]!);
    const candidates = candidatesFor(stage, retrieval, ratings, ranking, heldOut.excludedByUser.get(user), user);
    examples.push({ standardized: standardized(candidates), relevant: Uint8Array.from(candidates.rows, (row) => (relevant.has(row) ? 1 : 0)), idealDcg: idealDcg(relevant.size, K) });
  }
  return examples;
}

export async function trainRetrieval(input: TrainerInput, hyper: Hyperparameters, callbacks: TrainCallbacks): Promise<TrainedModel> {
  const { dataset, split, ranking, ease } = input;
  const options = retrievalOptionsOf(hyper);
  const started = performance.now();
  const { retrieval: _retrieval, ...schedule } = hyper;
  const rating = await trainModel(dataset, split, { ...schedule, ...options.ratingModel, kind: 'hybrid' }, callbacks);

  const ialsStarted = performance.now();
  const ials = await fitIals(ranking.train, ialsOptionsOf(hyper), () => callbacks.signal?.throwIfAborted());
  const ialsSeconds = (performance.now() - ialsStarted) / 1000;
  const model = retrievalModel(hyper, { users: dataset.userIds, items: dataset.itemIds }, ials);
  const reranker: Reranker = {
    ratingModel: rating.model,
    neighbours: topNeighbours(ease, options.neighbours),
    support: itemSupport(ranking.train),
    weights: INITIAL_WEIGHTS,
    vectorCandidates: options.vectorCandidates,
    neighbourCandidates: options.neighbourCandidates,
    foldIn: { regularization: options.regularization, regularizationExponent: options.regularizationExponent, unobservedWeight: options.unobservedWeight },
    similarityShrinkage: options.similarityShrinkage,
  };
  callbacks.signal?.throwIfAborted();
  const examples = await blendExamples(twoStageModel(model, reranker), model, rating.model, ranking, ranking.validation, input.rankingUsers, hyper.seed);
  const blend = fitBlendWeights(examples, K, INITIAL_WEIGHTS);
  reranker.weights = blend.weights;
  return {
    ...rating,
    model,
    reranker,
    seconds: (performance.now() - started) / 1000,
    retrievalSeconds: ialsSeconds,
    blendValidationNdcg: blend.ndcg,
  };
}

/**
 * Scores for ranking evaluation through the served two-stage path: the candidates' blended
 * scores, every other item -Infinity (never listed), for users of `heldOut`.
 */
export function twoStageScorer(retrieval: Model, reranker: Reranker, ranking: RankingData, heldOut: HeldOut): UserScorer {
  const stage = twoStageModel(retrieval, reranker);
  const ratings = new ItemScorer(reranker.ratingModel);
  return {
    scoreUser(user, scores) {
      const candidates = candidatesFor(stage, retrieval, ratings, ranking, heldOut.excludedByUser.get(user), user);
      const blended = blendScores(standardized(candidates), reranker.weights);
      scores.fill(-Infinity);
      candidates.rows.forEach((row, n) => (scores[row] = blended[n]!));
    },
  };
}

/**
 * How well the served item vectors find similar titles: item-kNN whose neighbours are the
 * vectors' most similar items (with and without the support shrinkage), a user's score for an
 * item being the sum of its similarities to the user's training items, as raw item-kNN does.
 */
export async function similarTitlesQuality(retrieval: Model, reranker: Reranker, ranking: RankingData, sample: EvaluationSample): Promise<{ shrunk: RankingMetrics; unshrunk: RankingMetrics }> {
  const unit = unitScanner(retrieval.itemEmbeddings, retrieval.hyper.embeddingDim);
  const quality = (shrinkage: number) => {
    const neighbours = vectorNeighbours(unit, supportFactors(reranker.support, shrinkage), DEFAULT_KNN_NEIGHBOURS);
    return rankingOn(ranking.test, neighbourScorer(ranking.train, neighbours), retrieval.itemIds.length, sample);
  };
  return { shrunk: await quality(reranker.similarityShrinkage), unshrunk: await quality(0) };
}
