import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Env } from '../../config/env.validation';
import { EventsService } from '../events/events.service';
import { HandlesJob, JobHandler } from '../jobs/job-handler';
import { JobPayloads, TicketEvent } from '../jobs/job-registry';
import { OutboxService } from '../outbox/outbox.service';
import { TicketClaimFacts } from '../tickets/ticket-claim-facts.service';
import { EarningsRepository } from './earnings.repository';
import { LedgerService } from './ledger.service';

/** The ids a resolution's earning is booked under. */
export interface ResolutionIds {
  claimId: string;
  ticketId: string;
  agentId: string;
  companyId: string;
}

/**
 * Tells the agent that an earning moved its balances (booked as pending, released as available,
 * reversed by a reopen), in the booking's transaction: its console refreshes the earnings then,
 * not on the ticket's event, which comes before this job has booked anything.
 */
function recordEarningEvent(
  events: EventsService,
  em: EntityManager,
  type: 'earning.booked' | 'earning.available' | 'earning.reversed',
  e: { agentId: string; claimId: string; ticketId: string; amountMinor: number; currency: string },
): Promise<void> {
  return events.record(em, {
    type,
    agentId: e.agentId,
    data: {
      claimId: e.claimId,
      ticketId: e.ticketId,
      amount: { amountMinor: e.amountMinor, currency: e.currency },
    },
  });
}

/** The platform fee on a rate, rounded half up to a whole minor unit. */
export const feeFor = (amountMinor: number, bps: number) =>
  Math.round((amountMinor * bps) / 10_000);

/**
 * Books a resolution as an earning (agent pending, company receivable, platform fee) and a
 * reopen as its reversal. Idempotent: the journal entry key and the earnings row are unique per
 * claim, so a duplicated or late event changes nothing the second time.
 */
@Injectable()
@JobHandler('ledger.ticket-event')
export class TicketLedgerHandler implements HandlesJob<'ledger.ticket-event'> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly ledger: LedgerService,
    private readonly earnings: EarningsRepository,
    private readonly outbox: OutboxService,
    private readonly config: ConfigService<Env, true>,
    private readonly claims: TicketClaimFacts,
    private readonly events: EventsService,
  ) {}

  handle({ type, event }: JobPayloads['ledger.ticket-event']): Promise<{ booked: boolean }> {
    // A paid withdrawal resolved its claim with its pay fixed: it earns like a resolution.
    return this.db.transaction((em) =>
      type === 'ticket.reopened'
        ? this.reverse(em, event)
        : this.earn(em, { ...event, claimId: event.claimId!, agentId: event.agentId! }),
    );
  }

  /**
   * Books one resolution's earning, once: what the job does for a `ticket.resolved` event, and
   * what finance's repair does for a resolution the integrity report found unbooked.
   */
  async earn(em: EntityManager, e: ResolutionIds): Promise<{ booked: boolean }> {
    // Locked, so a reopen cannot commit between this read and the booking: either the reopen
    // committed first (and this sees it and books nothing) or it waits for this commit (and its
    // reversal, which takes the same lock, then finds the earning). See reverse().
    const claim = await this.claims.lockIfEarning(em, e.claimId);
    if (!claim) return { booked: false };
    const amount = claim.amountMinor;
    // The fee fixed at resolution; claims resolved before fees were fixed there have none.
    const fee = feeFor(
      amount,
      claim.feeBps ?? this.config.get('PLATFORM_FEE_BPS', { infer: true }),
    );
    const windowHours = this.config.get('REOPEN_WINDOW_HOURS', { infer: true });
    // One millisecond past the window's end: resolvedAt lost its microseconds in a Date, and
    // the release must not land inside the window a reopen is still allowed in.
    const availableAt = new Date(
      claim.resolvedAt.getTime() + Math.round(windowHours * 3_600_000) + 1,
    );
    const created = await this.earnings.insertIfNew(em, {
      claimId: e.claimId,
      ticketId: e.ticketId,
      agentId: e.agentId,
      companyId: e.companyId,
      amountMinor: amount,
      feeMinor: fee,
      currency: claim.currency,
      earnedAt: claim.resolvedAt,
      availableAt,
    });
    if (!created) return { booked: false };
    await this.ledger.post(em, {
      kind: 'earning',
      idempotencyKey: `earning:${e.claimId}`,
      currency: claim.currency,
      agentId: e.agentId,
      companyId: e.companyId,
      ticketId: e.ticketId,
      claimId: e.claimId,
      lines: [
        { account: 'company_receivable', ownerId: e.companyId, amountMinor: amount + fee },
        { account: 'agent_pending', ownerId: e.agentId, amountMinor: -amount },
        { account: 'platform_fees', ownerId: null, amountMinor: -fee },
      ],
    });
    await this.outbox.enqueue(
      em,
      'ledger.release-earning',
      { claimId: e.claimId },
      { runAt: availableAt },
    );
    await recordEarningEvent(this.events, em, 'earning.booked', {
      ...e,
      amountMinor: amount,
      currency: claim.currency,
    });
    return { booked: true };
  }

  private async reverse(em: EntityManager, e: TicketEvent): Promise<{ booked: boolean }> {
    // The claim's lock first (as earn() takes it): an earn job already past its read of the
    // claim holds it, so this waits for its commit and then sees the earning it booked.
    const reopened = await this.claims.lockAndCheckReopened(em, e.claimId!);
    const earning = await this.earnings.lockByClaim(em, e.claimId!);
    if (!earning) {
      // The reopen committed before any earning was booked, and an earn job that comes later
      // sees the reopen under the same lock and books nothing: there is nothing to reverse.
      if (reopened) return { booked: false };
      // Not reopened (a reversal event without its reopen cannot happen): retry, loudly.
      throw new Error(`no earning yet for claim ${e.claimId}; will retry`);
    }
    if (earning.status === 'reversed') return { booked: false };
    const amount = Number(earning.amount_minor);
    const fee = Number(earning.fee_minor);
    // Normally still pending (reopens happen inside the hold); if the release won the race at
    // the boundary, the money comes back out of available, possibly leaving it negative.
    const from = earning.status === 'pending' ? 'agent_pending' : 'agent_available';
    await this.ledger.post(em, {
      kind: 'earning_reversal',
      idempotencyKey: `earning-reversal:${e.claimId}`,
      currency: earning.currency,
      agentId: earning.agent_id,
      companyId: earning.company_id,
      ticketId: earning.ticket_id,
      claimId: earning.claim_id,
      memo: 'ticket reopened',
      lines: [
        {
          account: 'company_receivable',
          ownerId: earning.company_id,
          amountMinor: -(amount + fee),
        },
        { account: from, ownerId: earning.agent_id, amountMinor: amount },
        { account: 'platform_fees', ownerId: null, amountMinor: fee },
      ],
    });
    await this.earnings.markReversed(em, e.claimId!);
    await recordEarningEvent(this.events, em, 'earning.reversed', {
      agentId: earning.agent_id,
      claimId: earning.claim_id,
      ticketId: earning.ticket_id,
      amountMinor: amount,
      currency: earning.currency,
    });
    return { booked: true };
  }
}

