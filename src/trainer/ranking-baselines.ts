/**
 * The ranking baselines every training report shows beside its model, on the same split in the
 * same run: popularity, item-kNN (cosine, top-100 neighbours) and EASE with λ chosen on the
 * validation ratings. EASE is kept for the retrieval kind, whose item neighbours come from it.
 */
import { fitEase, type EaseModel } from '../ranking/ease';
import { itemGram } from '../ranking/co-occurrence';
import type { UserScorer } from '../ranking/interactions';
import { fitItemKnn } from '../ranking/item-knn';
import { fitPopularity } from '../ranking/popularity';
import { rankingMetrics, type RankingMetrics } from './metrics';
import type { HeldOut, RankingData } from './ranking-data';

/** λ values tried for EASE; the paper's best values for data of this size lie between. */
export const EASE_LAMBDAS = [100, 200, 500] as const;

export interface RankingBaselines {
  popularity: RankingMetrics;
  itemKnn: RankingMetrics;
  ease: RankingMetrics & { lambda: number; validationNdcg: number };
}

export interface EvaluationSample {
  /** Evaluate at most this many users (seeded sample). */
  maxUsers: number;
  seed: number;
}

/** Ranking quality of a scorer on held-out ratings (validation or test). */
export function rankingOn(heldOut: HeldOut, scorer: UserScorer, numItems: number, sample: EvaluationSample): Promise<RankingMetrics> {
  return rankingMetrics({
    numItems,
    trainItemsByUser: heldOut.excludedByUser,
    testByUser: heldOut.heldOutByUser,
    scoreUser: (user, scores) => scorer.scoreUser(user, scores),
    maxUsers: sample.maxUsers,
    seed: sample.seed,
  });
}

export async function fitRankingBaselines(
  data: RankingData,
  sample: EvaluationSample,
  signal?: AbortSignal,
): Promise<{ metrics: RankingBaselines; ease: EaseModel }> {
  const numItems = data.train.numItems;
  const popularity = await rankingOn(data.test, fitPopularity(data.train), numItems, sample);
  const itemKnn = await rankingOn(data.test, fitItemKnn(data.train), numItems, sample);
  const gram = itemGram(data.train);
  let best: { model: EaseModel; ndcg: number } | null = null;
  for (const lambda of EASE_LAMBDAS) {
    signal?.throwIfAborted();
    const model = await fitEase(data.train, { lambda, gram });
    const ndcg = (await rankingOn(data.validation, model, numItems, sample)).ndcg;
    if (best === null || ndcg > best.ndcg) best = { model, ndcg };
  }
  const ease = best!;
  return {
    metrics: { popularity, itemKnn, ease: { ...(await rankingOn(data.test, ease.model, numItems, sample)), lambda: ease.model.lambda, validationNdcg: ease.ndcg } },
    ease: ease.model,
  };
}
