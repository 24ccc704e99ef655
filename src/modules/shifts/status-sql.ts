import { ClaimStatus } from './shift-rules';

/**
 * A status list as an SQL list literal, `('claimed', 'checked_in')`, rendered once at start-up
 * from the lists in shift-rules.ts. For the seat-claim path only (the shift-race benchmark):
 * its statements keep the exact text they were tuned with; elsewhere the lists go in as
 * parameters. Only the constant status names of shift-rules.ts ever reach it.
 */
export function sqlList(statuses: readonly ClaimStatus[]): string {
  return '(' + statuses.map((s) => "'" + s.replace(/'/g, "''") + "'").join(', ') + ')';
}

/**
 * SQL: claim `c` is the agent's one seat on its shift (`statuses`: an `IN (...)` list or
 * `= ANY($n)` of ONCE_PER_SHIFT_STATUSES), so another seat on it is refused. Not a seat the
 * company ended while it was worked, before its time, by revoking a certification (`left_early`
 * with `cancelled_by = 'company'`): certified again, the agent may take a seat on that shift
 * again. (One the revocation ended `completed` stays its seat: worked past the point a check-out
 * completes it, it counts as a completed seat, and a second would count twice.)
 */
export const ONE_SEAT_PER_SHIFT = (c: string, statuses: string) =>
  `(${c}.status ${statuses}
      AND (${c}.status <> 'left_early' OR ${c}.cancelled_by IS DISTINCT FROM 'company'))`;
