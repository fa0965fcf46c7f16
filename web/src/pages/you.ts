/** You: create a user (or sign in with a token), your ratings, your recommendations. */
import { ApiError, gql, typeLabel } from '../api';
import { animeLink, errorBox, h, replace, section } from '../dom';
import { loadRecommendations, recommendationList } from '../recommendations';
import { currentSession, signIn, signOut, type Session } from '../session';
import type { Page } from './page';

const CREATE = `mutation Create($name: String!) { createUser(input: { name: $name }) { user { id name } token } }`;
const ME = `{ me { id name } }`;
const MY_RATINGS = `query MyRatings($after: String) { me { ratings(first: 50, after: $after) { nodes { rating updatedAt anime { id name type } } totalCount } } }`;
const DELETE = `mutation Delete($anime: Int!) { deleteRating(input: { animeId: $anime }) { deleted } }`;

type RatingItem = { rating: number; updatedAt: string; anime: { id: number; name: string; type: string | null } };

function signInForms(): HTMLElement[] {
  const nameInput = h('input', { id: 'user-name', name: 'name', required: true, maxlength: 100, autocomplete: 'nickname' });
  const createStatus = h('div', { role: 'status' });
  const create = h(
    'form',
    { class: 'card', id: 'create-user', onsubmit: async (event: Event) => {
      event.preventDefault();
      const button = create.querySelector('button')!;
      button.disabled = true;
      createStatus.textContent = 'Creating…';
      try {
        const data = await gql<{ createUser: { user: { id: number; name: string }; token: string } }>(CREATE, { name: nameInput.value.trim() });
        signIn({ userId: data.createUser.user.id, name: data.createUser.user.name, token: data.createUser.token });
      } catch (error) {
        replace(createStatus, errorBox(error));
        button.disabled = false;
      }
    } },
    h('h2', {}, 'Create a user'),
    h('p', {}, 'You get a token that this browser keeps; rate anime and your recommendations follow at once.'),
    h('label', { for: 'user-name' }, 'Your name'),
    h('div', { class: 'row' }, nameInput, h('button', { type: 'submit' }, 'Create')),
    createStatus,
  );
  const tokenInput = h('input', { id: 'user-token', name: 'token', required: true, type: 'password', autocomplete: 'off' });
  const tokenStatus = h('div', { role: 'status' });
  const withToken = h(
    'form',
    { class: 'card', id: 'token-sign-in', onsubmit: async (event: Event) => {
      event.preventDefault();
      const token = tokenInput.value.trim();
      try {
        const data = await gql<{ me: { id: number; name: string | null } }>(ME, {}, token);
        signIn({ userId: data.me.id, name: data.me.name ?? `user ${data.me.id}`, token });
      } catch (error) {
        replace(tokenStatus, errorBox(error instanceof ApiError && error.code === 'UNAUTHENTICATED' ? new Error('that token is not valid') : error));
      }
    } },
    h('h2', {}, 'Sign in with a token'),
    h('label', { for: 'user-token' }, 'API token (id.secret)'),
    h('div', { class: 'row' }, tokenInput, h('button', { type: 'submit' }, 'Sign in')),
    tokenStatus,
  );
  return [create, withToken];
}

function ratingsTable(session: Session, items: RatingItem[], refresh: () => void): HTMLElement {
  if (items.length === 0) return h('p', { class: 'empty' }, 'No ratings yet: open any anime (Explore or the Map) and rate it 1–10.');
  return h(
    'table',
    { id: 'my-ratings' },
    h('thead', {}, h('tr', {}, ...['Anime', 'Type', 'Your rating', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      {},
      ...items.map((item) =>
        h(
          'tr',
          {},
          h('td', {}, animeLink(item.anime)),
          h('td', {}, typeLabel(item.anime.type) ?? '—'),
          h('td', { class: 'num' }, String(item.rating)),
          h('td', {}, h('button', { type: 'button', class: 'link', 'aria-label': `Remove your rating of ${item.anime.name}`, onclick: async () => {
            await gql(DELETE, { anime: item.anime.id }, session.token).catch(() => undefined);
            refresh();
          } }, 'remove')),
        ),
      ),
    ),
  );
}

export const renderYou: Page = async (root) => {
  const session = currentSession();
  if (!session) {
    replace(root, h('h1', {}, 'You'), h('div', { class: 'columns' }, ...signInForms()));
    (root.querySelector('#user-name') as HTMLInputElement).focus();
    return;
  }
  const tokenCode = h('code', { id: 'token', hidden: true }, session.token);
  const ratings = h('section', { class: 'card', 'aria-label': 'Your ratings' });
  const recommendations = h('section', { class: 'card', id: 'recommendations', 'aria-label': 'Your recommendations' });
  replace(
    root,
    h('h1', {}, `You: ${session.name}`),
    h(
      'p',
      { class: 'session-info' },
      `User #${session.userId}. `,
      h('button', { type: 'button', class: 'link', onclick: () => (tokenCode.hidden = !tokenCode.hidden) }, 'show token'),
      ' ',
      tokenCode,
      ' ',
      h('button', { type: 'button', id: 'sign-out', onclick: () => signOut() }, 'Sign out'),
    ),
    h('div', { class: 'columns' }, recommendations, ratings),
  );
  const refresh = () => {
    void section(ratings, 'your ratings', () => gql<{ me: { ratings: { nodes: RatingItem[]; totalCount: number } } }>(MY_RATINGS, {}, session.token), (data) => [
      h('h2', {}, `Your ratings (${data.me.ratings.totalCount})`),
      ratingsTable(session, data.me.ratings.nodes, refresh),
    ]);
    void section(recommendations, 'your recommendations', () => loadRecommendations(session.userId, 10, session.token), (list) => [h('h2', {}, 'Recommended for you'), recommendationList(list)]);
  };
  refresh();
};
