import { useEffect, useState } from 'react';
import { serverNow } from '../api/server-clock';

/**
 * The current time (ms) on the API's clock, ticking every `intervalMs`: for countdowns to the
 * API's instants (offers, check-in), right even when this computer's clock is off.
 */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    const timer = setInterval(() => setNow(serverNow()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
