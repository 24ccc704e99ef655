import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import { Env } from '../../config/env.validation';
import { OutboxService } from '../outbox/outbox.service';
import { STRIPE_SETTINGS, StripeSettings } from '../stripe/stripe.module';
import { assertSameStripe } from './payout-run.errors';
import { SendingLine } from './payout-line-send';
import { PayoutLineSendingRepository } from './payout-line-sending.repository';
import { PayoutSendChecks } from './payout-send-checks.service';

/**
 * What a payout line is sent for and under which key, decided under its lock before any Stripe
 * call (PayoutLineHandler): its first phase, and a fresh key once Stripe has forgotten the old.
 */
@Injectable()
export class PayoutLineStart {
  // The job's lines keep the context they always had: the handler's.
  private readonly logger = new Logger('PayoutLineHandler');
  /**
   * How long an attempt may still be sending after it began, in seconds: its lookup and its
   * transfer, each one Stripe call of at most STRIPE_TIMEOUT_MS (no network retries), a call's
   * time to spare, and half a minute for the pacer's slots.
   */
  private readonly sendSeconds: number;

  constructor(
    private readonly sending: PayoutLineSendingRepository,
    private readonly checks: PayoutSendChecks,
    private readonly outbox: OutboxService,
    config: ConfigService<Env, true>,
    @Inject(STRIPE_SETTINGS) private readonly stripe: StripeSettings,
  ) {
    this.sendSeconds = (3 * config.get('STRIPE_TIMEOUT_MS', { infer: true }) + 30_000) / 1000;
  }

  /**
   * Phase 1: marks the line `processing` and returns it with the amount it is sent for, or
   * returns it `held` (balance fell below the minimum, or Stripe disabled the agent's payouts,
   * since the draft), or null when there is nothing to send (paid, failed, abandoned).
   */
  async begin(em: EntityManager, lineId: string): Promise<SendingLine | null> {
    const row = await this.sending.lockForSending(em, lineId, this.sendSeconds);
    if (!row || !['pending', 'processing'].includes(row.status)) return null;
    // Nothing touched, so that the queue's retry (on a process set up as the run was) sends it.
    assertSameStripe(row, this.stripe.mode);
    if (row.transfer_minor === null) {
      // First send under this key, so nothing can be at Stripe yet: its amount is fixed now.
      const fixed = await this.checks.amount(em, row);
      if ('held' in fixed) {
        await this.sending.holdAtSending(em, lineId, fixed.held);
        return { ...row, status: 'held' } as SendingLine;
      }
      row.transfer_minor = String(fixed.amountMinor);
    }
    await this.sending.markProcessing(em, lineId, row.transfer_minor);
    // A pending line has a Stripe account (a line without one is drafted held).
    return row as SendingLine;
  }

  /**
   * The line, sent under a key that expired with no transfer made under it, checked again as
   * for a first send: held, or under a fresh key for what it may be sent for now. Null when
   * another attempt moved it meanwhile (nothing to send here). Put off (this attempt taken
   * back, and a job queued for when that attempt is past) while the attempt before this one
   * may still be sending under the old key: another job for the line (finance's retry beside
   * one still backing off) that read the key a moment before it expired, and whose transfer,
   * not made yet, the lookup could not see; a fresh key would have paid the agent twice.
   */
  async renewKey(
    em: EntityManager,
    sent: SendingLine,
  ): Promise<SendingLine | 'held' | 'put_off' | null> {
    const row = await this.sending.lockForSending(em, sent.id, this.sendSeconds);
    if (row?.status !== 'processing' || row.idempotency_key !== sent.idempotency_key) return null;
    if (sent.sent_recently) {
      // Sent again by a job of its own once that attempt is past, not by this job's retries:
      // those would spend the queue's tries (the last failing the line) and a lookup each.
      await this.sending.undoAttempt(em, row.id, sent.attempts + 1, sent.sending_at);
      const runAt = new Date(sent.sending_at!.getTime() + this.sendSeconds * 1000);
      await this.outbox.enqueue(em, 'payout.line', { lineId: row.id }, { runAt });
      this.logger.warn(
        { lineId: row.id, runAt },
        'a payout line whose key expired is sent again once the attempt before it is past: it may still be sending under the old key',
      );
      return 'put_off';
    }
    const fixed = await this.checks.amount(em, row);
    if ('held' in fixed) {
      await this.sending.holdAtSending(em, row.id, fixed.held);
      return 'held';
    }
    const key = await this.sending.renewKey(em, row.id, row.idempotency_key, fixed.amountMinor);
    if (!key) return null;
    this.logger.warn(
      { lineId: row.id, transferMinor: fixed.amountMinor, wasMinor: Number(sent.transfer_minor) },
      'a payout line sent again after its key expired, with no transfer under it: checked again, under a fresh key',
    );
    return {
      ...sent,
      idempotency_key: key,
      transfer_minor: String(fixed.amountMinor),
      key_sent_at: new Date(),
      key_expired: false,
    };
  }
}
