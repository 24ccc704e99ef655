import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/** A `payout_lines` row: one agent's payment in a run. The one type for this table's rows. */
export interface PayoutLineRow {
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
  /** Set when Stripe saved a server error under the key: the line is sent again then. */
  resend_at: Date | null;
  /** When the current key was first sent (null before): a day later Stripe has forgotten it. */
  key_sent_at: Date | null;
  /** When the latest attempt that may have sent the line began (null before any). */
  sending_at: Date | null;
  reversed_minor: string;
  paid_at: Date | null;
  abandoned_reason: string | null;
  abandoned_by: string | null;
  abandoned_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A line as finance reads it (GET /v1/payout-runs/{id}, its CSV, an abandoned line). */
export type PayoutLineViewRow = Omit<
  PayoutLineRow,
  'run_id' | 'idempotency_key' | 'key_sent_at' | 'sending_at' | 'created_at' | 'updated_at'
>;

/** The columns of a PayoutLineViewRow: what finance is shown of a line. */
export const PAYOUT_LINE_VIEW_COLUMNS = `id, agent_id, stripe_account_id, amount_minor,
  transfer_minor, currency, status, held_reason, stripe_transfer_id, attempts, failure_code,
  failure_message, failure_permanent, resend_at, reversed_minor, paid_at, abandoned_reason,
  abandoned_by, abandoned_at`;

/** What reconciliation compares with Stripe (every line of the run, held ones included). */
export type ReconciledLineRow = Pick<
  PayoutLineRow,
  | 'id'
  | 'agent_id'
  | 'amount_minor'
  | 'transfer_minor'
  | 'status'
  | 'held_reason'
  | 'failure_code'
  | 'stripe_transfer_id'
  | 'reversed_minor'
>;

/** A line paid to an agent (its payout history), with its keyset key. */
export type AgentPayoutRow = Pick<
  PayoutLineRow,
  'id' | 'run_id' | 'currency' | 'reversed_minor'
> & {
  transfer_minor: string;
  paid_at: Date;
  stripe_transfer_id: string;
  /** paid_at to the microsecond (a Date keeps milliseconds: a cursor from it could skip rows). */
  paid_key: string;
};

/** The drafted agents' balances, as columns (one array element per agent). */
export interface DraftBalances {
  agentIds: string[];
  /** Available now. */
  current: number[];
  /** Available at the run's cutoff (counting every payout ever made). */
  atCutoff: number[];
}

/** A run's lines from balances ($1 run, $2 currency, $3 minimum, $4-$6 agents' balances). */
export const DRAFT_LINES_SQL = `WITH balances AS (
         SELECT agent_id,
                CASE WHEN current < 0 THEN current ELSE least(current, at_cutoff) END AS available
           FROM unnest($4::uuid[], $5::bigint[], $6::bigint[]) AS s(agent_id, current, at_cutoff)
          WHERE current < 0 OR least(current, at_cutoff) > 0),
       lines AS (
         SELECT gen_random_uuid() AS id, b.agent_id, b.available, pa.stripe_account_id,
                CASE WHEN EXISTS (
                       SELECT 1 FROM payout_lines o JOIN payout_runs r ON r.id = o.run_id
                        WHERE o.agent_id = b.agent_id AND o.currency = $2
                          AND o.status IN ('pending', 'processing', 'failed')
                          AND r.status <> 'cancelled') THEN 'unsettled_line'
                     WHEN pa.agent_id IS NULL THEN 'no_account'
                     WHEN NOT pa.payouts_enabled THEN 'payouts_disabled'
                     WHEN b.available < 0 THEN 'negative_balance'
                     WHEN b.available < $3 THEN 'below_minimum' END AS held_reason
           FROM balances b LEFT JOIN payout_accounts pa ON pa.agent_id = b.agent_id)
       INSERT INTO payout_lines (id, run_id, agent_id, stripe_account_id, amount_minor, currency,
                                 status, held_reason, idempotency_key)
       SELECT id, $1, agent_id, stripe_account_id, available, $2,
              CASE WHEN held_reason IS NULL THEN 'pending' ELSE 'held' END, held_reason,
              'payout-line-' || id
         FROM lines`;

/**
 * payout_lines, from the draft to paid: drafted and read here; paying a run:
 * PayoutLineExecutionRepository; the sending phases: PayoutLineSendingRepository; a reversal:
 * PayoutLineReversalsRepository.
 */
@Injectable()
export class PayoutLinesRepository {
  /**
   * A run's lines, in one statement, from the agents' available balances now and at the cutoff:
   * each may be paid what was available at the cutoff, but never more than is available now. A
   * negative current balance is shown, held. Every other agent with something to pay gets a
   * line, payable or held with the reason.
   */
  async insertDraft(
    em: EntityManager,
    runId: string,
    currency: string,
    minimumMinor: number,
    b: DraftBalances,
  ): Promise<void> {
    await em.query(DRAFT_LINES_SQL, [
      runId,
      currency,
      minimumMinor,
      b.agentIds,
      b.current,
      b.atCutoff,
    ]);
  }

  /**
   * The run's lines as finance reads them: only the columns shown (a 50,000-line run is read
   * whole, and the two timestamps alone cost 100,000 dates to parse).
   */
  async find(em: EntityManager, lineId: string): Promise<PayoutLineRow | undefined> {
    const [row]: PayoutLineRow[] = await em.query(`SELECT * FROM payout_lines WHERE id = $1`, [
      lineId,
    ]);
    return row;
  }

  async ofRun(em: EntityManager, runId: string): Promise<PayoutLineViewRow[]> {
    return em.query(
      `SELECT ${PAYOUT_LINE_VIEW_COLUMNS}
         FROM payout_lines WHERE run_id = $1 ORDER BY status, amount_minor DESC, id`,
      [runId],
    );
  }

  /** Every line of the run, by id, as reconciliation reads it. */
  async toReconcile(em: EntityManager, runId: string): Promise<ReconciledLineRow[]> {
    return em.query(
      `SELECT id, agent_id, amount_minor, transfer_minor, status, held_reason, failure_code,
              stripe_transfer_id, reversed_minor
         FROM payout_lines WHERE run_id = $1 ORDER BY id`,
      [runId],
    );
  }

  /**
   * The agent's paid lines, newest first, after the keyset (paid_at to the microsecond, id) of
   * the previous page; through ix_payout_lines_agent_paid.
   */
  async paidToAgent(
    em: EntityManager,
    agentId: string,
    after: string[] | null,
    limit: number,
  ): Promise<AgentPayoutRow[]> {
    return em.query(
      `SELECT id, run_id, transfer_minor, currency, paid_at, stripe_transfer_id, reversed_minor,
              to_char(paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS paid_key
         FROM payout_lines
        WHERE agent_id = $1 AND status = 'paid'
          AND ($2::timestamptz IS NULL OR (paid_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY paid_at DESC, id DESC LIMIT $4`,
      [agentId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
  }

  async hasPayable(em: EntityManager, runId: string): Promise<boolean> {
    const [payable]: unknown[] = await em.query(
      `SELECT 1 FROM payout_lines WHERE run_id = $1 AND status = 'pending' LIMIT 1`,
      [runId],
    );
    return !!payable;
  }
}
