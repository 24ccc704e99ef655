import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TicketRow } from './ticket.rows';

/** A row of `ticket_messages`. */
export interface TicketMessageRow {
  id: string;
  seq: string;
  /** Its place in the ticket's conversation, from 1 (a trigger gives it). */
  number: number;
  ticket_id: string;
  company_id: string;
  author: 'agent' | 'customer' | 'bot';
  agent_id: string | null;
  claim_id: string | null;
  visibility: 'customer' | 'internal';
  body: string;
  external_message_id: string | null;
  sent_at: Date;
  created_at: Date;
}

export interface NewTicketMessage {
  ticketId: string;
  companyId: string;
  author: 'agent' | 'customer' | 'bot';
  agentId: string | null;
  claimId: string | null;
  visibility: 'customer' | 'internal';
  body: string;
  externalMessageId: string | null;
  /** null: now. */
  sentAt: string | null;
}

/**
 * The conversation on a ticket (`ticket_messages`), and the ticket moves that go with it
 * (withdraw, transfer) on `tickets`. Writers hold the ticket's lock, which orders a ticket's
 * messages and makes a messageId's check-then-insert safe.
 */
@Injectable()
export class TicketMessagesRepository {
  async insert(em: EntityManager, m: NewTicketMessage): Promise<TicketMessageRow> {
    const [row]: TicketMessageRow[] = await em.query(
      `INSERT INTO ticket_messages (ticket_id, company_id, author, agent_id, claim_id, visibility,
                                    body, external_message_id, sent_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9::timestamptz, now()))
       RETURNING *`,
      [
        m.ticketId,
        m.companyId,
        m.author,
        m.agentId,
        m.claimId,
        m.visibility,
        m.body,
        m.externalMessageId,
        m.sentAt,
      ],
    );
    return row;
  }

  /** The holder's internal note for whoever holds the ticket next (a release, a transfer). */
  handoverNote(
    em: EntityManager,
    ticket: { id: string; company_id: string },
    claimId: string,
    agentId: string,
    body: string,
  ): Promise<TicketMessageRow> {
    return this.insert(em, {
      ticketId: ticket.id,
      companyId: ticket.company_id,
      author: 'agent',
      agentId,
      claimId,
      visibility: 'internal',
      body,
      externalMessageId: null,
      sentAt: null,
    });
  }

  /**
   * The bot's message sent before under `externalMessageId`, and whether it was said at `at`
   * (compared by the database: a Date keeps milliseconds, the column microseconds).
   */
  async findByExternalId(
    em: EntityManager,
    ticketId: string,
    externalMessageId: string,
    at: string,
  ): Promise<(TicketMessageRow & { same_at: boolean }) | undefined> {
    const [row]: (TicketMessageRow & { same_at: boolean })[] = await em.query(
      `SELECT *, sent_at = $3::timestamptz AS same_at FROM ticket_messages
        WHERE ticket_id = $1 AND external_message_id = $2`,
      [ticketId, externalMessageId, at],
    );
    return row;
  }

  /**
   * One page of a ticket's conversation, oldest first; internal notes only if `internal`; up to
   * a message (`until.seq`) or, for claims resolved before that was recorded, a time.
   */
  page(
    em: EntityManager,
    ticketId: string,
    view: { internal: boolean; until: { seq: string | null; at: Date | null } },
    afterSeq: string | null,
    limit: number,
  ): Promise<TicketMessageRow[]> {
    return em.query(
      `SELECT * FROM ticket_messages
        WHERE ticket_id = $1 AND ($2 OR visibility = 'customer')
          AND ($3::bigint IS NULL OR seq > $3::bigint)
          AND ($5::bigint IS NULL OR seq <= $5::bigint)
          AND ($6::timestamptz IS NULL OR created_at <= $6::timestamptz)
        ORDER BY seq LIMIT $4`,
      [ticketId, view.internal, afterSeq, limit, view.until.seq, view.until.at],
    );
  }

  /** Whether the claim's agent wrote to the customer under it (a withdrawal then pays). */
  async wroteToCustomer(em: EntityManager, claimId: string): Promise<boolean> {
    const [row]: unknown[] = await em.query(
      `SELECT 1 FROM ticket_messages WHERE claim_id = $1 AND visibility = 'customer' LIMIT 1`,
      [claimId],
    );
    return row !== undefined;
  }

  /** A company's ticket by the bot's externalId, locked for a change. */
  async lockByExternalId(
    em: EntityManager,
    companyId: string,
    externalId: string,
  ): Promise<TicketRow | undefined> {
    const [row]: TicketRow[] = await em.query(
      'SELECT * FROM tickets WHERE company_id = $1 AND external_id = $2 FOR UPDATE',
      [companyId, externalId],
    );
    return row;
  }

  async idByExternalId(
    em: EntityManager,
    companyId: string,
    externalId: string,
  ): Promise<string | undefined> {
    const [row]: { id: string }[] = await em.query(
      'SELECT id FROM tickets WHERE company_id = $1 AND external_id = $2',
      [companyId, externalId],
    );
    return row?.id;
  }

  async markWithdrawn(em: EntityManager, ticketId: string, reason: string): Promise<void> {
    await em.query(
      `UPDATE tickets SET status = 'withdrawn', claimed_by = NULL, withdrawn_at = now(),
              withdraw_reason = $2, updated_at = now() WHERE id = $1`,
      [ticketId, reason],
    );
  }

  /**
   * Back to the queue with other required skills (codes sorted, levels as asked), its rank and
   * claim deadline kept.
   */
  async markTransferred(
    em: EntityManager,
    ticketId: string,
    skillCodes: string[],
    skillLevels: number[],
  ): Promise<void> {
    await em.query(
      `UPDATE tickets SET status = 'open', claimed_by = NULL, claimed_at = NULL,
              last_activity_at = NULL, skill_codes = $2::text[], skill_levels = $3::smallint[],
              requested_levels = $3::smallint[], primary_skill = coalesce(($2::text[])[1], ''),
              updated_at = now()
        WHERE id = $1`,
      [ticketId, skillCodes, skillLevels],
    );
  }
}
