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
