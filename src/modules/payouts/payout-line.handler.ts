import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { Env } from '../../config/env.validation';
import { HandlesJob, JobHandler, JobRateLimitedError } from '../jobs/job-handler';
import { JobPayloads } from '../jobs/job-registry';
import { OutboxService } from '../outbox/outbox.service';
import { DomainMetrics } from '../metrics/domain-metrics';
import { savedServerError, wasReplayed } from '../stripe/stripe-errors';
import { STRIPE } from '../stripe/stripe.module';
import { PayoutLineBooking } from './payout-line-booking.service';
import { PayoutLineFailure } from './payout-line-failure.service';
import { completeRunIfDone, TransferLookupFailed } from './payout-line-send';
import { PayoutLineSendingRepository } from './payout-line-sending.repository';
import { PayoutLineStart } from './payout-line-start.service';
import { PayoutRunEvents } from './payout-run-events';
import { PayoutTransferLookup } from './payout-transfer-lookup.service';

/** Stripe said no for a reason a retry will not change (restricted account, bad request). */
function isPermanent(e: unknown): e is Stripe.errors.StripeError {
  return (
    e instanceof Stripe.errors.StripeInvalidRequestError ||
    e instanceof Stripe.errors.StripePermissionError ||
    e instanceof Stripe.errors.StripeCardError
  );
}

/** Fresh jobs for a line whose jobs fail for good before sending it (gaveUp). */
export const MAX_LINE_RESENDS = 3;

/**
 * Pays one line in atomic phases (Brandur Leach's recovery points):
 *   1. local: the line becomes `processing`. The first time under its idempotency key, its
 *      amount is fixed: the drafted amount, or less if the agent's available balance fell since
 *      the draft (a clawback); below the payout minimum it is held as `balance_changed` instead,
 *      and as `payouts_disabled_since_draft` if Stripe has disabled the agent's payouts since;
 *   2. Stripe: create the transfer with that key — a retry after any crash sends the same key
 *      and gets the same transfer back, never a second one;
 *   3. local: book the payout in the ledger (idempotent on the line) and mark the line paid.
 * A 429 pauses the payouts queue and puts the job back (no attempt spent); 5xx and network
 * errors rethrow, so the queue retries with backoff; a refusal fails the line
 * with Stripe's reason and the money stays available. A server error Stripe saved under the key
 * fails the line until the key expires, when `payout.line-resend` sends it again: after a
 * lookup finds nothing, checked again as in phase 1, under a fresh key (PayoutLineStart; put
 * off while another attempt under the old key may still be sending).
 */