/**
 * At the end of the reopen window: pending → available, once. Early firings re-arm (also when
 * the window was lengthened since the earning was booked: see lockByClaimWithDue). Never for
 * a claim whose ticket was reopened: its reversal takes the money back from pending, even when
 * that job runs after the window (a backlog, retries), so a payout cannot pay it out first.
 */
@Injectable()
@JobHandler('ledger.release-earning')
export class ReleaseEarningHandler implements HandlesJob<'ledger.release-earning'> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly ledger: LedgerService,
    private readonly earnings: EarningsRepository,
    private readonly outbox: OutboxService,
    private readonly claims: TicketClaimFacts,
    private readonly config: ConfigService<Env, true>,
    private readonly events: EventsService,
  ) {}

  handle({ claimId }: JobPayloads['ledger.release-earning']): Promise<{ released: boolean }> {
    return this.db.transaction(async (em) => {
      // The claim's lock, then the earning's: the order of the reversal, so a reopen either
      // committed before (seen here) or waits for this release and reverses from available.
      if ((await this.claims.lockAndCheckReopened(em, claimId)) !== false) {
        return { released: false };
      }
      const earning = await this.earnings.lockByClaimWithDue(
        em,
        claimId,
        this.config.get('REOPEN_WINDOW_HOURS', { infer: true }),
      );
      if (!earning || earning.status !== 'pending') return { released: false };
      if (!earning.due) {
        await this.outbox.enqueue(
          em,
          'ledger.release-earning',
          { claimId },
          { runAt: earning.due_at },
        );
        return { released: false };
      }
      const amount = Number(earning.amount_minor);
      await this.ledger.post(em, {
        kind: 'earning_release',
        idempotencyKey: `earning-release:${claimId}`,
        currency: earning.currency,
        agentId: earning.agent_id,
        ticketId: earning.ticket_id,
        claimId,
        lines: [
          { account: 'agent_pending', ownerId: earning.agent_id, amountMinor: amount },
          { account: 'agent_available', ownerId: earning.agent_id, amountMinor: -amount },
        ],
      });
      await this.earnings.markAvailable(em, claimId);
      await recordEarningEvent(this.events, em, 'earning.available', {
        agentId: earning.agent_id,
        claimId,
        ticketId: earning.ticket_id,
        amountMinor: amount,
        currency: earning.currency,
      });
      return { released: true };
    });
  }
}
