/** The signed-in user, kept in localStorage (the token is the only credential; sign out forgets it). */
const KEY = 'animerec.session';
const ADMIN_KEY = 'animerec.adminToken';

export interface Session {
  userId: number;
  name: string;
  token: string;
}

type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();

export function currentSession(): Session | null {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Session | null;
    return stored && typeof stored.token === 'string' && Number.isInteger(stored.userId) ? stored : null;
  } catch {
    return null;
  }
}

export function signIn(session: Session): void {
  localStorage.setItem(KEY, JSON.stringify(session));
  for (const listener of listeners) listener(session);
}

export function signOut(): void {
  localStorage.removeItem(KEY);
  for (const listener of listeners) listener(null);
}

export function onSessionChange(listener: Listener): void {
  listeners.add(listener);
}

/** The admin token lives only for the browser tab (sessionStorage): it can retrain models. */
export function adminToken(): string | null {
  return sessionStorage.getItem(ADMIN_KEY);
}

export function setAdminToken(token: string | null): void {
  if (token) sessionStorage.setItem(ADMIN_KEY, token);
  else sessionStorage.removeItem(ADMIN_KEY);
}
