import { useQueryClient } from '@tanstack/react-query';
import {
  createContext,
  Fragment,
  useContext,
  useEffect,
  useRef,
  useSyncExternalStore,
} from 'react';
import type { ReactNode } from 'react';
import { clearDrafts } from '../ui/drafts';
import { forgetSubjects } from './held-subjects';
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
  const previous = useRef({ userId: null as string | null, generation: 0 });

  useEffect(() => {
    if (getSessionState().status === 'loading') void refreshSession();
  }, []);

  // Emptied when the user changes, signed out or in as someone else (another tab's sign-in
  // reaching this one through the shared cookie): before anything renders for the new user, so
  // no page reads the last one's cached data (an effect came after the first render, and an
  // emptied cache does not tell the pages still showing it). A change from one user straight to
  // another also mounts the pages afresh: a form filled from the last user's profile would
  // otherwise save it into the new user's.
  const userId = state.user?.id ?? null;
  if (previous.current.userId !== userId) {
    if (previous.current.userId !== null) {
      queryClient.clear();
      clearDrafts();
      forgetSubjects();
      if (userId !== null) previous.current.generation += 1;
    }
    previous.current.userId = userId;
  }

  return (
    <SessionContext value={{ ...state, ...actions }}>
      <Fragment key={previous.current.generation}>{children}</Fragment>
    </SessionContext>
  );
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
