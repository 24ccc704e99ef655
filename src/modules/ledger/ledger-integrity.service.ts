import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { Env } from '../../config/env.validation';
import { CompaniesService } from '../companies/companies.service';
import { ReleaseEarningHandler, TicketLedgerHandler } from './earnings-posting.handlers';
import { BillableEntriesRepository } from './billable-entries.repository';
import { EarningsRepository } from './earnings.repository';
import { JournalRepository } from './journal.repository';
import {
  LedgerIntegrityDto,
  PendingBalanceMismatchDto,
  UnbookedResolutionDto,
  UninvoicedReceivableDto,
  UnreleasedEarningDto,
  UnreversedReopenedClaimDto,
} from './ledger.dto';
import { toUnreversedReopenedClaimDto } from './ledger.mapper';

/** At most this many findings per check in one report; `truncated` says there were more. */
const MAX_FINDINGS = 500;
/**
 * A resolution is booked within seconds (the outbox relays its ledger job at once), and so is a
 * reopen's reversal; one not booked after this long is reported. Its job may still be retrying through an outage: the
 * finding is true all the same (the agent is not paid yet), and goes once it is booked.
 */
export const BOOKING_GRACE_MS = 15 * 60_000;
/**
 * A billable entry is on an invoice once its period closes: within a month and a few minutes
 * (the longest period). Unbilled after this, its company's closing keeps failing, and closing
 * reads back only 100 days (InvoiceClosingService): reported well before that.
 */
export const INVOICE_GRACE_DAYS = 40;

/**
 * Invariants the ledger must hold whatever order or concurrency its jobs ran in, checked
 * against the books themselves, for finance to watch (and for tests to assert):
 * - a reopened claim keeps no earning: each one is reversed or was never booked;
 * - a resolution not reopened has its earning (a booking job that failed for good would
 *   otherwise leave the agent unpaid and the company unbilled, with nothing else to show it);
 * - an earning becomes available once its reopen window ends (a release timer lost with
 *   Redis's data, or failed for good, would otherwise keep it from every payout);
 * - a company's receivable is invoiced once its period closed (a closing that keeps failing
 *   would otherwise leave it unbilled, and past 100 days for good);
 * - an agent's pending balance is the sum of its pending earnings (the account and the
 *   earnings table are two records of one fact);
 * - every currency's lines sum to zero (the database refuses unbalanced entries; this proves it).
 */
@Injectable()
export class LedgerIntegrityService {
  private readonly logger = new Logger(LedgerIntegrityService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly journal: JournalRepository,
    private readonly billable: BillableEntriesRepository,
    private readonly earnings: EarningsRepository,
    private readonly booking: TicketLedgerHandler,
    private readonly release: ReleaseEarningHandler,
    private readonly config: ConfigService<Env, true>,
    private readonly companies: CompaniesService,
  ) {}

  async report(actor: Actor, now = new Date()): Promise<LedgerIntegrityDto> {
    requireUser(actor, 'finance');
    // The checks from one snapshot, so that the report describes one moment of the books.
    const [unreversed, unbooked, unreleased, uninvoiced, mismatched, totals] =
      await this.db.transaction(
        'REPEATABLE READ',
        async (em) =>
          [
            await this.unreversed(em, now),
            await this.unbooked(em, now),
            await this.unreleased(em, now),
            await this.uninvoiced(em, now),
            await this.mismatched(em),
            await this.journal.unbalancedCurrencies(em),
          ] as const,
      );
    const unbalanced = totals.map((r) => ({ currency: r.currency, balanceMinor: Number(r.total) }));
    const findings = [unreversed, unbooked, unreleased, uninvoiced, mismatched];
    return {
      ok: findings.every((f) => f.length === 0) && unbalanced.length === 0,
      checkedAt: now,
      reopenedClaimsNotReversed: unreversed.slice(0, MAX_FINDINGS),
      resolvedClaimsNotBooked: unbooked.slice(0, MAX_FINDINGS),
      earningsNotReleased: unreleased.slice(0, MAX_FINDINGS),
      receivablesNotInvoiced: uninvoiced.slice(0, MAX_FINDINGS),
      pendingBalancesNotMatchingEarnings: mismatched.slice(0, MAX_FINDINGS),
      truncated: findings.some((f) => f.length > MAX_FINDINGS),
      unbalancedCurrencies: unbalanced,
    };
  }

