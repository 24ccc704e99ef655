import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { currentIdempotencyKey, currentRequestId } from '../../common/http/request-context';
import { preparedQuery } from '../../database/sql';
import { ClaimHistoryJson, TicketRow, ticketRowFromJson } from './ticket.rows';

/** The last resolution of a ticket that was not reopened (JSON: the instant is a string). */
export interface StandingResolutionJson {
  agentId: string;
  resolutionSummary: string;
  resolvedAt: string;
}

/** What resolve_ticket did, and the ticket as it stands after (under its lock). */
export type ResolveOutcome =
  | { outcome: 'not_found' }
  | { outcome: 'suspended' }
  /** This request's key resolved it already, and that resolution was reopened since. */
  | { outcome: 'resolved_before' }
  | {
      outcome: 'resolved' | 'not_holder';
      ticket: TicketRow;
      claims: ClaimHistoryJson[];
      /** 'not_holder' only: the standing resolution, if the ticket is resolved. */
      standing: StandingResolutionJson | null;
    };

interface ResolveJsonRow {
  outcome: 'not_found' | 'suspended' | 'resolved_before' | 'resolved' | 'not_holder';
  ticket: Record<string, unknown> | null;
  claims: ClaimHistoryJson[] | null;
  standing: StandingResolutionJson | null;
}

/**
 * Resolve in one database call (SQL function resolve_ticket, migrations ResolveInOneCall and
 * FeeFixedAtResolution, ADR 0008): the ticket lock, the checks, the pay and the platform fee
 * fixed on the claim, both updates, the `ticket.resolved` event and its
 * ledger job, and the answer. It reads agents' and shifts' tables and writes outbox rows: a
 * declared exception to table ownership (src/database/table-owners.ts).
 */
@Injectable()
export class TicketResolveRepository {
  async resolve(
    em: EntityManager,
    ticketId: string,
    agentId: string,
    summary: string,
    handoff: { complete: boolean; missing: string[] } | null,
    feeBps: number,
    keyTtlHours: number,
  ): Promise<ResolveOutcome> {
    // Prepared: the agents' hottest write after claim-next (bench/latency). The request's
    // Idempotency-Key is kept on the resolution (migration ResolveKeyed).
    const [row] = await preparedQuery<ResolveJsonRow>(
      em,
      'resolve_ticket',
      `SELECT outcome, ticket, claims, standing
         FROM resolve_ticket($1, $2, $3, $4, $5, $6, $7, $8, make_interval(hours => $9))`,
      [
        ticketId,
        agentId,
        summary,
        handoff?.complete ?? null,
        handoff?.missing ?? [],
        currentRequestId(),
        feeBps,
        currentIdempotencyKey(),
        keyTtlHours,
      ],
    );
    if (
      row.outcome === 'not_found' ||
      row.outcome === 'suspended' ||
      row.outcome === 'resolved_before'
    ) {
      return { outcome: row.outcome } as ResolveOutcome;
    }
    return {
      outcome: row.outcome,
      ticket: ticketRowFromJson(row.ticket!),
      claims: row.claims!,
      standing: row.standing,
    };
  }
}
