/**
 * The popularity baseline: every user gets the items with the most users (ties to the lower item
 * row, as `rankingMetrics` orders them). The floor every personal ranking must beat.
 */
import { itemSupport, type Interactions, type UserScorer } from './interactions';

export interface PopularityModel extends UserScorer {
  /** Number of users per item, the score every user gets. */
  scores: Float32Array;
}

export function fitPopularity(interactions: Interactions): PopularityModel {
  const scores = Float32Array.from(itemSupport(interactions));
  return {
    scores,
    scoreUser(_user: number, out: Float32Array): void {
      out.set(scores);
    },
  };
}
