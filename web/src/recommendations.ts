/** A user's recommendations, each with its "because you rated …" reason. */
import { ANIME_FIELDS, ApiError, gql, type AnimeSummary } from './api';
import { animeLink, formatNumber, h } from './dom';

export interface Recommendation {
  anime: AnimeSummary;
  predictedRating: number;
  /** False while the user has no rating: popular titles, not personal yet. */
  personal: boolean;
  because: { text: string; anime: { id: number; name: string } } | null;
}

const RECOMMENDATIONS = `query Recommendations($userId: Int!, $k: Int!) {
  recommendations(userId: $userId, k: $k) { anime { ${ANIME_FIELDS} } predictedRating personal because { text anime { id name } } }
}`;

/** A new user has no embedding in the served model until their first rating folds one in. */
export const hasNoEmbeddingYet = (error: unknown) => error instanceof ApiError && error.code === 'MODEL_NOT_READY' && /has no embedding/.test(error.message);

/** The user's top k (their own token reads them: an API user's data is private); null while the user has no embedding (no rating yet). */
export async function loadRecommendations(userId: number, k: number, token: string): Promise<Recommendation[] | null> {
  try {
    return (await gql<{ recommendations: Recommendation[] }>(RECOMMENDATIONS, { userId, k }, token)).recommendations;
  } catch (error) {
    if (hasNoEmbeddingYet(error)) return null;
    throw error;
  }
}

export function recommendationList(recommendations: Recommendation[] | null): HTMLElement {
  if (recommendations === null) return h('p', { class: 'empty' }, 'Rate any anime (1–10) and your recommendations appear here at once.');
  if (recommendations.length === 0) return h('p', { class: 'empty' }, 'Nothing left to recommend.');
  const list = h(
    'ol',
    { class: 'recommendations' },
    ...recommendations.map((r) =>
      h(
        'li',
        { 'data-anime-id': r.anime.id },
        animeLink(r.anime),
        ' ',
        h('span', { class: 'score', title: 'predicted rating' }, formatNumber(r.predictedRating, 1)),
        h('div', { class: 'because' }, r.because ? r.because.text : 'a popular pick (rate some anime to personalize)'),
      ),
    ),
  );
  if (recommendations.some((r) => r.personal)) return list;
  return h('div', {}, h('p', { class: 'cold' }, 'Popular titles for now: rate any anime (1–10) and your recommendations become personal at once.'), list);
}
