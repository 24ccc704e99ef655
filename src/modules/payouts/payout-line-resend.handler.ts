import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HandlesJob, JobHandler } from '../jobs/job-handler';
import { JobPayloads } from '../jobs/job-registry';
import { OutboxService } from '../outbox/outbox.service';
import { PayoutLineSendingRepository } from './payout-line-sending.repository';
import { PayoutRunEvents } from './payout-run-events';
import { PayoutRunsRepository } from './payout-runs.repository';

/**
 * A line failed on a server error Stripe saved under its key (it replays it to every retry of
 * the key for 24 h): at `resend_at`, once the key has expired, the line is pending again and
 * sent, as finance's retry would send it. The line's job looks for a transfer the failed call
 * may have made before it sends under the key again (which Stripe now takes as a new request).
 * Nothing happens if finance retried it first, or the line is no longer failed.
 */
@Injectable()
@JobHandler('payout.line-resend')
export class PayoutLineResendHandler implements HandlesJob<'payout.line-resend'> {
  private readonly logger = new Logger(PayoutLineResendHandler.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly sending: PayoutLineSendingRepository,
    private readonly runs: PayoutRunsRepository,
    private readonly runEvents: PayoutRunEvents,
    private readonly outbox: OutboxService,
  ) {}

  async handle({ lineId }: JobPayloads['payout.line-resend']): Promise<{ resent: boolean }> {
    const runId = await this.sending.runOf(this.db.manager, lineId);
    if (!runId) return { resent: false };
    const resent = await this.db.transaction(async (em) => {
      // The run first, then its line: the order finance's retry takes them in.
      await this.runs.find(em, runId, true);
      if (!(await this.sending.resetDue(em, lineId))) {
        // Fired before its time (the job's time is cut to the millisecond, the row's is not;
        // or the relay's clock runs ahead of the database's): armed again for it, else the
        // line stayed failed, and its agent held, until finance retried it.
        const later = await this.sending.resendLater(em, lineId);
        if (later)
          await this.outbox.enqueue(em, 'payout.line-resend', { lineId }, { runAt: later });
        return false;
      }
      const status = await this.runs.markExecutingAgain(em, runId);
      await this.runEvents.record(em, 'payout_run.executing', runId, { status, lines: 1 });
      await this.outbox.enqueue(em, 'payout.line', { lineId });
      return true;
    });
    if (resent) this.logger.log({ lineId, runId }, 'payout line sent again after its key expired');
    return { resent };
  }
}
