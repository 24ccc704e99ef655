import type { Schemas } from '../../../src/client/client';

/**
 * Who is signed in, in memory only. The access token never touches storage (an XSS could read
 * storage); a reload gets a new one from the refresh cookie, which script cannot read at all.
 * A module-level store, so the typed client (outside React) and components (through
 * useSyncExternalStore in session-context) read the same state.
 */
export type SessionStatus = 'loading' | 'signed-in' | 'signed-out';

export interface SessionState {
  status: SessionStatus;
  user: Schemas['UserDto'] | null;
  accessToken: string | null;
  /** When the access token stops working (ms since the epoch). */
  expiresAt: number | null;
  /** Why the last attempt to restore the session failed, when it was not a plain 401. */
  problem: string | null;
}

let state: SessionState = {
  status: 'loading',
  user: null,
  accessToken: null,
  expiresAt: null,
  problem: null,
};
const listeners = new Set<() => void>();

export function getSessionState(): SessionState {
  return state;
}

export function setSessionState(next: Partial<SessionState>): void {
  state = { ...state, ...next };
  for (const listener of listeners) listener();
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** What the typed client asks before each request: `token: () => session.accessToken`. */
export const session = {
  get accessToken(): string | undefined {
    return state.accessToken ?? undefined;
  },
  get user(): Schemas['UserDto'] | null {
    return state.user;
  },
};
