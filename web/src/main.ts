/** The playground: a hash router over the pages, the session badge, one page at a time. */
import './styles.css';
import { disposeCharts } from './charts';
import { h, replace } from './dom';
import { renderAnime } from './pages/anime';
import { renderData } from './pages/data';
import { renderExplore } from './pages/explore';
import { renderMap } from './pages/map';
import { renderModels } from './pages/models';
import { renderYou } from './pages/you';
import { hashParts, type Page } from './pages/page';
import { currentSession, onSessionChange, signOut } from './session';

interface Route {
  name: string;
  pattern: RegExp;
  render: Page;
}

const ROUTES: Route[] = [
  { name: 'explore', pattern: /^\/?$/, render: renderExplore },
  { name: 'explore', pattern: /^\/anime\/(\d+)$/, render: renderAnime },
  { name: 'map', pattern: /^\/map$/, render: renderMap },
  { name: 'you', pattern: /^\/you$/, render: renderYou },
  { name: 'models', pattern: /^\/models$/, render: renderModels },
  { name: 'data', pattern: /^\/data$/, render: renderData },
];

let pageController = new AbortController();

function show(): void {
  pageController.abort(); // stops the previous page's polling
  pageController = new AbortController();
  disposeCharts();
  const root = document.getElementById('page')!;
  const { path, query } = hashParts();
  const route = ROUTES.find((r) => r.pattern.test(path));
  document.querySelectorAll<HTMLAnchorElement>('[data-nav]').forEach((link) => {
    if (link.dataset.nav === route?.name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  });
  if (!route) {
    replace(root, h('div', { class: 'error', role: 'alert' }, `No page at ${location.hash}. `, h('a', { href: '#/' }, 'Explore')));
    return;
  }
  const match = route.pattern.exec(path)!;
  root.replaceChildren();
  route.render(root, { params: match.slice(1), query: new URLSearchParams(query), signal: pageController.signal }).catch((error: unknown) => {
    replace(root, h('div', { class: 'error', role: 'alert' }, `The page failed: ${error instanceof Error ? error.message : String(error)}`));
  });
  root.focus({ preventScroll: true });
}

function showSession(): void {
  const session = currentSession();
  const badge = document.getElementById('session')!;
  if (session) {
    replace(badge, h('a', { href: '#/you' }, `${session.name} (#${session.userId})`), ' ', h('button', { type: 'button', class: 'link', onclick: () => signOut() }, 'Sign out'));
  } else {
    replace(badge, h('a', { href: '#/you' }, 'Sign in'));
  }
}

onSessionChange(() => {
  showSession();
  show();
});
window.addEventListener('hashchange', show);
document.getElementById('page')!.tabIndex = -1;
showSession();
show();
