import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { DomainMetrics } from '../metrics/domain-metrics';
import { OutboxService } from '../outbox/outbox.service';
import { PayoutAccountRefresh } from './payout-account-refresh.service';
import { completeRunIfDone, SendingLine, TransferLookupFailed } from './payout-line-send';
import { PayoutLineSendingRepository } from './payout-line-sending.repository';
import { PayoutRunEvents } from './payout-run-events';

/** A payout line failed for good by its `payout.line` job (PayoutLineHandler, phase 2). */
@Injectable()
export class PayoutLineFailure {
  // The job's lines keep the context they always had: the handler's.
  private readonly logger = new Logger('PayoutLineHandler');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly sending: PayoutLineSendingRepository,
    private readonly runEvents: PayoutRunEvents,
    private readonly outbox: OutboxService,
    private readonly metrics: DomainMetrics,
    private readonly accountRefresh: PayoutAccountRefresh,
  ) {}

  /**
   * Only the attempt that used the line's current key may fail it (not a stale duplicate). A line
   * failed for good waits for finance (retry or abandon), so it is logged once, as one warn line
   * naming it, without a stack: Stripe's refusal is an answer, not a bug here.
   */
  async fail(
    line: SendingLine,
    e: Error,
    permanent: boolean,
    resend?: 'saved' | 'replayed',
  ): Promise<void> {
    // Ours when Stripe's outcome is unknown: the error's own type names no cause.
    const code = resend
      ? 'stripe_outcome_unknown'
      : ((e as Stripe.errors.StripeError).code ?? (e as Stripe.errors.StripeError).type ?? 'error');
    const message = (
      e instanceof TransferLookupFailed
        ? `${e.message}. Whether the transfer was made is unknown; the line is sent again ` +
          'when its key has expired, after a lookup.'
        : resend
          ? "Stripe answered a server error it keeps under this line's key, so the outcome is " +
            'unknown until the key expires; the line is sent again then, after a lookup. ' +
            e.message
          : e.message
    ).slice(0, 1000);
    const failed = await this.db.transaction(async (em) => {
      const row = await this.sending.markFailed(em, line.id, line.idempotency_key, {
        code,
        message,
        permanent,
        resend,
      });
      if (!row) return undefined;
      await this.runEvents.record(em, 'payout_run.line_failed', row.run_id, {
        lineId: line.id,
        agentId: line.agent_id,
        stripeCode: code,
        refused: permanent,
      });
      if (resend) {
        await this.outbox.enqueue(
          em,
          'payout.line-resend',
          { lineId: line.id },
          { runAt: row.resend_at! },
        );
      }
      return row;
    });
    if (!failed) return; // a stale duplicate: the line's current attempt decides
    this.metrics.payoutLineFinished('failed');
    this.logger.warn(
      {
        lineId: line.id,
        runId: failed.run_id,
        agentId: line.agent_id,
        stripeCode: code,
        stripeMessage: message,
        // false: retries on 429/5xx ran out (a transfer may exist); true: Stripe refused.
        refused: permanent,
        resendAt: failed.resend_at,
      },
      'payout line failed',
    );
    if (code === 'insufficient_capabilities_for_transfer') await this.refreshAccount(line);
    await completeRunIfDone(this.db, this.runEvents, failed.run_id);
  }

  /**
   * Stripe refused a transfer to an account we hold as payable (its `transfers` capability
   * off, and the account.updated saying so not applied, or lost): the account is read again,
   * so the agent's console shows what Stripe needs and the next run holds the agent instead of
   * sending a line Stripe refuses again. Best effort: the line has failed either way.
   */
  private async refreshAccount(line: SendingLine): Promise<void> {
    try {
      await this.accountRefresh.refreshNow(line.stripe_account_id);
    } catch (e) {
      this.logger.warn(
        { lineId: line.id, accountId: line.stripe_account_id, err: (e as Error).message },
        'the account of a refused payout line was not read again',
      );
    }
  }
}
