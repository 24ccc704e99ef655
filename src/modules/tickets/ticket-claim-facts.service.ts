import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TicketClaimsRepository } from './ticket-claims.repository';
import { TicketsRepository } from './tickets.repository';

/** A resolved claim the ledger may book: when, and the pay fixed at resolution. */
export interface ResolvedClaim {
  resolvedAt: Date;
  amountMinor: number;
  currency: string;
}

/**
 * What other modules (the ledger) may ask about tickets and their claims, in their own
 * transactions. The two locks serialise the ledger's earn and reversal jobs with the reopen,
 * which updates the same claim row (docs/adr/0006-ledger.md, "Changed 2026-11-30").
 */
@Injectable()
export class TicketClaimFacts {
  constructor(
    private readonly claims: TicketClaimsRepository,
    private readonly tickets: TicketsRepository,
  ) {}

  /** Locks the claim; returns it only if it is resolved and not reopened (so it earns). */
  async lockIfEarning(em: EntityManager, claimId: string): Promise<ResolvedClaim | null> {
    const row = await this.claims.lockIfResolvedNotReopened(em, claimId);
    return row
      ? { resolvedAt: row.resolved_at, amountMinor: Number(row.amount), currency: row.currency }
      : null;
  }

  /** Locks the claim and says whether it was reopened (null: no such claim). */
  async lockAndCheckReopened(em: EntityManager, claimId: string): Promise<boolean | null> {
    return (await this.claims.lockReopenedFlag(em, claimId)) ?? null;
  }

  /** Every reopened claim and when, oldest first (the ledger's integrity report). */
  async reopenedClaims(em: EntityManager): Promise<{ claimId: string; reopenedAt: Date }[]> {
    const rows = await this.claims.reopened(em);
    return rows.map((r) => ({ claimId: r.id, reopenedAt: r.reopened_at }));
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
}
