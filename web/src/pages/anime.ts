/** One anime: its metadata, its most similar titles, the signed-in user's prediction and rating. */
import { ANIME_FIELDS, gql, typeLabel, type AnimeSummary } from '../api';
import { animeLink, errorBox, formatNumber, h, replace, section } from '../dom';
import { hasNoEmbeddingYet, loadRecommendations, recommendationList } from '../recommendations';
import { currentSession, type Session } from '../session';
import type { Page } from './page';

const ANIME = `query Anime($id: Int!) { anime(id: $id) { ${ANIME_FIELDS} } }`;
const SIMILAR = `query Similar($id: Int!) { similarAnime(animeId: $id, k: 10) { anime { id name type genres } similarity } }`;
const MY_RATINGS = `{ me { ratings(first: 100) { nodes { animeId rating } } } }`;
const PREDICT = `query Predict($user: Int!, $anime: Int!) { predictRating(userId: $user, animeId: $anime) }`;
const RATE = `mutation Rate($anime: Int!, $rating: Int!) { rateAnime(input: { animeId: $anime, rating: $rating }) { rating { rating } } }`;

type Similar = { anime: { id: number; name: string; type: string | null; genres: string[] }; similarity: number };

function facts(anime: AnimeSummary): HTMLElement {
  const fact = (term: string, value: string) => [h('dt', {}, term), h('dd', {}, value)];
  return h(
    'dl',
    { class: 'facts' },
    ...fact('Type', typeLabel(anime.type) ?? 'unknown'),
    ...fact('Genres', anime.genres.join(', ') || '—'),
    ...fact('Episodes', anime.episodes === null ? 'unknown' : String(anime.episodes)),
    ...fact('Community rating', formatNumber(anime.communityRating, 2)),
    ...fact('Members', formatNumber(anime.members)),
    ...fact('MyAnimeList id', String(anime.id)),
  );
}

function similarTable(similar: Similar[]): HTMLElement {
  if (similar.length === 0) return h('p', { class: 'empty' }, 'No similar anime.');
  return h(
    'table',
    { class: 'similar' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Anime'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Similarity'))),
    h('tbody', {}, ...similar.map((s) => h('tr', {}, h('td', {}, animeLink(s.anime)), h('td', {}, typeLabel(s.anime.type) ?? '—'), h('td', { class: 'num' }, s.similarity.toFixed(3))))),
  );
}

/** Ten buttons, 1-10, the current rating pressed; a real <fieldset> so keyboards reach each. */
function ratingButtons(current: number | null, onRate: (rating: number) => void): HTMLElement {
  return h(
    'fieldset',
    { class: 'rate' },
    h('legend', {}, 'Your rating'),
    ...Array.from({ length: 10 }, (_, k) =>
      h('button', { type: 'button', 'aria-pressed': String(current === k + 1), 'data-rating': k + 1, onclick: () => onRate(k + 1) }, String(k + 1)),
    ),
  );
}

function personal(target: HTMLElement, anime: AnimeSummary, session: Session, recommendations: HTMLElement): void {
  const status = h('p', { class: 'status', role: 'status' });
  const render = async (message?: string) => {
    const load = async () => {
      const [ratings, prediction] = await Promise.all([
        gql<{ me: { ratings: { nodes: { animeId: number; rating: number }[] } } }>(MY_RATINGS, {}, session.token),
        gql<{ predictRating: number }>(PREDICT, { user: session.userId, anime: anime.id }, session.token).then(
          (data) => data.predictRating,
          (error: unknown) => {
            if (hasNoEmbeddingYet(error)) return null; // no rating yet: nothing to predict from
            throw error;
          },
        ),
      ]);
      return { mine: ratings.me.ratings.nodes.find((r) => r.animeId === anime.id)?.rating ?? null, prediction };
    };
    await section(target, 'your prediction', load, ({ mine, prediction }) => {
      status.textContent = message ?? '';
      return [
        h('p', { class: 'prediction' }, 'Predicted rating for you: ', h('strong', { id: 'predicted-rating' }, prediction === null ? 'rate any anime first' : prediction.toFixed(2))),
        ratingButtons(mine, (rating) => void rate(rating)),
        status,
      ];
    });
  };
  const rate = async (rating: number) => {
    target.querySelectorAll('fieldset.rate button').forEach((b) => ((b as HTMLButtonElement).disabled = true));
    status.textContent = 'Saving…';
    try {
      await gql(RATE, { anime: anime.id, rating }, session.token);
      await Promise.all([render(`You rated ${anime.name} ${rating}.`), showRecommendations(recommendations, session)]);
    } catch (error) {
      replace(status, errorBox(error));
      target.querySelectorAll('fieldset.rate button').forEach((b) => ((b as HTMLButtonElement).disabled = false));
    }
  };
  void render();
}

async function showRecommendations(target: HTMLElement, session: Session): Promise<void> {
  target.hidden = false;
  await section(target, 'your recommendations', () => loadRecommendations(session.userId, 5, session.token), (list) => [h('h3', {}, 'Recommended for you now'), recommendationList(list)]);
}

export const renderAnime: Page = async (root, { params }) => {
  const id = Number(params[0]);
  const head = h('section', { class: 'anime-head' });
  replace(root, head);
  const loaded = await section(head, 'the anime', () => gql<{ anime: AnimeSummary | null }>(ANIME, { id }), (data) => {
    if (!data.anime) return h('div', { class: 'error', role: 'alert' }, `There is no anime ${id}.`);
    return [h('h1', {}, data.anime.name), facts(data.anime)];
  });
  const anime = loaded?.anime;
  if (!anime) return;

  const you = h('section', { class: 'card you', 'aria-label': 'You' });
  const recommendations = h('section', { class: 'card', id: 'anime-recommendations', 'aria-label': 'Recommended for you', hidden: true });
  const similar = h('section', { class: 'card', id: 'similar', 'aria-label': 'Similar anime' });
  root.append(h('div', { class: 'columns' }, similar, h('div', {}, you, recommendations)));

  const session = currentSession();
  if (session) personal(you, anime, session, recommendations);
  else replace(you, h('p', {}, h('a', { href: '#/you' }, 'Create a user'), ' to rate this anime and see your predicted rating.'));

  await section(similar, 'similar anime', () => gql<{ similarAnime: Similar[] }>(SIMILAR, { id }), (data) => [h('h2', {}, 'Most similar'), similarTable(data.similarAnime)]);
};
