import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';

/**
 * Reads are retried on network trouble and 5xx only: a 4xx will answer the same again (and a
 * 401 was already retried once after a refresh, in the client). Writes are not retried by
 * default: a row's action asks again after a lost answer under its Idempotency-Key
 * (retryLostAnswer, in useRowActions); other writes keep their key for the user's next press.
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
