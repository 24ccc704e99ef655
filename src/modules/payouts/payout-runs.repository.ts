import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { cursorInstant, KeyedRow } from '../../database/sql';
import { STUCK_AFTER } from './payout-line-execution.repository';

/** A `payout_runs` row. */
export interface PayoutRunRow {
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
  platform_available_minor: string | null;
  /** Null for runs drafted before runs kept it. */
  minimum_minor: string | null;
}

/** A run's line counts and sums (bigint sums as text), by TOTALS_SQL. */
export interface PayoutRunTotalsRow {
  run_id: string;
  drafted_lines: number;
  drafted_minor: string;
  payable_lines: number;
  payable_minor: string;
  held_lines: number;
  held_minor: string;
  paid_lines: number;
  paid_minor: string;
  reversed_lines: number;
  reversed_minor: string;
  failed_lines: number;
  retryable_lines: number;
  abandoned_lines: number;
  in_flight_lines: number;
  stuck_lines: number;
}

/** Reasons a line drafted payable is held at execution: it still counts as drafted. */
const HELD_AT_EXECUTION = `('balance_changed', 'insufficient_platform_balance', 'payouts_disabled_since_draft')`;

/**
 * Per run: what was drafted payable (including lines held at execution: the balance fell, the
 * platform could not cover it, or Stripe disabled the agent's payouts),
 * what is still payable, held, paid (the transfers' amounts; of that, what Stripe reversed since
 * and gave back to the agents' balances), failed, abandoned, and in flight
 * (of those, stuck: touchStuck's). Lines of a run not yet executed wait; they are not in flight.
 */
export const TOTALS_SQL = `
  SELECT l.run_id,
         count(*) FILTER (WHERE l.status <> 'held'
           OR l.held_reason IN ${HELD_AT_EXECUTION})::int AS drafted_lines,
         coalesce(sum(l.amount_minor) FILTER (
           WHERE l.status <> 'held' OR l.held_reason IN ${HELD_AT_EXECUTION}), 0) AS drafted_minor,
         count(*) FILTER (WHERE l.status <> 'held')::int AS payable_lines,
         coalesce(sum(l.amount_minor) FILTER (WHERE l.status <> 'held'), 0) AS payable_minor,
         count(*) FILTER (WHERE l.status = 'held')::int AS held_lines,
         coalesce(sum(l.amount_minor) FILTER (WHERE l.status = 'held' AND l.amount_minor > 0), 0)
           AS held_minor,
         count(*) FILTER (WHERE l.status = 'paid')::int AS paid_lines,
         coalesce(sum(l.transfer_minor) FILTER (WHERE l.status = 'paid'), 0) AS paid_minor,
         count(*) FILTER (WHERE l.status = 'paid' AND l.reversed_minor > 0)::int AS reversed_lines,
         coalesce(sum(l.reversed_minor) FILTER (WHERE l.status = 'paid'), 0) AS reversed_minor,
         count(*) FILTER (WHERE l.status = 'failed')::int AS failed_lines,
         -- As resetFailed takes them: not a line waiting for its resend_at (sent by itself then).
         count(*) FILTER (WHERE l.status = 'failed'
                            AND NOT coalesce(l.resend_at > now(), false))::int AS retryable_lines,
         count(*) FILTER (WHERE l.status = 'abandoned')::int AS abandoned_lines,
         count(*) FILTER (WHERE l.status = 'processing'
                            OR (l.status = 'pending' AND r.executed_at IS NOT NULL))::int AS in_flight_lines,
         count(*) FILTER (WHERE l.status = 'processing'
                            AND l.updated_at < now() - ${STUCK_AFTER})::int AS stuck_lines
    FROM payout_lines l JOIN payout_runs r ON r.id = l.run_id
   WHERE l.run_id = ANY($1) GROUP BY l.run_id`;

export interface PayoutRunFilter {
  status: string | null;
  /** Keyset: (created_at, id) of the last run of the previous page. */
  after: string[] | null;
  limit: number;
}

