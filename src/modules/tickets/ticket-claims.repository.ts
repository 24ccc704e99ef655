import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';
import { ReleasedBy } from './ticket-rules';
import { ClaimHistoryJson } from './ticket.rows';

/** An active claim, as the timers and a suspension find it. */
export interface ActiveClaimRow {
  id: string;
  ticket_id: string;
  agent_id: string;
  company_id: string;
  shift_id: string;
}

export interface HeldClaimRow extends Pick<ActiveClaimRow, 'id' | 'agent_id' | 'shift_id'> {
  surge_extra_minor: string;
}

/** A claim its agent may read the ticket by; the rate is set once it is resolved. */
export interface WorkedClaimRow {
  id: string;
  shift_id: string;
  rate_amount_minor: string | null;
  rate_currency: string | null;
  /** Null while the agent holds it. */
  resolved_at: Date | null;
  /**
   * The conversation's last message when it was resolved (a bigint; "0": none yet). Null while
   * held, and for claims resolved before it was recorded (then `resolved_at` is the cut-off).
   */
  resolved_seq: string | null;
}

export interface ResolvedClaimRow {
  resolved_at: Date;
  amount: string;
  currency: string;
  /** The platform fee fixed at resolution (null: resolved before fees were fixed on claims). */
  fee_bps: number | null;
}

/** The `ticket_claims` table (a claim is written by write_ticket_claim: TicketMatchingRepository). */
@Injectable()
export class TicketClaimsRepository {
  /** A ticket's claims as the API shows them, oldest first (SQL function ticket_claim_history). */
  async history(em: EntityManager, ticketId: string): Promise<ClaimHistoryJson[]> {
    const [{ claims }]: { claims: ClaimHistoryJson[] }[] = await em.query(
      'SELECT ticket_claim_history($1) AS claims',
      [ticketId],
    );
    return claims;
  }

  /** The tickets an agent holds, oldest claim first. */
  async activeTicketIdsOf(em: EntityManager, agentId: string): Promise<string[]> {
    const rows: { ticket_id: string }[] = await em.query(
      `SELECT ticket_id FROM ticket_claims WHERE agent_id = $1 AND status = 'active' ORDER BY claimed_at`,
      [agentId],
    );
    return rows.map((r) => r.ticket_id);
  }

  /** The agent's active claims, in ticket order (the order their tickets are locked in). */
  activeOf(
    em: EntityManager,
    agentId: string,
  ): Promise<Pick<ActiveClaimRow, 'id' | 'ticket_id'>[]> {
    return em.query(
      `SELECT id, ticket_id FROM ticket_claims WHERE agent_id = $1 AND status = 'active'
        ORDER BY ticket_id`,
      [agentId],
    );
  }

  /** The active claims under a shift (of one agent, or every agent when `agentId` is null). */
  activeUnderShift(
    em: EntityManager,
    shiftId: string,
    agentId: string | null,
  ): Promise<ActiveClaimRow[]> {
    return em.query(
      `SELECT id, ticket_id, agent_id, company_id FROM ticket_claims
        WHERE shift_id = $1 AND status = 'active' AND ($2::uuid IS NULL OR agent_id = $2)
        ORDER BY ticket_id`,
      [shiftId, agentId],
    );
  }

  async countActiveUnderShift(em: EntityManager, shiftId: string): Promise<number> {
    const [row]: { n: number }[] = await em.query(
      `SELECT count(*)::int AS n FROM ticket_claims WHERE shift_id = $1 AND status = 'active'`,
      [shiftId],
    );
    return row.n;
  }

  /** The claim, if it is still active. */
  async findActive(
    em: EntityManager,
    claimId: string,
  ): Promise<Pick<ActiveClaimRow, 'ticket_id' | 'agent_id'> | undefined> {
    const [row]: Pick<ActiveClaimRow, 'ticket_id' | 'agent_id'>[] = await em.query(
      `SELECT ticket_id, agent_id FROM ticket_claims WHERE id = $1 AND status = 'active'`,
      [claimId],
    );
    return row;
  }

  /**
   * The active claim of a ticket, with who holds it, under which shift, and the surge extra fixed
   * when it was made (minor units), if any.
   */
  async activeOnTicket(em: EntityManager, ticketId: string): Promise<HeldClaimRow | undefined> {
    const [row]: HeldClaimRow[] = await em.query(
      `SELECT id, agent_id, shift_id, surge_extra_minor FROM ticket_claims
        WHERE ticket_id = $1 AND status = 'active'`,
      [ticketId],
    );
    return row;
  }

