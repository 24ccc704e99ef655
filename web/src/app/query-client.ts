import { MutationCache, QueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { unansweredWrite } from '../api/keyed-call';
import { refresh } from '../api/refresh';

/**
 * The answers of a keyed write that was done (ANSWER_LOST), or may have been (OUTCOME_UNKNOWN),
 * though its own answer was lost to a failure: their titles in an error alert, which says so
 * in place of the action's "not done" title.
 */
const OUTCOME_LOST: Partial<Record<string, string>> = {
  ANSWER_LOST: 'Done, but its answer was lost',
  OUTCOME_UNKNOWN: 'Not confirmed: it may have been done',
};

/**
 * The alert title of a write answered ANSWER_LOST or OUTCOME_UNKNOWN, or of a keyed one never
 * answered at all; else undefined.
 */
export const outcomeLostTitle = (error: unknown): string | undefined =>
  unansweredWrite(error) ? OUTCOME_LOST.OUTCOME_UNKNOWN : lostByTheApi(error);

const lostByTheApi = (error: unknown): string | undefined =>
  error instanceof ApiError && error.code ? OUTCOME_LOST[error.code] : undefined;

/**
 * Reads are retried on network trouble and 5xx only: a 4xx will answer the same again (and a
 * 401 was already retried once after a refresh, in the client). Writes are not retried by
 * default: a keyed write asks again after a lost answer under its Idempotency-Key
 * (retryLostAnswer, in useKeyedMutation and useRowActions); the others are not sent again unasked.
 * A write answered OUTCOME_LOST has every page's data read again, so that what it did shows
 * before the user thinks of sending it again.
 */
export const queryClient: QueryClient = new QueryClient({
  mutationCache: new MutationCache({
    onError: (error) => {
      // Every query (the empty key is a prefix of all). Not after a write never answered: its
      // form reads again what it shows (a card it sat in would go with the re-read, and its
      // alert with it, a claim's from the open shifts).
      if (lostByTheApi(error)) void refresh(queryClient, []);
    },
  }),
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      retry: (failures, error) =>
        failures < 2 && !(error instanceof ApiError && error.status < 500),
    },
    mutations: { retry: false },
  },
});
