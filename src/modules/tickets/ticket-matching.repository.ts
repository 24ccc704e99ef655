import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { currentIdempotencyKey, currentRequestId } from '../../common/http/request-context';
import { preparedQuery } from '../../database/sql';
import type { SurgeQuote } from './surge.repository';
import {
  AgentContextRow,
  ClaimHistoryJson,
  ClaimWrittenRow,
  ticketRowFromJson,
} from './ticket.rows';

/**
 * The best open tickets an agent may take, best first: rank (priority, raised by SLA breaches),
 * then SLA deadline, then age. The SQL function (migration ClaimInOneCall) walks
 * ix_tickets_open_match once per (language, primary skill) bucket of the agent's live company;
 * the full skill check and the release cool-down filter inside each walk. The agent must speak
 * the ticket's language (a bucket key) and hold every required skill at its current level.
 */
export const CANDIDATES_SQL = 'SELECT id FROM ticket_candidates($1, $2, $3, $4, $5, $6) AS id';

/**
 * What claim_next_ticket answers: the context it read and the claim if it made one; or, alone,
 * the claim its Idempotency-Key made already (`prior`).
 */
export type ClaimNextRow =
  | { prior: null; ctx: AgentContextRow; claimed: ClaimWrittenRow | null }
  | { prior: { claimId: string; ticketId: string } };

/** The claim as the SQL functions return it (JSON: the ticket's instants are strings). */
interface ClaimJsonRow {
  ticket: Record<string, unknown> | null;
  claims: ClaimHistoryJson[] | null;
  claim_id: string | null;
}

interface ClaimNextJsonRow extends ClaimJsonRow {
  ctx: AgentContextRow;
  prior_claim: string | null;
  prior_ticket: string | null;
}

function claimWritten(row: ClaimJsonRow): ClaimWrittenRow | null {
  if (!row.ticket) return null;
  return { ticket: ticketRowFromJson(row.ticket), claims: row.claims!, claimId: row.claim_id! };
}

/**
 * Matching and claiming through the SQL functions of migrations ClaimInOneCall and
 * OneClaimWrite (ADR 0008): each rule has one text, shared by both claim paths. These functions
 * read agents' and shifts' tables and write outbox rows: declared exceptions to table ownership
 * (src/database/table-owners.ts), so claim-next stays one database call.
 */
@Injectable()
export class TicketMatchingRepository {
  /** Everything matching needs to know about an agent (skills, live shift, load). */
  async agentContext(em: EntityManager, agentId: string): Promise<AgentContextRow | undefined> {
    const [row]: AgentContextRow[] = await em.query('SELECT * FROM agent_context($1)', [agentId]);
    return row;
  }

  /** Ids of the best `limit` tickets of the company the agent may take now, best first. */
  async candidates(
    em: EntityManager,
    companyId: string,
    agentId: string,
    languages: string[],
    skillCodes: string[],
    skillLevels: number[],
    limit: number,
  ): Promise<string[]> {
    const rows: { id: string }[] = await em.query(CANDIDATES_SQL, [
      companyId,
      agentId,
      languages,
      skillCodes,
      skillLevels,
      limit,
    ]);
    return rows.map((r) => r.id);
  }

  /**
   * Claim-next in one call: locks the agent, reads its context, and claims the best candidate
   * not locked by another claim (`rounds`: candidates looked at per round), writing the outbox
   * rows. Undefined when the agent does not exist; `claimed` null when nothing was claimed.
   * With the request's Idempotency-Key, the claim keeps it, and a claim it made in the last
   * `keyTtlHours` is answered instead (migration ClaimNextKeyed).
   */
  async claimNext(
    em: EntityManager,
    agentId: string,
    handleTimeoutMinutes: number,
    rounds: number[],
    keyTtlHours: number,
  ): Promise<ClaimNextRow | undefined> {
    // Prepared: the hottest agent call (bench/claim-storm).
    const [row] = await preparedQuery<ClaimNextJsonRow>(
      em,
      'claim_next_ticket',
      `SELECT ctx, ticket, claims, claim_id, prior_claim, prior_ticket
         FROM claim_next_ticket($1, make_interval(mins => $2), $3, $4, $5,
                                make_interval(hours => $6))`,
      [
        agentId,
        handleTimeoutMinutes,
        rounds,
        currentRequestId(),
        currentIdempotencyKey(),
        keyTtlHours,
      ],
    );
    if (!row) return undefined;
    if (row.prior_claim) {
      return { prior: { claimId: row.prior_claim, ticketId: row.prior_ticket! } };
    }
    return { prior: null, ctx: row.ctx, claimed: claimWritten(row) };
  }

  /**
   * The claim write of both claim paths (write_ticket_claim): the ticket claimed, its claim
   * row, the `ticket.claimed` event and the handle timeout. The caller holds the agent's row
   * lock and the ticket's, and has checked that the agent may take this open ticket. `surge`:
   * a quote fixed before (an offer's); null: write_ticket_claim quotes it now (surge_quote).
   */
  async writeClaim(
    em: EntityManager,
    ticketId: string,
    agentId: string,
    shiftId: string,
    handleTimeoutMinutes: number,
    surge: SurgeQuote | null = null,
  ): Promise<ClaimWrittenRow> {
    const [row]: ClaimJsonRow[] = await em.query(
      'SELECT * FROM write_ticket_claim($1, $2, $3, make_interval(mins => $4), $5, $6, $7)',
      [
        ticketId,
        agentId,
        shiftId,
        handleTimeoutMinutes,
        currentRequestId(),
        surge?.multiplierBps ?? null,
        surge?.extraMinor ?? null,
      ],
    );
    return claimWritten(row)!;
  }
}