  /**
   * Books what the report lists in `resolvedClaimsNotBooked` and releases what it lists in
   * `earningsNotReleased` (500 of each at a time), each in its own transaction through the
   * job's own path: once, whatever else runs (a job still retrying books or releases nothing
   * after it, nor it after the job), and never for a claim reopened meanwhile (the claim's lock
   * and state decide). For work whose failed job has left the queue (the failed set keeps 14
   * days) or was lost with Redis's data. Answers the report as it then stands.
   */
  async bookMissing(actor: Actor, now = new Date()): Promise<LedgerIntegrityDto> {
    const { userId } = requireUser(actor, 'finance');
    const missing = (await this.unbooked(this.db.manager, now)).slice(0, MAX_FINDINGS);
    let booked = 0;
    for (const c of missing) {
      const done = await this.db.transaction((em) => this.booking.earn(em, c));
      if (done.booked) booked++;
    }
    if (missing.length > 0) {
      this.logger.warn(
        { userId, booked, claimIds: missing.map((c) => c.claimId) },
        'unbooked resolutions booked by finance',
      );
    }
    // Booked first: an earning booked just now is pending and not due, so it is not released.
    const unreleased = (await this.unreleased(this.db.manager, now)).slice(0, MAX_FINDINGS);
    let released = 0;
    for (const e of unreleased) {
      if ((await this.release.handle({ claimId: e.claimId })).released) released++;
    }
    if (unreleased.length > 0) {
      this.logger.warn(
        { userId, released, claimIds: unreleased.map((e) => e.claimId) },
        'earnings past their release released by finance',
      );
    }
    return this.report(actor, now);
  }

  /**
   * Reopened claims older than the grace whose earning is not reversed, oldest first (one more
   * than listed). A reversal is booked within seconds, as a resolution is: a reopen whose job is
   * still queued is not a finding (it made the report say `ok: false` while nothing was wrong).
   */
  private async unreversed(em: EntityManager, now: Date): Promise<UnreversedReopenedClaimDto[]> {
    const before = new Date(now.getTime() - BOOKING_GRACE_MS);
    const rows = await this.earnings.reopenedNotReversed(em, before, MAX_FINDINGS + 1);
    return rows.map(toUnreversedReopenedClaimDto);
  }

  /** Earnings pending past their release by more than the grace, oldest due first. */
  private async unreleased(em: EntityManager, now: Date): Promise<UnreleasedEarningDto[]> {
    const before = new Date(now.getTime() - BOOKING_GRACE_MS);
    const window = this.config.get('REOPEN_WINDOW_HOURS', { infer: true });
    const rows = await this.earnings.pendingPastDue(em, before, window, MAX_FINDINGS + 1);
    return rows.map((r) => ({
      claimId: r.claim_id,
      ticketId: r.ticket_id,
      agentId: r.agent_id,
      amountMinor: Number(r.amount_minor),
      currency: r.currency,
      dueAt: r.due_at,
    }));
  }

  /** Receivables no invoice billed INVOICE_GRACE_DAYS after they were booked, oldest first. */
  private async uninvoiced(em: EntityManager, now: Date): Promise<UninvoicedReceivableDto[]> {
    const before = new Date(now.getTime() - INVOICE_GRACE_DAYS * 86_400_000);
    const rows = await this.billable.unbilledBefore(em, before, MAX_FINDINGS + 1);
    // Named, so that finance knows whose billing to look at without a lookup by id.
    const names = await this.companies.namesOf(
      em,
      rows.map((r) => r.company_id),
    );
    return rows.map((r) => ({
      companyId: r.company_id,
      companyName: names.get(r.company_id) ?? '',
      currency: r.currency,
      entries: r.entries,
      amountMinor: Number(r.amount),
      oldestAt: r.oldest,
    }));
  }

  /** Agents whose pending balance differs from their pending earnings (one more than listed). */
  private async mismatched(em: EntityManager): Promise<PendingBalanceMismatchDto[]> {
    const rows = await this.earnings.pendingMismatches(em, MAX_FINDINGS + 1);
    return rows.map((r) => ({
      agentId: r.agent_id,
      currency: r.currency,
      ledgerPendingMinor: Number(r.ledger_minor),
      earningsPendingMinor: Number(r.earnings_minor),
    }));
  }

  /** Resolutions older than the grace with no earning, oldest first (one more than listed). */
  private async unbooked(em: EntityManager, now: Date): Promise<UnbookedResolutionDto[]> {
    const before = new Date(now.getTime() - BOOKING_GRACE_MS);
    const rows = await this.earnings.unbookedResolutions(em, before, MAX_FINDINGS + 1);
    return rows.map((r) => ({
      claimId: r.claim_id,
      ticketId: r.ticket_id,
      agentId: r.agent_id,
      companyId: r.company_id,
      amountMinor: Number(r.amount_minor),
      currency: r.currency,
      resolvedAt: r.resolved_at,
    }));
  }
}
