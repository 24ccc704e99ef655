import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { inState } from '../../common/errors/in-state';
import { AgentIdentities } from '../ledger/agent-identities.service';
import { OutboxService } from '../outbox/outbox.service';
import { STRIPE_SETTINGS, StripeSettings } from '../stripe/stripe.module';
import { PayoutLineDto, PayoutRunDto } from './payout.dto';
import {
  PENDING_LINE_PAYLOADS_SQL,
  PayoutLineExecutionRepository,
} from './payout-line-execution.repository';
import { toPayoutLineDto } from './payout.mapper';
import { assertSameStripe, foundRun, wrongState } from './payout-run.errors';
import { PayoutRunEvents } from './payout-run-events';
import { PayoutRunsRepository } from './payout-runs.repository';
import { PayoutRunsService } from './payout-runs.service';
import { PlatformBalanceService } from './platform-balance.service';

/** Paying an approved run: execute it, send failed lines again, abandon a line for good. */
@Injectable()
export class PayoutRunExecutionService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly runs: PayoutRunsRepository,
    private readonly lines: PayoutLineExecutionRepository,
    private readonly payoutRuns: PayoutRunsService,
    private readonly identities: AgentIdentities,
    private readonly runEvents: PayoutRunEvents,
    private readonly balance: PlatformBalanceService,
    @Inject(STRIPE_SETTINGS) private readonly stripe: StripeSettings,
  ) {}

  /**
   * Starts paying: one job per payable line, written in the same transaction. The lines the
   * platform's Stripe balance cannot cover are held first (insufficient_platform_balance): a
   * transfer beyond the balance would only fail at Stripe. The run records the balance it saw.
   */
  async execute(actor: Actor, id: string): Promise<PayoutRunDto> {
    requireUser(actor, 'finance');
    const first = foundRun(await this.runs.find(this.db.manager, id));
    if (first.status !== 'approved') throw wrongState(first, 'execute');
    assertSameStripe(first, this.stripe.mode);
    // Read before the transaction (a network call): one open run per currency spends it (and,
    // rarely, the failed lines of the one before it being sent again: ADR 0007). The
    // read takes a Stripe slot like the transfers (PacedHttpClient), which start right after
    // it and would otherwise make it one call too many in their first second.
    const available = await this.balance.available(first.currency);
    await this.db.transaction(async (em) => {
      const run = foundRun(await this.runs.find(em, id, true));
      if (run.status !== 'approved') throw wrongState(run, 'execute');
      await this.lines.holdBeyondBalance(em, id, available);
      const payable = await this.lines.countPayable(em, id);
      // Nothing to pay: the run is done now (no job would ever finish it).
      await this.runs.markExecuted(em, id, payable === 0 ? 'completed' : 'executing', available);
      await this.runEvents.record(em, 'payout_run.executing', id, {
        status: 'executing',
        lines: payable,
      });
      if (payable === 0) {
        await this.runEvents.record(em, 'payout_run.completed', id, { status: 'completed' });
      }
      await this.enqueuePendingLines(em, id);
    });
    return this.payoutRuns.summary(this.db.manager, id);
  }

  /** Sends failed lines again (same idempotency keys where a transfer may exist). */
  async retryFailed(actor: Actor, id: string): Promise<PayoutRunDto> {
    requireUser(actor, 'finance');
    await this.db.transaction(async (em) => {
      const run = foundRun(await this.runs.find(em, id, true));
      if (run.status !== 'executing' && run.status !== 'completed_with_failures') {
        throw wrongState(run, 'retry');
      }
      assertSameStripe(run, this.stripe.mode);
      // Refused lines get a fresh key; lines whose 429/5xx retries ran out keep theirs
      // (PayoutLineExecutionRepository.resetFailed says why).
      const retried = await this.lines.resetFailed(em, id);
      // Lines stuck in `processing` (their job died for good) are sent again too: the handler
      // first looks for a transfer Stripe already made for the line.
      const stuck = await this.lines.touchStuck(em, id);
      retried.push(...stuck);
      if (retried.length === 0) {
        // Nothing to send again, yet the run may still be executing: its last line's job failed
        // for good after that line's commit, before it completed the run. Finance's retry is
        // then what completes it.
        await this.runEvents.completeIfDone(em, id);
        return;
      }
      const status = await this.runs.markExecutingAgain(em, id);
      await this.runEvents.record(em, 'payout_run.executing', id, {
        status,
        lines: retried.length,
      });
      await this.outbox.enqueueMany(
        em,
        retried.map((r) => ({ name: 'payout.line' as const, payload: { lineId: r.id } })),
      );
    });
    return this.payoutRuns.summary(this.db.manager, id);
  }

  /**
   * Gives up on a line Stripe refused (say, an account Stripe closed): it stops holding its agent
   * out of later runs, and its money stays available in the ledger for a later run or an
   * adjustment. Only refusals: after exhausted 429/5xx retries a transfer may exist at Stripe,
   * so such a line must be retried (the retry finds it) until it is paid or refused.
   */
  async abandon(
    actor: Actor,
    runId: string,
    lineId: string,
    reason: string,
  ): Promise<PayoutLineDto> {
    const { userId } = requireUser(actor, 'finance');
    const line = await this.db.transaction(async (em) => {
      // Whatever Stripe this API is set up for: an abandon sends nothing. (A worker on another
      // Stripe no longer fails lines as refused: PayoutLineStart.begin refuses to send.)
      foundRun(await this.runs.find(em, runId, true));
      const current = await this.lines.lockInRun(em, lineId, runId);
      if (!current) throw DomainError.notFound('Payout line');
      if (current.status !== 'failed' || !current.failure_permanent) {
        throw new DomainError(
          'PAYOUT_LINE_STATE',
          current.status === 'failed'
            ? 'This line failed on errors a retry may clear (a transfer may exist): retry it instead'
            : `${inState(current.status, 'line')} cannot be abandoned; only a line Stripe refused can`,
          { status: current.status },
        );
      }
      const abandoned = await this.lines.markAbandoned(em, lineId, reason.trim(), userId);
      await this.runEvents.completeIfDone(em, runId);
      return abandoned;
    });
    const who = await this.identities.of(this.db.manager, [line.agent_id]);
    return toPayoutLineDto(line, who(line.agent_id));
  }

  private async enqueuePendingLines(em: EntityManager, runId: string): Promise<void> {
    await this.outbox.enqueueSelect(em, 'payout.line', PENDING_LINE_PAYLOADS_SQL, [runId]);
  }
}
