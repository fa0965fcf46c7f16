/** A few DOM helpers: element building, and loading/error states that are never a blank page. */
import { ApiError } from './api';

type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;

/** `h('a', { href: '#/' }, 'home')`: attributes starting with "on" become listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, children);
}

export function loading(what: string): HTMLElement {
  return h('p', { class: 'loading', role: 'status' }, `Loading ${what}…`);
}

/** What went wrong, in words a person can act on. */
export function errorBox(error: unknown): HTMLElement {
  const code = error instanceof ApiError ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const hint =
    code === 'MODEL_NOT_READY'
      ? 'No model is active yet. A first start trains one in the background: see the Models page.'
      : code === 'UNAUTHENTICATED'
        ? 'Your token is not accepted any more: sign out and create a user again.'
        : code === 'NETWORK'
          ? 'Is the server running?'
          : null;
  return h('div', { class: 'error', role: 'alert' }, h('strong', {}, code ? `${code}: ` : 'Error: '), message, hint ? h('p', {}, hint) : null);
}

/**
 * Shows "Loading…" in `target` at once, then what `render` builds from the loaded value, or
 * the error. Returns the value (or undefined on error).
 */
export async function section<T>(target: Element, what: string, load: () => Promise<T>, render: (value: T) => Child | Child[]): Promise<T | undefined> {
  replace(target, loading(what));
  target.setAttribute('aria-busy', 'true');
  try {
    const value = await load();
    replace(target, render(value));
    return value;
  } catch (error) {
    replace(target, errorBox(error));
    return undefined;
  } finally {
    target.removeAttribute('aria-busy');
  }
}

export const animeLink = (anime: { id: number; name: string }) => h('a', { href: `#/anime/${anime.id}` }, anime.name);

export function formatNumber(value: number | null | undefined, digits = 0): string {
  return value === null || value === undefined ? '—' : value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
