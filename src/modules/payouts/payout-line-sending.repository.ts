import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { PayoutRunRow } from './payout-runs.repository';
import { changedRows } from '../../database/sql';
import { KEY_EXPIRY_MS, KEY_MAY_BE_FORGOTTEN_MS } from '../stripe/stripe-errors';
import { PayoutLineRow } from './payout-lines.repository';

/** A line as it is sent: its account's state and its run's minimum read with it. */
export type SendableLine = PayoutLineRow & {
  payouts_enabled: boolean | null;
  /** Whether Stripe has forgotten its key (first sent KEY_EXPIRY_MS ago, by the database's clock). */
  key_expired: boolean | null;
  /** Whether its latest attempt began too recently to be past sending (lockForSending). */
  sent_recently: boolean | null;
  /** Whether it was drafted KEY_MAY_BE_FORGOTTEN_MS ago or more (lockForSending). */
  drafted_long_ago: boolean | null;
  /** bigint as text; null for runs drafted before runs kept it. */
  minimum_minor: string | null;
  /** The Stripe its run was drafted against (assertSameStripe). */
  stripe_mode: PayoutRunRow['stripe_mode'];
};

/** payout_lines as the `payout.line` job sends one (PayoutLineHandler's phases). */
@Injectable()
export class PayoutLineSendingRepository {
  /**
   * Locks the line if it is still pending in a run being executed, or completed with failures
   * and sending some again (PayoutRunsRepository.markExecutingAgain): nothing sent for it yet.
   * `unchangedSince`: only if the line was last changed before then (a job that failed for good
   * at that time left it pending; one reset to pending since, by finance's retry or a resend, is
   * another job's).
   */
  async lockIfUnsent(
    em: EntityManager,
    lineId: string,
    unchangedSince: Date | null = null,
  ): Promise<boolean> {
    const rows: unknown[] = await em.query(
      `SELECT l.id FROM payout_lines l JOIN payout_runs r ON r.id = l.run_id
        WHERE l.id = $1 AND l.status = 'pending'
          AND r.status IN ('executing', 'completed_with_failures')
          AND ($2::timestamptz IS NULL OR l.updated_at < $2)
          FOR UPDATE OF l`,
      [lineId, unchangedSince],
    );
    return rows.length > 0;
  }

  /**
   * The line, locked, with whether Stripe lets its Connect account pay out now (as the last
   * account.updated said; null when the agent has replaced that account) and its run's minimum:
   * read in the same round trip, since every line of a run passes here. Only a line of a run
   * that was executed (approved by a second user): a job for a draft's or a cancelled run's
   * line (added by hand on the queue dashboard) finds nothing to send. `sent_recently`: its
   * latest attempt began less than `sendSeconds` ago. Both ages by the database's clock when
   * the lock is had, not when the transaction began: a job that waited for another's lock
   * must see the key as expired if that other did.
   */
  async lockForSending(
    em: EntityManager,
    lineId: string,
    sendSeconds: number,
  ): Promise<SendableLine | undefined> {
    const [row]: SendableLine[] = await em.query(
      `SELECT l.*, (SELECT pa.payouts_enabled FROM payout_accounts pa
                     WHERE pa.stripe_account_id = l.stripe_account_id) AS payouts_enabled,
              l.key_sent_at <= clock_timestamp() - make_interval(secs => $2::float8)
                AS key_expired,
              l.sending_at > clock_timestamp() - make_interval(secs => $3::float8)
                AS sent_recently,
              l.created_at <= clock_timestamp() - make_interval(secs => $4::float8)
                AS drafted_long_ago,
              r.minimum_minor, r.stripe_mode
         FROM payout_lines l JOIN payout_runs r ON r.id = l.run_id
        WHERE l.id = $1 AND r.status IN ('executing', 'completed_with_failures')
          FOR UPDATE OF l`,
      [lineId, KEY_EXPIRY_MS / 1000, sendSeconds, KEY_MAY_BE_FORGOTTEN_MS / 1000],
    );
    return row;
  }

  /**
   * Held at sending: the agent's available balance fell below the minimum since the draft, or
   * Stripe disabled the agent's payouts since.
   */
  async holdAtSending(
    em: EntityManager,
    lineId: string,
    reason: 'balance_changed' | 'payouts_disabled_since_draft',
  ): Promise<void> {
    await em.query(
      `UPDATE payout_lines SET status = 'held', held_reason = $2, updated_at = now()
        WHERE id = $1`,
      [lineId, reason],
    );
  }

  /**
   * One more attempt, begun now, for the amount fixed for the line's key (the key's first: its
   * time).
   */
  async markProcessing(em: EntityManager, lineId: string, transferMinor: string): Promise<void> {
    await em.query(
      `UPDATE payout_lines SET status = 'processing', attempts = attempts + 1,
              transfer_minor = $2, key_sent_at = coalesce(key_sent_at, now()),
              sending_at = clock_timestamp(), updated_at = now()
        WHERE id = $1`,
      [lineId, transferMinor],
    );
  }

  /**
   * The line, being sent under `key`, goes under a fresh key for `transferMinor` (its old key
   * expired with no transfer made under it). The new key, or nothing if another attempt moved
   * the line meanwhile. The old key's resend time goes with it: a server error the new key
   * meets is new, even when the job first sees it replayed (its first answer lost), and Stripe
   * keeps it a day (markFailed's hour is for the old key's replays).
   */
  async renewKey(
    em: EntityManager,
    lineId: string,
    key: string,
    transferMinor: number,
  ): Promise<string | undefined> {
    const [row] = await changedRows<{ idempotency_key: string }>(
      em,
      `UPDATE payout_lines
          SET idempotency_key = 'payout-line-' || id || '-e' || attempts, transfer_minor = $3,
              key_sent_at = now(), resend_at = NULL, updated_at = now()
        WHERE id = $1 AND status = 'processing' AND idempotency_key = $2
        RETURNING idempotency_key`,
      [lineId, key, transferMinor],
    );
    return row?.idempotency_key;
  }

