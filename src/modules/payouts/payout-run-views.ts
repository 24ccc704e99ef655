import { EntityManager } from 'typeorm';
import { DomainError } from '../../common/errors/domain-error';
import { PayoutLineDto, PayoutRunDto } from './payout.dto';

export interface RunRow {
  id: string;
  currency: string;
  cutoff: Date;
  status: string;
  stripe_mode: 'live' | 'test' | 'fake';
  created_by: string;
  approved_by: string | null;
  created_at: Date;
  approved_at: Date | null;
  executed_at: Date | null;
  completed_at: Date | null;
  cancelled_at: Date | null;
}

export interface LineRow {
  id: string;
  run_id: string;
  agent_id: string;
  stripe_account_id: string | null;
  amount_minor: string;
  transfer_minor: string | null;
  currency: string;
  status: string;
  held_reason: string | null;
  stripe_transfer_id: string | null;
  idempotency_key: string;
  attempts: number;
  failure_code: string | null;
  failure_message: string | null;
  failure_permanent: boolean;
  reversed_minor: string;
  paid_at: Date | null;
  abandoned_reason: string | null;
  abandoned_by: string | null;
  abandoned_at: Date | null;
}

const orNull = (v: string | null) => (v === null ? null : Number(v));

export const toLine = (l: LineRow): PayoutLineDto => ({
  id: l.id,
  agentId: l.agent_id,
  stripeAccountId: l.stripe_account_id,
  amountMinor: Number(l.amount_minor),
  transferMinor: orNull(l.transfer_minor),
  currency: l.currency,
  status: l.status,
  heldReason: l.held_reason,
  stripeTransferId: l.stripe_transfer_id,
  attempts: l.attempts,
  failureCode: l.failure_code,
  failureMessage: l.failure_message,
  reversedMinor: Number(l.reversed_minor),
  paidAt: l.paid_at,
  abandonedReason: l.abandoned_reason,
  abandonedBy: l.abandoned_by,
  abandonedAt: l.abandoned_at,
});

/**
 * Per run: what was drafted payable (including lines held at execution because the balance fell),
 * what is still payable, held, paid (the transfers' amounts), failed, abandoned, and in flight.
 * Lines of a run not yet executed wait; they are not in flight.
 */
const TOTALS_SQL = `
  SELECT l.run_id,
         count(*) FILTER (WHERE l.status <> 'held' OR l.held_reason = 'balance_changed')::int AS drafted_lines,
         coalesce(sum(l.amount_minor) FILTER (
           WHERE l.status <> 'held' OR l.held_reason = 'balance_changed'), 0) AS drafted_minor,
         count(*) FILTER (WHERE l.status <> 'held')::int AS payable_lines,
         coalesce(sum(l.amount_minor) FILTER (WHERE l.status <> 'held'), 0) AS payable_minor,
         count(*) FILTER (WHERE l.status = 'held')::int AS held_lines,
         coalesce(sum(l.amount_minor) FILTER (WHERE l.status = 'held'), 0) AS held_minor,
         count(*) FILTER (WHERE l.status = 'paid')::int AS paid_lines,
         coalesce(sum(l.transfer_minor) FILTER (WHERE l.status = 'paid'), 0) AS paid_minor,
         count(*) FILTER (WHERE l.status = 'failed')::int AS failed_lines,
         count(*) FILTER (WHERE l.status = 'abandoned')::int AS abandoned_lines,
         count(*) FILTER (WHERE l.status = 'processing'
                            OR (l.status = 'pending' AND r.executed_at IS NOT NULL))::int AS in_flight_lines
    FROM payout_lines l JOIN payout_runs r ON r.id = l.run_id
   WHERE l.run_id = ANY($1) GROUP BY l.run_id`;

export type RunTotals = Map<string, Record<string, string | number>>;

export async function runTotals(em: EntityManager, ids: string[]): Promise<RunTotals> {
  const rows: Record<string, string | number>[] = ids.length
    ? await em.query(TOTALS_SQL, [ids])
    : [];
  return new Map(rows.map((r) => [String(r.run_id), r]));
}

export async function loadRun(em: EntityManager, id: string, lock = false): Promise<RunRow> {
  const [run]: RunRow[] = await em.query(
    `SELECT * FROM payout_runs WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`,
    [id],
  );
  if (!run) throw DomainError.notFound('Payout run');
  return run;
}

export function toRun(r: RunRow, totals: RunTotals): PayoutRunDto {
  const t = totals.get(r.id) ?? {};
  const n = (k: string) => Number(t[k] ?? 0);
  return {
    id: r.id,
    currency: r.currency,
    cutoff: r.cutoff,
    status: r.status,
    stripeMode: r.stripe_mode,
    createdBy: r.created_by,
    approvedBy: r.approved_by,
    createdAt: r.created_at,
    approvedAt: r.approved_at,
    executedAt: r.executed_at,
    completedAt: r.completed_at,
    cancelledAt: r.cancelled_at,
    totals: {
      draftedLines: n('drafted_lines'),
      draftedMinor: n('drafted_minor'),
      payableLines: n('payable_lines'),
      payableMinor: n('payable_minor'),
      heldLines: n('held_lines'),
      heldMinor: n('held_minor'),
      paidLines: n('paid_lines'),
      paidMinor: n('paid_minor'),
      failedLines: n('failed_lines'),
      abandonedLines: n('abandoned_lines'),
      inFlightLines: n('in_flight_lines'),
    },
  };
}

export async function runSummary(em: EntityManager, id: string): Promise<PayoutRunDto> {
  return toRun(await loadRun(em, id), await runTotals(em, [id]));
}

export function wrongState(run: RunRow, action: string): DomainError {
  return new DomainError('PAYOUT_RUN_STATE', `A ${run.status} run cannot ${action}`, {
    status: run.status,
  });
}
