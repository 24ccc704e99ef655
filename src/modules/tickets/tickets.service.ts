import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireCompany } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { changedRows } from '../../database/sql';
import { Env } from '../../config/env.validation';
import { OutboxService } from '../outbox/outbox.service';
import { ListTicketsQueryDto, TicketDto, TicketSummaryDto } from './ticket.dto';
import { emitTicketEvent } from './ticket-events';
import { loadTicket, priorityRank, TicketRow, toSummary } from './ticket-views';

/** The company side of tickets (its admins and its bot): read them, reopen a bad resolution. */
@Injectable()
export class TicketsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly outbox: OutboxService,
  ) {}

  async list(actor: Actor, query: ListTicketsQueryDto): Promise<Page<TicketSummaryDto>> {
    const companyId = requireCompany(actor, true);
    const cursor = decodeCursor(query.cursor, ['instant', 'uuid']);
    const rows: TicketRow[] = await this.db.query(
      `SELECT * FROM tickets
        WHERE company_id = $1
          AND ($2::text IS NULL OR status = $2)
          AND ($3::smallint IS NULL OR priority = $3)
          AND ($4::timestamptz IS NULL OR created_at >= $4)
          AND ($5::timestamptz IS NULL OR created_at < $5)
          AND ($6::timestamptz IS NULL OR (created_at, id) < ($6::timestamptz, $7::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $8`,
      [
        companyId,
        query.status ?? null,
        query.priority ? priorityRank(query.priority) : null,
        query.from ?? null,
        query.to ?? null,
        cursor?.[0] ?? null,
        cursor?.[1] ?? null,
        query.limit + 1,
      ],
    );
    return toPage(rows, query.limit, toSummary, (r) => [r.created_at.toISOString(), r.id]);
  }

  get(actor: Actor, id: string): Promise<TicketDto> {
    return loadTicket(this.db.manager, id, requireCompany(actor, true));
  }

  /**
   * Reopens a resolved ticket inside REOPEN_WINDOW_HOURS: it goes back to the queue with a
   * fresh claim deadline and its original skill levels; the resolving claim is marked reopened
   * (the ledger claws its pay back).
   */
  async reopen(actor: Actor, id: string, reason: string): Promise<TicketDto> {
    const companyId = requireCompany(actor, true);
    const windowHours = this.config.get('REOPEN_WINDOW_HOURS', { infer: true });
    await this.db.transaction(async (em) => {
      // NO KEY UPDATE, not UPDATE: a ledger job booking this ticket's earning holds the claim's
      // lock and inserts rows referencing the ticket (a key-share lock); FOR UPDATE would
      // deadlock with it, while this still serialises every change of the ticket.
      const [ticket]: (TicketRow & { within: boolean })[] = await em.query(
        `SELECT *, resolved_at > now() - make_interval(secs => $3::float8 * 3600) AS within
           FROM tickets WHERE id = $1 AND company_id = $2 FOR NO KEY UPDATE`,
        [id, companyId, windowHours],
      );
      if (!ticket) throw DomainError.notFound('Ticket');
      if (ticket.status !== 'resolved') {
        throw new DomainError('TICKET_NOT_OPEN', 'Only a resolved ticket can be reopened');
      }
      if (!ticket.within) {
        throw new DomainError(
          'REOPEN_WINDOW_CLOSED',
          `A ticket can be reopened up to ${windowHours} hours after its resolution`,
        );
      }
      const [claim] = await changedRows<{ id: string; agent_id: string }>(
        em,
        `UPDATE ticket_claims SET reopened_at = now()
          WHERE id = (SELECT id FROM ticket_claims WHERE ticket_id = $1 AND status = 'resolved'
                       ORDER BY resolved_at DESC LIMIT 1)
          RETURNING id, agent_id`,
        [id],
      );
      const [reopened] = await changedRows<{ sla_deadline: Date }>(
        em,
        `UPDATE tickets SET status = 'open', resolved_at = NULL, reopen_count = reopen_count + 1,
                rank = priority, sla_breached_at = NULL, skill_levels = requested_levels,
                sla_deadline = now() + make_interval(secs => claim_sla_seconds), updated_at = now()
          WHERE id = $1 RETURNING sla_deadline`,
        [id],
      );
      await emitTicketEvent(
        em,
        this.outbox,
        'ticket.reopened',
        ticket,
        { agentId: claim.agent_id, claimId: claim.id },
        { reason: reason.trim() },
      );
      await this.outbox.enqueue(
        em,
        'ticket.sla-check',
        { ticketId: id },
        { runAt: reopened.sla_deadline },
      );
    });
    return loadTicket(this.db.manager, id, companyId);
  }
}
