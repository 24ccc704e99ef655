import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';

/**
 * Reads are retried on network trouble and 5xx only: a 4xx will answer the same again (and a
 * 401 was already retried once after a refresh, in the client). Writes are not retried by
 * default: a keyed write asks again after a lost answer under its Idempotency-Key
 * (retryLostAnswer, in useKeyedMutation and useRowActions); the others are not sent again unasked.
 */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      retry: (failures, error) =>
        failures < 2 && !(error instanceof ApiError && error.status < 500),
    },
    mutations: { retry: false },
  },
});