  /**
   * The agent's claim to show them the ticket by: the one they hold, else the last they
   * resolved (reopened or not). Released claims do not count.
   */
  async workedBy(
    em: EntityManager,
    ticketId: string,
    agentId: string,
  ): Promise<WorkedClaimRow | undefined> {
    const [row]: WorkedClaimRow[] = await em.query(
      `SELECT id, shift_id, rate_amount_minor, rate_currency,
              CASE WHEN status = 'resolved' THEN resolved_at END AS resolved_at,
              CASE WHEN status = 'resolved' THEN resolved_seq END AS resolved_seq
         FROM ticket_claims
        WHERE ticket_id = $1 AND agent_id = $2 AND status IN ('active', 'resolved')
        ORDER BY status = 'active' DESC, resolved_at DESC LIMIT 1`,
      [ticketId, agentId],
    );
    return row;
  }

  /** The shift a claim was made on. */
  async shiftOf(em: EntityManager, claimId: string): Promise<string> {
    const [row]: { shift_id: string }[] = await em.query(
      'SELECT shift_id FROM ticket_claims WHERE id = $1',
      [claimId],
    );
    return row.shift_id;
  }

  /** Locks a claim (NO KEY UPDATE) and reads it if it is resolved and not reopened. */
  async lockIfResolvedNotReopened(
    em: EntityManager,
    claimId: string,
  ): Promise<ResolvedClaimRow | undefined> {
    const [row]: ResolvedClaimRow[] = await em.query(
      `SELECT resolved_at, rate_amount_minor AS amount, rate_currency AS currency, fee_bps
         FROM ticket_claims WHERE id = $1 AND status = 'resolved' AND reopened_at IS NULL
         FOR NO KEY UPDATE`,
      [claimId],
    );
    return row;
  }

  /** Locks a claim (NO KEY UPDATE) and says whether it was reopened. */
  async lockReopenedFlag(em: EntityManager, claimId: string): Promise<boolean | undefined> {
    const [row]: { reopened: boolean }[] = await em.query(
      `SELECT reopened_at IS NOT NULL AS reopened FROM ticket_claims WHERE id = $1
          FOR NO KEY UPDATE`,
      [claimId],
    );
    return row?.reopened;
  }

  /**
   * Resolves an active claim whose ticket was withdrawn after its agent had worked on it, and
   * fixes its pay and fee as resolve_ticket does: the shift's rate plus the surge extra fixed
   * when the claim was made, and the platform fee in force. Returns that pay (what the ledger books and the surge budget counts).
   */
  async resolveWithdrawn(
    em: EntityManager,
    claimId: string,
    summary: string,
    shiftRate: { amountMinor: number; currency: string },
    feeBps: number,
  ): Promise<{ amountMinor: number; currency: string }> {
    const [row] = await changedRows<{ amount: string; currency: string }>(
      em,
      `UPDATE ticket_claims SET status = 'resolved', resolved_at = now(), resolution_summary = $2,
              rate_amount_minor = $3 + surge_extra_minor, rate_currency = $4, fee_bps = $5,
              handoff_complete = NULL, handoff_missing = '{}'
        WHERE id = $1 AND status = 'active'
        RETURNING rate_amount_minor AS amount, rate_currency AS currency`,
      [claimId, summary, shiftRate.amountMinor, shiftRate.currency, feeBps],
    );
    if (!row) throw new Error(`claim ${claimId} is not active`);
    return { amountMinor: Number(row.amount), currency: row.currency };
  }

  /**
   * Whether the ticket was open at some moment since its claim deadline: at the deadline itself
   * (no claim of its current life held or had resolved it then), or when a claim held across it
   * was released. Compared in SQL with the ticket's own column, to the microsecond.
   */
  async openSinceDeadline(em: EntityManager, ticketId: string): Promise<boolean> {
    const [row]: { open: boolean }[] = await em.query(
      `SELECT NOT EXISTS (
                SELECT 1 FROM ticket_claims c
                 WHERE c.ticket_id = t.id AND c.claimed_at <= t.sla_deadline
                   AND c.reopened_at IS NULL
                   AND NOT (c.status = 'released' AND c.released_at <= t.sla_deadline))
           OR EXISTS (
                SELECT 1 FROM ticket_claims c
                 WHERE c.ticket_id = t.id AND c.status = 'released'
                   AND c.released_at > t.sla_deadline) AS open
         FROM tickets t WHERE t.id = $1`,
      [ticketId],
    );
    return row?.open ?? false;
  }