/** A draft run ($1 currency, $2 cutoff, $3 maker, $4 Stripe mode). */
export const DRAFT_RUN_SQL = `INSERT INTO payout_runs (currency, cutoff, created_by, stripe_mode, minimum_minor)
  VALUES ($1, $2, $3, $4, $5) RETURNING id`;

/** Lines of runs still in progress, counted by run status and line status. */
export interface PayoutProgressRow {
  run_status: string;
  line_status: string;
  lines: number;
}

/** payout_runs (their totals and completion read the runs' payout_lines too). */
@Injectable()
export class PayoutRunsRepository {
  /** A draft run; its lines are inserted next (PayoutLinesRepository.insertDraft). */
  async insertDraft(
    em: EntityManager,
    currency: string,
    cutoff: Date,
    createdBy: string,
    stripeMode: string,
    minimumMinor: number,
  ): Promise<string> {
    const [run]: { id: string }[] = await em.query(DRAFT_RUN_SQL, [
      currency,
      cutoff,
      createdBy,
      stripeMode,
      minimumMinor,
    ]);
    return run.id;
  }

  async find(em: EntityManager, id: string, lock = false): Promise<PayoutRunRow | undefined> {
    const [run]: PayoutRunRow[] = await em.query(
      `SELECT * FROM payout_runs WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`,
      [id],
    );
    return run;
  }

  async exists(em: EntityManager, id: string): Promise<boolean> {
    const [run]: { id: string }[] = await em.query('SELECT id FROM payout_runs WHERE id = $1', [
      id,
    ]);
    return !!run;
  }

