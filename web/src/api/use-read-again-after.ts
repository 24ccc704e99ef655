import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useEffect } from 'react';
import { refresh } from './refresh';
import { serverNow } from './server-clock';

/**
 * Reads `queryKey` again 3 and 30 s after `at` (an instant something changes at that no event
 * announces: a seat's check-in deadline, a shift's end, early access ending), by the API's
 * clock. Nothing when `at` is null.
 */
export function useReadAgainAfter(queryKey: QueryKey, at: string | null): void {
  const queryClient = useQueryClient();
  const key = JSON.stringify(queryKey);
  useEffect(() => {
    if (at === null) return;
    const due = Date.parse(at) - serverNow();
    // A timer past about 24.8 days fires at once; something that far off is read again by then.
    if (due > 2 ** 31 - 60_000) return;
    const timers = [3_000, 30_000]
      .filter((after) => due + after > 0)
      .map((after) =>
        setTimeout(() => void refresh(queryClient, queryKey), Math.max(0, due + after)),
      );
    return () => timers.forEach(clearTimeout);
    // `key` stands for queryKey (a new array on every render).
  }, [at, key, queryClient]);
}