@Injectable()
@JobHandler('payout.line')
export class PayoutLineHandler implements HandlesJob<'payout.line'> {
  private readonly logger = new Logger(PayoutLineHandler.name);
  /**
   * After a 429 (someone else's calls filled Stripe's window: the pacer keeps ours under it)
   * the payout workers wait one call's share of a second, about when Stripe frees a slot.
   */
  private readonly rateLimitedPauseMs: number;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(STRIPE) private readonly stripe: Stripe,
    private readonly sending: PayoutLineSendingRepository,
    private readonly runEvents: PayoutRunEvents,
    config: ConfigService<Env, true>,
    private readonly metrics: DomainMetrics,
    private readonly outbox: OutboxService,
    private readonly start: PayoutLineStart,
    private readonly transferLookup: PayoutTransferLookup,
    private readonly failure: PayoutLineFailure,
    private readonly booking: PayoutLineBooking,
  ) {
    this.rateLimitedPauseMs = Math.ceil(
      1000 / config.get('STRIPE_RATE_PER_SECOND', { infer: true }),
    );
  }

  /**
   * The line's job failed for good before phase 1 committed (the database away for half an
   * hour, a worker dying under it over and over): the line is still pending, which neither
   * finance's retry (failed and stuck processing lines) nor anything else would send, and its
   * run could never complete. It is sent again, as a fresh job, MAX_LINE_RESENDS times: a line
   * that fails the same way every time (one that kills its worker, taking the other jobs under
   * way with it) was sent again for ever. Then it fails (`job_failed`, not a refusal: nothing
   * was sent), so its run can complete with failures and finance's retry sends it again once
   * the cause is fixed.
   *
   * A line no longer pending was sent, paid or failed by this job, which then failed for good
   * after that commit (the run check after it threw on the last attempt, or its worker died
   * there): its run is completed here if every line is done. Nothing else would complete it,
   * and an executing run keeps the next run in its currency from being drafted.
   */
  async gaveUp(
    { lineId, resend = 0 }: JobPayloads['payout.line'],
    job?: Job<JobPayloads['payout.line']>,
  ): Promise<boolean> {
    // A line reset to pending after this job failed (finance's retry within the sweep's period)
    // is the new job's: sent again or failed here, that retry was undone.
    const failedAt = job?.finishedOn ? new Date(job.finishedOn) : null;
    const failedRun = await this.db.transaction(async (em) => {
      if (!(await this.sending.lockIfUnsent(em, lineId, failedAt))) return null;
      if (resend < MAX_LINE_RESENDS) {
        await this.outbox.enqueue(em, 'payout.line', { lineId, resend: resend + 1 });
        this.logger.warn(
          { lineId, resend: resend + 1 },
          'a payout line job gave up before sending; sent again',
        );
        return undefined;
      }
      const row = await this.sending.failUnsent(
        em,
        lineId,
        `Its jobs failed ${resend + 1} times before sending it; retry the run's failed lines once the cause is fixed`,
      );
      if (!row) return null;
      await this.runEvents.record(em, 'payout_run.line_failed', row.run_id, {
        lineId,
        agentId: row.agent_id,
        stripeCode: 'job_failed',
        refused: false,
      });
      this.logger.error(
        { lineId, runId: row.run_id, resends: resend },
        'a payout line job keeps failing before sending; the line failed (job_failed): retry it once the cause is fixed',
      );
      return row.run_id;
    });
    if (failedRun === null) {
      const runId = await this.sending.runOf(this.db.manager, lineId);
      return runId ? completeRunIfDone(this.db, this.runEvents, runId) : false;
    }
    if (failedRun !== undefined) {
      this.metrics.payoutLineFinished('failed');
      await completeRunIfDone(this.db, this.runEvents, failedRun);
    }
    return true;
  }

  async handle({ lineId }: JobPayloads['payout.line'], job: Job): Promise<{ status: string }> {
    // Phase 1.
    let line = await this.db.transaction((em) => this.start.begin(em, lineId));
    if (!line || line.status === 'held') {
      // Held now, or already paid or failed (a retry after a crash between that commit and the
      // run check): only the run may need completing.
      const runId = await this.sending.runOf(this.db.manager, lineId);
      if (runId) await completeRunIfDone(this.db, this.runEvents, runId);
      return { status: line ? 'held' : 'skipped' };
    }

    // Phase 2.
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    let transfer: Stripe.Transfer;
    try {
      // Not the first attempt: a transfer may exist from an earlier one (its key may even have
      // expired at Stripe after 24 h), so look before sending. Nor a first attempt of a line
      // drafted nearly a day ago or more (its key is fixed at the draft): it may be one a
      // database restore took back, paid in the lost window under a key Stripe has forgotten
      // since (sent again under it, the agent was paid twice). A run approved that late pays
      // one lookup a line; one approved within the day, none.
      const mayExist = line.attempts > 0 || line.drafted_long_ago === true;
      const existing = mayExist ? await this.transferLookup.lookUp(line) : null;
      if (!existing && line.key_expired === true) {
        // None, under a key Stripe has forgotten: nothing binds the line to the amount fixed a
        // day or more ago. It is sent as a first send would be, checked again under a fresh key
        // (a clawback, or payouts disabled, since then would otherwise be paid out all the same).
        const renewed = await this.db.transaction((em) => this.start.renewKey(em, line!));
        if (renewed === 'put_off') return { status: renewed };
        if (renewed === 'held' || !renewed) {
          await completeRunIfDone(this.db, this.runEvents, line.run_id);
          return { status: renewed ?? 'skipped' };
        }
        line = renewed;
      }
      transfer =
        existing ??
        (await this.stripe.transfers.create(
          {
            amount: Number(line.transfer_minor),
            currency: line.currency.toLowerCase(),
            destination: line.stripe_account_id,
            transfer_group: `run_${line.run_id}`,
            metadata: { payoutLineId: line.id, runId: line.run_id, agentId: line.agent_id },
          },
          { idempotencyKey: line.idempotency_key },
        ));
    } catch (e) {
      if (e instanceof Stripe.errors.StripeRateLimitError) {
        // Stripe refused before doing anything, so no transfer can exist for this try: undo its
        // count, or the next try would spend a lookup call (and make the next 429 likelier).
        await this.sending.undoAttempt(this.db.manager, lineId, line.attempts + 1, line.sending_at);
        throw new JobRateLimitedError(this.rateLimitedPauseMs);
      }
      if (savedServerError(e)) {
        // The call may or may not have made the transfer, and the key will only replay this
        // answer until Stripe prunes it: look now, else wait for the key to expire.
        // A lookup that fails is no answer: the next try looks again first (on the last, the
        // line waits for its key to expire, as when nothing was found).
        const found = await this.transferLookup.lookUp(line).catch((lookupError: unknown) => {
          if (last) return null;
          throw lookupError;
        });
        if (!found) {
          await this.failure.fail(line, e, false, wasReplayed(e) ? 'replayed' : 'saved');
          return { status: 'failed' };
        }
        transfer = found;
      } else {
        if (e instanceof TransferLookupFailed && last) {
          // Whether a transfer exists is unknown: sent again later, after a lookup.
          await this.failure.fail(line, e, false, 'saved');
          return { status: 'failed' };
        }
        if (isPermanent(e) || last) {
          await this.failure.fail(line, e as Error, isPermanent(e));
          return { status: 'failed' };
        }
        this.logger.warn(
          { lineId, attempt: job.attemptsMade + 1, err: (e as Error).message },
          'transfer will be retried',
        );
        throw e;
      }
    }

    // Phase 3: booked as Stripe holds it (PayoutLineBooking).
    await this.booking.book(line, transfer);
    return { status: 'paid' };
  }
}
