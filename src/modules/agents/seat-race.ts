import { DomainError } from '../../common/errors/domain-error';

/** Each attempt reads the seats again; two are enough unless the agent claims seats in a loop. */
const MAX_ATTEMPTS = 5;

/** A seat committed on a shift the transaction had not locked: roll back and read again. */
export class SeatClaimedMeanwhile extends Error {}

/**
 * Runs `attempt` (a transaction that locks an agent's shifts, then the agent's row) again while
 * it throws SeatClaimedMeanwhile: a seat claim that already held the agent's row committed on a
 * shift it had not locked, which it cannot lock now (after the agent's row: a deadlock with any
 * claim on that shift). The next reading of the shifts has that seat. A suspension and a
 * revoked certification both end seats this way.
 */
export async function retryWhileSeatsClaimed<T>(
  attempt: () => Promise<T>,
  giveUp: string,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof SeatClaimedMeanwhile)) throw e;
      if (n >= MAX_ATTEMPTS) throw new DomainError('SERVICE_UNAVAILABLE', giveUp);
    }
  }
}
