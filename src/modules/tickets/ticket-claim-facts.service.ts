import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { ClaimConversations } from '../../common/conversation/claim-conversations';
import type { ShiftWork, WorkFacts } from '../../common/pay/work-facts';
import { TicketClaimsRepository } from './ticket-claims.repository';
import { TicketMessagesRepository } from './ticket-messages.repository';
import { TicketQualityRepository } from './ticket-quality.repository';
import { SurgeRepository } from './surge.repository';
import { TicketsRepository } from './tickets.repository';

/** A resolved claim the ledger may book: when, and the pay and fee fixed at resolution. */
export interface ResolvedClaim {
  resolvedAt: Date;
  amountMinor: number;
  currency: string;
  /** Basis points of the pay (null: resolved before fees were fixed on claims). */
  feeBps: number | null;
}

/** The resolution a rating or review is about: the claim that last resolved the ticket. */
export interface LastResolution {
  ticketId: string;
  claimId: string;
  agentId: string;
  companyId: string;
  resolvedAt: Date;
}

/**
 * What other modules (the ledger, quality) may ask about tickets and their claims, in their own
 * transactions. The two locks serialise the ledger's earn and reversal jobs with the reopen,
 * which updates the same claim row (docs/adr/0006-ledger.md, "Changed 2026-11-30").
 */
@Injectable()
export class TicketClaimFacts implements WorkFacts, ClaimConversations {
  constructor(
    private readonly claims: TicketClaimsRepository,
    private readonly tickets: TicketsRepository,
    private readonly messages: TicketMessagesRepository,
    private readonly quality: TicketQualityRepository,
    private readonly surge: SurgeRepository,
  ) {}

  /**
   * The company's ticket, by our id or the bot's external id: null when the company has no
   * such ticket; `resolution` null when it was never resolved, or was withdrawn (`withdrawn`)
   * without a resolution reopened before. `forWrite`: the ticket share-locked first, so that a
   * rating or review written after it cannot land on a ticket a withdrawal committing meanwhile
   * made final (read before it, the insert went through).
   */
  async lastResolution(
    em: EntityManager,
    companyId: string,
    ref: { ticketId: string } | { externalId: string },
    forWrite = false,
  ): Promise<{ ticketId: string; withdrawn: boolean; resolution: LastResolution | null } | null> {
    const ticketId =
      'ticketId' in ref
        ? (await this.tickets.findScoped(em, ref.ticketId, companyId))?.id
        : await this.messages.idByExternalId(em, companyId, ref.externalId);
    if (!ticketId) return null;
    if (forWrite) await this.tickets.lockForShare(em, ticketId);
    const row = await this.quality.lastResolution(em, ticketId);
    return {
      ticketId,
      withdrawn: row?.withdrawn ?? false,
      resolution: row?.id
        ? {
            ticketId,
            claimId: row.id,
            agentId: row.agent_id!,
            companyId: row.company_id!,
            resolvedAt: row.resolved_at!,
          }
        : null,
    };
  }

  /**
   * What each resolution was (its ticket's subject, the agent's summary, when), by claim id: an
   * admin deciding a disputed review reads it beside the review.
   */
  async resolutionsOf(
    em: EntityManager,
    claimIds: string[],
  ): Promise<Map<string, { subject: string; summary: string | null; resolvedAt: Date }>> {
    const rows = claimIds.length === 0 ? [] : await this.quality.resolutionsOf(em, claimIds);
    return new Map(
      rows.map((r) => [
        r.claim_id,
        { subject: r.subject, summary: r.resolution_summary, resolvedAt: r.resolved_at },
      ]),
    );
  }

  /** The agent's resolutions since `since` (of one company, or any), and how many reopened. */
  resolutionCounts(
    em: EntityManager,
    agentId: string,
    since: Date,
    companyId: string | null = null,
  ): Promise<{ resolved: number; reopened: number }> {
    return this.quality.resolutionCounts(em, agentId, since, companyId);
  }

  /** The agent's resolutions since `since` and how many reopened, per company. */
  async resolutionCountsByCompany(
    em: EntityManager,
    agentId: string,
    since: Date,
  ): Promise<Map<string, { resolved: number; reopened: number }>> {
    const rows = await this.quality.resolutionCountsByCompany(em, agentId, since);
    return new Map(rows.map((r) => [r.company_id, { resolved: r.resolved, reopened: r.reopened }]));
  }

  /** Locks the claim; returns it only if it is resolved and not reopened (so it earns). */
  async lockIfEarning(em: EntityManager, claimId: string): Promise<ResolvedClaim | null> {
    const row = await this.claims.lockIfResolvedNotReopened(em, claimId);
    return row
      ? {
          resolvedAt: row.resolved_at,
          amountMinor: Number(row.amount),
          currency: row.currency,
          feeBps: row.fee_bps,
        }
      : null;
  }

  /** Locks the claim and says whether it was reopened (null: no such claim). */
  async lockAndCheckReopened(em: EntityManager, claimId: string): Promise<boolean | null> {
    return (await this.claims.lockReopenedFlag(em, claimId)) ?? null;
  }

  /** The companies' own ids of these tickets (external ids), by ticket id. */
  async externalIdsOf(em: EntityManager, ticketIds: string[]): Promise<Map<string, string>> {
    if (ticketIds.length === 0) return new Map();
    const rows = await this.tickets.externalIds(em, [...new Set(ticketIds)]);
    return new Map(rows.map((r) => [r.id, r.external_id]));
  }

  /** The shift each claim was worked on, by claim id (invoice lines are per shift). */
  async shiftsOfClaims(em: EntityManager, claimIds: string[]): Promise<Map<string, string>> {
    if (claimIds.length === 0) return new Map();
    const rows = await this.claims.shiftsOf(em, [...new Set(claimIds)]);
    return new Map(rows.map((r) => [r.id, r.shift_id]));
  }

  async readableBy(em: EntityManager, agentId: string, claimIds: string[]): Promise<Set<string>> {
    if (claimIds.length === 0) return new Set();
    return new Set(await this.claims.readableConversations(em, agentId, [...new Set(claimIds)]));
  }

  async earnedOnSeats(
    em: EntityManager,
    agentId: string,
    seats: { seatId: string; shiftId: string; from: Date }[],
  ): Promise<Map<string, ShiftWork>> {
    if (seats.length === 0) return new Map();
    const rows = await this.quality.earnedOnSeats(em, agentId, seats);
    return new Map(
      rows.map((r) => [
        r.seat_id,
        { resolved: r.resolved, earnedMinor: Number(r.earned), currency: r.currency },
      ]),
    );
  }

  async resolutionsOnSeats(
    em: EntityManager,
    seats: { shiftId: string; agentId: string; group: string }[],
  ): Promise<Map<string, number>> {
    if (seats.length === 0) return new Map();
    const rows = await this.quality.resolutionsOnSeats(
      em,
      seats.map((s) => s.shiftId),
      seats.map((s) => s.agentId),
      seats.map((s) => s.group),
    );
    return new Map(rows.map((r) => [r.grp, r.resolved]));
  }

  surgeCommitted(em: EntityManager, shiftId: string, lock: boolean): Promise<number> {
    return this.surge.committed(em, shiftId, lock);
  }

  ticketsHeldUnder(em: EntityManager, shiftId: string): Promise<number> {
    return this.claims.countActiveUnderShift(em, shiftId);
  }
}