  /**
   * Takes back the attempt counted as `attempts`, which sent nothing, and when it began (the
   * attempt before it began at `sendingBefore`), if no other attempt came since.
   */
  async undoAttempt(
    em: EntityManager,
    lineId: string,
    attempts: number,
    sendingBefore: Date | null,
  ): Promise<void> {
    await em.query(
      `UPDATE payout_lines SET attempts = attempts - 1, sending_at = $3
        WHERE id = $1 AND status = 'processing' AND attempts = $2`,
      [lineId, attempts, sendingBefore],
    );
  }

  /**
   * Paid by `transferId`, which carried `sentMinor`: what the line then says it paid (a transfer
   * an earlier key made may carry less than the amount this one was sent for), as the ledger
   * booked it. Holding a transfer means the line is paid, whatever a stale duplicate job wrote
   * meanwhile: a hold (one that met the key expired while this send was under way) or an
   * abandon is cleared, else the line's checks refused the booking, the transfer was never
   * booked, and the next run paid the agent that money again.
   */
  async markPaid(
    em: EntityManager,
    lineId: string,
    transferId: string,
    sentMinor: number,
  ): Promise<void> {
    await em.query(
      `UPDATE payout_lines SET status = 'paid', stripe_transfer_id = $2, transfer_minor = $3,
              paid_at = now(), failure_code = NULL, failure_message = NULL, resend_at = NULL,
              held_reason = NULL, abandoned_at = NULL, abandoned_reason = NULL,
              abandoned_by = NULL, failure_permanent = false, updated_at = now()
        WHERE id = $1 AND status <> 'paid'`,
      [lineId, transferId, sentMinor],
    );
  }

  /**
   * Fails a processing line, only under the key the failed attempt used (not for a stale
   * duplicate); its run id when it did. `resend`: Stripe saved a server error under the key, so
   * the line is sent again once the key has expired (`resend_at`, returned): 25 h after Stripe
   * saved it (it prunes keys after 24 h); an hour later when a resend still met the replay (the
   * key not pruned yet). Any other failure clears `resend_at`.
   */
  async markFailed(
    em: EntityManager,
    lineId: string,
    key: string,
    failure: {
      code: string;
      message: string;
      permanent: boolean;
      resend?: 'saved' | 'replayed';
    },
  ): Promise<Pick<PayoutLineRow, 'run_id' | 'resend_at'> | undefined> {
    const [row] = await changedRows<Pick<PayoutLineRow, 'run_id' | 'resend_at'>>(
      em,
      `UPDATE payout_lines SET status = 'failed', failure_code = $2, failure_message = $3,
              failure_permanent = $4, updated_at = now(),
              resend_at = CASE WHEN $6::text IS NULL THEN NULL
                               WHEN $6 = 'replayed' AND resend_at IS NOT NULL
                                 THEN now() + interval '1 hour'
                               ELSE now() + interval '25 hours' END
        WHERE id = $1 AND status = 'processing' AND idempotency_key = $5
        RETURNING run_id, resend_at`,
      [lineId, failure.code, failure.message, failure.permanent, key, failure.resend ?? null],
    );
    return row;
  }

  /**
   * A line failed on a saved server error whose resend time has come: pending again (a transfer
   * may exist under its key: the handler looks first, and sends under a fresh key, checked
   * again, only if none does). Its run id when it was.
   */
  async resetDue(em: EntityManager, lineId: string): Promise<string | undefined> {
    const [row] = await changedRows<Pick<PayoutLineRow, 'run_id'>>(
      em,
      `UPDATE payout_lines
          SET status = 'pending', failure_code = NULL, failure_message = NULL, updated_at = now()
        WHERE id = $1 AND status = 'failed' AND failure_code = 'stripe_outcome_unknown'
          AND resend_at <= now()
        RETURNING run_id`,
      [lineId],
    );
    return row?.run_id;
  }

  /**
   * Fails a line never sent (its jobs kept failing before phase 1 committed): nothing moved, so
   * finance's retry sends it again under the same key, like any failure that was not a refusal.
   */
  async failUnsent(
    em: EntityManager,
    lineId: string,
    message: string,
  ): Promise<Pick<PayoutLineRow, 'run_id' | 'agent_id'> | undefined> {
    const [row] = await changedRows<Pick<PayoutLineRow, 'run_id' | 'agent_id'>>(
      em,
      `UPDATE payout_lines SET status = 'failed', failure_code = 'job_failed',
              failure_message = $2, failure_permanent = false, updated_at = now()
        WHERE id = $1 AND status = 'pending'
        RETURNING run_id, agent_id`,
      [lineId, message],
    );
    return row;
  }

  /** When a line failed on a saved server error is due to be sent again, if not yet. */
  async resendLater(em: EntityManager, lineId: string): Promise<Date | undefined> {
    const [row]: Pick<PayoutLineRow, 'resend_at'>[] = await em.query(
      `SELECT resend_at FROM payout_lines
        WHERE id = $1 AND status = 'failed' AND failure_code = 'stripe_outcome_unknown'
          AND resend_at > now()`,
      [lineId],
    );
    return row?.resend_at ?? undefined;
  }

  async runOf(em: EntityManager, lineId: string): Promise<string | undefined> {
    const [run]: Pick<PayoutLineRow, 'run_id'>[] = await em.query(
      'SELECT run_id FROM payout_lines WHERE id = $1',
      [lineId],
    );
    return run?.run_id;
  }
}
