import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';

/** PostgreSQL's lock_not_available: a NOWAIT lock met a holder. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Locks the pending offers `where` picks, by id: the shift's withdrawal (every agent on it) and
 * a suspension (every shift of one agent) share rows, and an UPDATE alone locks in its scan's
 * order (the table's, or the agent index's newest first), so two of them could deadlock.
 */
const PENDING_IN_LOCK_ORDER = (where: string) =>
  `SELECT id FROM offers WHERE ${where} AND status = 'pending' ORDER BY id FOR UPDATE`;

/**
 * Pending offers withdrawn before anyone decided them: the bot withdrew the ticket, the seat or
 * the shift ended, the agent was suspended. Each locks what it withdraws in the order an
 * accept or an expiry does (offers before their ticket; several offers by id).
 */
@Injectable()
export class OfferWithdrawalsRepository {
  /**
   * Locks the pending offers on the company's ticket of that external id, before the ticket
   * itself: the order of an offer's expiry and accept (offer, then ticket).
   */
  async lockPendingOnTicket(em: EntityManager, companyId: string, externalId: string) {
    await em.query(
      `SELECT o.id FROM offers o JOIN tickets t ON t.id = o.ticket_id
        WHERE t.company_id = $1 AND t.external_id = $2 AND o.status = 'pending'
          FOR UPDATE OF o`,
      [companyId, externalId],
    );
  }

  /**
   * Locks the ticket's pending offers without waiting; false when another transaction holds
   * one. For a caller that holds the ticket already: an offer committed after its first look
   * may be held by an accept that waits on that ticket, and waiting on it would deadlock. A
   * false leaves the transaction aborted: roll back to a savepoint taken before the ticket.
   */
  async tryLockPendingOn(em: EntityManager, ticketId: string): Promise<boolean> {
    try {
      await em.query(
        `SELECT id FROM offers WHERE ticket_id = $1 AND status = 'pending' FOR UPDATE NOWAIT`,
        [ticketId],
      );
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === LOCK_NOT_AVAILABLE) return false;
      throw e;
    }
  }

  /** Withdraws the pending offers on a ticket the bot withdrew; who they were for. */
  async withdrawPendingOn(
    em: EntityManager,
    ticketId: string,
  ): Promise<{ id: string; agent_id: string; company_id: string }[]> {
    return changedRows(
      em,
      `UPDATE offers SET status = 'withdrawn', decided_at = now()
        WHERE ticket_id = $1 AND status = 'pending' RETURNING id, agent_id, company_id`,
      [ticketId],
    );
  }

  /** Withdraws the pending offers made on a shift (to one agent, or every one). */
  async withdrawPendingOnShift(
    em: EntityManager,
    shiftId: string,
    agentId: string | null,
  ): Promise<{ id: string; agent_id: string; ticket_id: string; company_id: string }[]> {
    return changedRows(
      em,
      `UPDATE offers SET status = 'withdrawn', decided_at = now()
        WHERE id IN (${PENDING_IN_LOCK_ORDER('shift_id = $1 AND ($2::uuid IS NULL OR agent_id = $2)')})
        RETURNING id, agent_id, ticket_id, company_id`,
      [shiftId, agentId],
    );
  }

  /** Withdraws the agent's pending offers (a suspension). */
  withdrawPendingOf(
    em: EntityManager,
    agentId: string,
  ): Promise<{ id: string; ticket_id: string; company_id: string }[]> {
    return changedRows(
      em,
      `UPDATE offers SET status = 'withdrawn', decided_at = now()
        WHERE id IN (${PENDING_IN_LOCK_ORDER('agent_id = $1')})
        RETURNING id, ticket_id, company_id`,
      [agentId],
    );
  }
}
