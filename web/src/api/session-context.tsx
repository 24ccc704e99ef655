import { useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useRef, useSyncExternalStore } from 'react';
import type { ReactNode } from 'react';
import { refreshSession, signIn, signOut, signUp } from './session';
import { getSessionState, subscribeSession, type SessionState } from './session-store';

interface SessionContextValue extends SessionState {
  signIn: typeof signIn;
  signUp: typeof signUp;
  signOut: typeof signOut;
}

const SessionContext = createContext<SessionContextValue | null>(null);

const actions = { signIn, signUp, signOut };

/**
 * Puts the session store in React. On load it asks the API for a token from the refresh cookie
 * (so a reload keeps you signed in); whenever the session ends, for whatever reason, the query
 * cache is emptied so the next user of this tab sees nothing of the last one's data.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const state = useSyncExternalStore(subscribeSession, getSessionState);
  const queryClient = useQueryClient();
  const previous = useRef<string | null>(null);

  useEffect(() => {
    if (getSessionState().status === 'loading') void refreshSession();
  }, []);

  // Emptied when the user changes, signed out or in as someone else (another tab's sign-in
  // reaching this one through the shared cookie).
  const userId = state.user?.id ?? null;
  useEffect(() => {
    if (previous.current !== null && previous.current !== userId) queryClient.clear();
    previous.current = userId;
  }, [userId, queryClient]);

  return <SessionContext value={{ ...state, ...actions }}>{children}</SessionContext>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