  /** Newest first, limit rows (ask for one more than the page to know if another follows). */
  async page(em: EntityManager, f: PayoutRunFilter): Promise<KeyedRow<PayoutRunRow>[]> {
    return em.query(
      `SELECT *, ${cursorInstant('created_at')} FROM payout_runs
        WHERE ($1::text IS NULL OR status = $1)
          AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [f.status, f.after?.[0] ?? null, f.after?.[1] ?? null, f.limit],
    );
  }

  /**
   * Progress of the runs not finished: every line of a draft, approved or executing run (at most
   * one per currency) by status, and the failed lines of runs completed with failures, which wait
   * for finance. Runs by their status, then lines by (run_id, status): no scan of all lines.
   */
  async progress(em: EntityManager): Promise<PayoutProgressRow[]> {
    return em.query(
      `SELECT r.status AS run_status, l.status AS line_status, count(*)::int AS lines
         FROM payout_runs r JOIN payout_lines l ON l.run_id = r.id
        WHERE r.status IN ('draft', 'approved', 'executing')
           OR (r.status = 'completed_with_failures'
               AND l.status IN ('failed', 'pending', 'processing'))
        GROUP BY r.status, l.status`,
    );
  }

  /** The runs' totals (a run without lines has no row). */
  async totals(em: EntityManager, ids: string[]): Promise<PayoutRunTotalsRow[]> {
    return ids.length ? em.query(TOTALS_SQL, [ids]) : [];
  }

  async markApproved(em: EntityManager, id: string, approvedBy: string): Promise<void> {
    await em.query(
      `UPDATE payout_runs SET status = 'approved', approved_by = $2, approved_at = now() WHERE id = $1`,
      [id, approvedBy],
    );
  }

  async markCancelled(em: EntityManager, id: string): Promise<void> {
    await em.query(
      `UPDATE payout_runs SET status = 'cancelled', cancelled_at = now() WHERE id = $1`,
      [id],
    );
  }

  /** Executed: `executing`, or `completed` at once (completed_at set) when nothing is payable. */
  async markExecuted(
    em: EntityManager,
    id: string,
    status: 'executing' | 'completed',
    platformAvailableMinor: number,
  ): Promise<void> {
    await em.query(
      `UPDATE payout_runs SET status = $2, executed_at = now(), platform_available_minor = $3,
              completed_at = CASE WHEN $2 = 'completed' THEN now() END WHERE id = $1`,
      [id, status, platformAvailableMinor],
    );
  }

  /**
   * Some of its lines are being sent again: back to executing, unless another run of its
   * currency is open (one open run per currency, `uq_payout_runs_open`), when a run completed
   * with failures stays so while they are sent (its lines go out all the same, and
   * completeIfDone completes it). Before, the move broke the constraint: a line whose saved
   * Stripe error had expired was never sent again, and finance's retry answered 409, for as
   * long as the next run was open. Returns the run's status.
   */
  async markExecutingAgain(
    em: EntityManager,
    id: string,
  ): Promise<'executing' | 'completed_with_failures'> {
    // A run of the currency opened by a transaction still uncommitted when the look below ran
    // (a new draft, or another run's resend) surfaces as the unique index's violation once it
    // commits: the same case as one seen open, not a failure (it failed the resend job, or
    // answered finance's retry 409 "finish or cancel it first").
    await em.query('SAVEPOINT executing_again');
    try {
      const [moved]: [unknown[], number] = await em.query(
        `UPDATE payout_runs r SET status = 'executing', completed_at = NULL
          WHERE r.id = $1
            AND NOT EXISTS (SELECT 1 FROM payout_runs o
                             WHERE o.currency = r.currency AND o.id <> r.id
                               AND o.status IN ('draft', 'approved', 'executing'))
          RETURNING r.id`,
        [id],
      );
      await em.query('RELEASE SAVEPOINT executing_again');
      if (moved.length > 0) return 'executing';
    } catch (e) {
      const pg = (e as { driverError?: { constraint?: string } }).driverError;
      if (pg?.constraint !== 'uq_payout_runs_open') throw e;
      await em.query('ROLLBACK TO SAVEPOINT executing_again');
    }
    const [run]: { status: 'executing' | 'completed_with_failures' }[] = await em.query(
      'SELECT status FROM payout_runs WHERE id = $1',
      [id],
    );
    return run.status;
  }

  /**
   * Completes an executing run once no line is in flight: `completed_with_failures` while a failed
   * line waits for a retry or to be abandoned, else `completed`. Called after a line's own commit,
   * so it sees every committed line: of two last lines finishing together, the later check
   * completes the run. The unlocked look first keeps the run row's lock off the path of every
   * line (it was the bottleneck of a 50k-line run: each line waited for it). Returns the new
   * status when it changed (null otherwise): of two checks racing, the later one sees the
   * status already set, so the change is reported once.
   */
  async completeIfDone(
    em: EntityManager,
    runId: string,
  ): Promise<'completed' | 'completed_with_failures' | null> {
    const [{ busy }]: { busy: boolean }[] = await em.query(
      `SELECT EXISTS (SELECT 1 FROM payout_lines
                       WHERE run_id = $1 AND status IN ('pending', 'processing')) AS busy`,
      [runId],
    );
    if (busy) return null;
    // The run's lock before the update's own look at the lines: finance's retry resets failed
    // lines to pending under it, and an update that only waited for the lock would still judge
    // the lines as they were when it began (READ COMMITTED re-reads the run row alone), and
    // complete a run whose lines were just sent again. Only a run's last lines get here.
    await em.query(`SELECT 1 FROM payout_runs WHERE id = $1 FOR UPDATE`, [runId]);
    const [rows]: [{ status: 'completed' | 'completed_with_failures' }[], number] = await em.query(
      `WITH next AS (
         SELECT CASE WHEN EXISTS (SELECT 1 FROM payout_lines WHERE run_id = $1 AND status = 'failed')
                     THEN 'completed_with_failures' ELSE 'completed' END AS status)
       UPDATE payout_runs r
          SET status = (SELECT status FROM next),
              completed_at = CASE WHEN r.status = 'executing' THEN now() ELSE r.completed_at END
        WHERE r.id = $1 AND r.status IN ('executing', 'completed_with_failures')
          AND r.status <> (SELECT status FROM next)
          AND NOT EXISTS (SELECT 1 FROM payout_lines
                           WHERE run_id = r.id AND status IN ('pending', 'processing'))
       RETURNING r.status`,
      [runId],
    );
    return rows[0]?.status ?? null;
  }
}
