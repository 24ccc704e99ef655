import type { EntityManager } from 'typeorm';

/** What an agent earned on one shift: resolutions that still stand, and their pay. */
export interface ShiftWork {
  resolved: number;
  earnedMinor: number;
  currency: string;
}

/**
 * Work done on shifts, as shifts meet it (issue 19: pay per hour). Tickets own the claims and
 * provide it (globally, under this token), so shifts need not import tickets, which reads
 * shifts. "Standing": resolved and not reopened (a reopen claws the pay back).
 */
export interface WorkFacts {
  /**
   * The agent's standing resolutions and their pay, per seat (seats with none left out): each
   * ticket claim counts to the agent's seat on its shift that began last before it was made
   * (`from`): an agent may hold two seats on a shift (a revoked certification ended the first,
   * granted again it took another), and each earned only its own. So `seats` must hold every
   * seat the agent had on those shifts, not only those asked about: the first given of a shift
   * takes any claim before it.
   */
  earnedOnSeats(
    em: EntityManager,
    agentId: string,
    seats: { seatId: string; shiftId: string; from: Date }[],
  ): Promise<Map<string, ShiftWork>>;
  /**
   * Standing resolutions on these seats, summed per `group`: each agent's on its shift (an hour
   * an estimate counts is matched only by the resolutions of that hour's agent).
   */
  resolutionsOnSeats(
    em: EntityManager,
    seats: { shiftId: string; agentId: string; group: string }[],
  ): Promise<Map<string, number>>;
  /**
   * The surge extras committed on the shift (claims active or resolved and not reopened, pending
   * offers), in minor units. With `lock`, first takes the shift's surge lock to the end of the
   * transaction, so no claim commits more until then: take it before locking the shift's row
   * (a claim holding the surge lock still needs a key share on that row for its insert).
   */
  surgeCommitted(em: EntityManager, shiftId: string, lock: boolean): Promise<number>;
  /**
   * Tickets claimed under the shift and still held. Counted under the shift's row lock, it
   * cannot grow until the end of the transaction (a claim's insert needs a key share on that row).
   */
  ticketsHeldUnder(em: EntityManager, shiftId: string): Promise<number>;
}

export const WORK_FACTS = Symbol('WORK_FACTS');
