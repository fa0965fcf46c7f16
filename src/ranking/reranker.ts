/**
 * The second stage of a retrieval model version, stored beside its vectors: the rating model
 * whose predictions `predictedRating` reports and the blend reads (a hybrid, with its own user
 * and item embeddings), the sparse item neighbours, popularity, the fitted blend weights, and
 * what a fold-in of the retrieval vector needs. Kept in model_version.reranker.
 */
import type { Model } from '../models/model';
import { DotScanner } from './dot-scan';
import { deserializeHead, modelFromHead, serializeHead } from '../models/serialize';
import { packArrays, unpackArrays } from '../models/packed-arrays';
import type { IalsOptions } from './ials';
import type { ItemNeighbours } from './item-neighbours';
import { BLEND_FEATURES, type BlendWeights, type TwoStageModel } from './two-stage';

export type FoldInOptions = Pick<IalsOptions, 'regularization' | 'regularizationExponent' | 'unobservedWeight'>;

export interface Reranker {
  /** Predicts ratings; its rows are its own (ids in ratingModel.userIds / itemIds). */
  ratingModel: Model;
  neighbours: ItemNeighbours;
  /** Per retrieval item row: its interactions in training (popularity, and the similarity shrinkage). */
  support: Int32Array;
  weights: BlendWeights;
  vectorCandidates: number;
  neighbourCandidates: number;
  foldIn: FoldInOptions;
  /** Similarities to an item j are multiplied by support_j / (support_j + this). */
  similarityShrinkage: number;
}

const FORMAT = 'animerec-reranker/1';
const NO_WEIGHTS = Object.fromEntries(BLEND_FEATURES.map((feature) => [feature, 0])) as BlendWeights;

interface Header {
  format: typeof FORMAT;
  weights: BlendWeights;
  vectorCandidates: number;
  neighbourCandidates: number;
  foldIn: FoldInOptions;
  similarityShrinkage: number;
  arrays: number[];
}

/** The bytes of model_version.reranker. */
export function serializeReranker(reranker: Reranker): Uint8Array {
  const { ratingModel: model, neighbours } = reranker;
  const header: Omit<Header, 'arrays'> = {
    format: FORMAT,
    weights: reranker.weights,
    vectorCandidates: reranker.vectorCandidates,
    neighbourCandidates: reranker.neighbourCandidates,
    foldIn: reranker.foldIn,
    similarityShrinkage: reranker.similarityShrinkage,
  };
  const head = serializeHead(model);
  const headWords = new Int32Array(Math.ceil(head.length / 4) + 1);
  headWords[0] = head.length;
  new Uint8Array(headWords.buffer, 4).set(head);
  return packArrays(header, [
    headWords,
    model.userIds,
    model.userEmbeddings,
    model.userBias,
    model.itemIds,
    model.itemEmbeddings,
    model.itemBias,
    neighbours.start,
    neighbours.items,
    neighbours.weights,
    reranker.support,
  ]);
}

export function deserializeReranker(bytes: Uint8Array): Reranker {
  const { header, buffers } = unpackArrays<Header>(bytes, FORMAT, 'reranker');
  const [headWords, userIds, userEmbeddings, userBias, itemIds, itemEmbeddings, itemBias, start, items, weights, support] = buffers as [ArrayBuffer, ...ArrayBuffer[]];
  const headLength = new Int32Array(headWords, 0, 1)[0]!;
  const head = deserializeHead(new Uint8Array(headWords, 4, headLength));
  const ratingModel = modelFromHead(
    head,
    { ids: new Int32Array(userIds!), vectors: new Float32Array(userEmbeddings!), biases: new Float32Array(userBias!) },
    { ids: new Int32Array(itemIds!), vectors: new Float32Array(itemEmbeddings!), biases: new Float32Array(itemBias!) },
  );
  const supportArray = new Int32Array(support!);
  return {
    ratingModel,
    neighbours: { numItems: supportArray.length, start: new Int32Array(start!), items: new Int32Array(items!), weights: new Float32Array(weights!) },
    support: supportArray,
    // A version stored before a feature existed blends without it.
    weights: { ...NO_WEIGHTS, ...header.weights },
    vectorCandidates: header.vectorCandidates,
    neighbourCandidates: header.neighbourCandidates,
    foldIn: header.foldIn,
    similarityShrinkage: header.similarityShrinkage,
  };
}

/** A two-stage ranker's plain data (its item vectors as an array): what a scoring thread is sent. */
export type TwoStageData = Omit<TwoStageModel, 'itemVectors'> & { itemVectors: Float32Array; dim: number };

export function twoStageData(retrieval: Model, reranker: Reranker): TwoStageData {
  return {
    dim: retrieval.hyper.embeddingDim,
    itemVectors: retrieval.itemEmbeddings,
    neighbours: reranker.neighbours,
    logPopularity: Float32Array.from(reranker.support, (count) => Math.log1p(count)),
    weights: reranker.weights,
    vectorCandidates: reranker.vectorCandidates,
    neighbourCandidates: reranker.neighbourCandidates,
  };
}

/** The two-stage ranker of plain data, its item vectors in a scanner. */
export function scannedTwoStage({ itemVectors, dim, ...rest }: TwoStageData): TwoStageModel {
  return { ...rest, itemVectors: new DotScanner(itemVectors, dim) };
}

/** The two-stage ranker of a retrieval model (its item vectors) and its re-ranker. */
export function twoStageModel(retrieval: Model, reranker: Reranker): TwoStageModel {
  return scannedTwoStage(twoStageData(retrieval, reranker));
}