  /** Whether the claim is active (and, given `underShift`, still held under that shift). */
  async isActive(em: EntityManager, claimId: string, underShift?: string): Promise<boolean> {
    const [still]: unknown[] = await em.query(
      `SELECT 1 FROM ticket_claims
        WHERE id = $1 AND status = 'active' AND ($2::uuid IS NULL OR shift_id = $2)`,
      [claimId, underShift ?? null],
    );
    return still !== undefined;
  }

  /**
   * Released now by the clock, not the transaction's start: a release that waited on the
   * ticket's lock across its SLA deadline is stamped after it (openSinceDeadline reads it), as
   * a claim is (write_ticket_claim, ClaimStampedAtLock).
   */
  async markReleased(
    em: EntityManager,
    claimId: string,
    by: ReleasedBy,
    reason: string | null,
  ): Promise<void> {
    await em.query(
      `UPDATE ticket_claims SET status = 'released', released_at = clock_timestamp(), released_by = $2,
              release_reason = $3 WHERE id = $1`,
      [claimId, by, reason],
    );
  }

  /** Marks the claim that resolved the ticket last as reopened; returns it. */
  /**
   * Marks the ticket's last resolution reopened if its window is still open once its claim is
   * locked; undefined when it closed meanwhile. Judged then, by the clock at that moment: an
   * earning release holds the claim while it books, and a reopen that began just inside the
   * window and waited for it was let through on its transaction's start, reversing an earning
   * already available (and perhaps paid out).
   */
  async markLastResolutionReopened(
    em: EntityManager,
    ticketId: string,
    windowHours: number,
  ): Promise<{ id: string; agent_id: string } | undefined> {
    const [last]: { id: string }[] = await em.query(
      `SELECT id FROM ticket_claims WHERE ticket_id = $1 AND status = 'resolved'
        ORDER BY resolved_at DESC LIMIT 1 FOR NO KEY UPDATE`,
      [ticketId],
    );
    if (!last) return undefined;
    const [claim] = await changedRows<{ id: string; agent_id: string }>(
      em,
      `UPDATE ticket_claims SET reopened_at = now()
        WHERE id = $1
          AND resolved_at > clock_timestamp() - make_interval(secs => $2::float8 * 3600)
        RETURNING id, agent_id`,
      [last.id, windowHours],
    );
    return claim;
  }

  /** The shift each of these claims was worked on. */
  shiftsOf(em: EntityManager, claimIds: string[]): Promise<{ id: string; shift_id: string }[]> {
    return em.query('SELECT id, shift_id FROM ticket_claims WHERE id = ANY($1::uuid[])', [
      claimIds,
    ]);
  }

  /**
   * Among these claims of the agent, those whose conversation it may still read, as the messages
   * endpoint reads a ticket (workedBy): the agent holds the ticket now, or resolved it in a claim
   * made no earlier than this one (a claim released, then the ticket claimed again and resolved,
   * reads as the resolution's). A claim after its last resolution that it released is not.
   */
  async readableConversations(
    em: EntityManager,
    agentId: string,
    claimIds: string[],
  ): Promise<string[]> {
    const rows: { id: string }[] = await em.query(
      `SELECT c.id FROM ticket_claims c
        WHERE c.id = ANY($1::uuid[]) AND c.agent_id = $2
          AND EXISTS (SELECT 1 FROM ticket_claims w
                       WHERE w.ticket_id = c.ticket_id AND w.agent_id = $2
                         AND (w.status = 'active'
                              OR (w.status = 'resolved' AND w.claimed_at >= c.claimed_at)))`,
      [claimIds, agentId],
    );
    return rows.map((r) => r.id);
  }

  /**
   * The claim carries on under another shift of the same company. Its surge extra, if any,
   * stays committed on the budget of the shift that reserved it (surge_shift_id, migration
   * SurgeBudgetOfCarriedClaims); it is still paid when the claim is resolved.
   */
  async moveToShift(em: EntityManager, claimId: string, shiftId: string): Promise<void> {
    await em.query(
      `UPDATE ticket_claims
          SET surge_shift_id = CASE WHEN surge_extra_minor > 0
                                    THEN coalesce(surge_shift_id, shift_id) END,
              shift_id = $2
        WHERE id = $1`,
      [claimId, shiftId],
    );
  }
}
