import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireCompany } from '../../common/auth/access';
import { AgentsService } from '../agents/agents.service';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, invalidCursor, Page, toPage } from '../../common/pagination/page';
import { Env } from '../../config/env.validation';
import { DomainMetrics } from '../metrics/domain-metrics';
import { OutboxService } from '../outbox/outbox.service';
import { SlaBreaches } from './sla-breach.service';
import { ListTicketsQueryDto, TicketDto, TicketSort, TicketSummaryDto } from './ticket.dto';
import { emitTicketEvent } from './ticket-events';
import { priorityToRank, toTicketSummaryDto } from './ticket.mapper';
import { TicketClaimsRepository } from './ticket-claims.repository';
import { TicketReadService } from './ticket-read.service';
import { TicketsRepository } from './tickets.repository';
import { withdrawn } from './ticket-conversation.service';

/**
 * A list cursor, checked against its order: the SLA order's names itself, so that neither order
 * reads the other's cursor as its own (a page would be skipped or repeated, silently). The
 * newest-first one keeps the form cursors had before the SLA order.
 */
function decodeListCursor(cursor: string | undefined, sort: TicketSort): string[] | null {
  if (sort === 'newest') return decodeCursor(cursor, ['instant', 'uuid']);
  const values = decodeCursor(cursor, ['instant', 'uuid', 'text']);
  if (values && values[2] !== sort) throw invalidCursor();
  return values;
}

/** The company side of tickets (its admins and its bot): read them, reopen a bad resolution. */
@Injectable()
export class TicketsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly outbox: OutboxService,
    private readonly tickets: TicketsRepository,
    private readonly claims: TicketClaimsRepository,
    private readonly sla: SlaBreaches,
    private readonly metrics: DomainMetrics,
    private readonly reads: TicketReadService,
    private readonly agents: AgentsService,
  ) {}

  async list(actor: Actor, query: ListTicketsQueryDto): Promise<Page<TicketSummaryDto>> {
    const companyId = requireCompany(actor, true);
    const sort = query.sort ?? 'newest';
    if (sort === 'sla_deadline' && query.status !== 'open') {
      throw DomainError.validation([
        {
          field: 'sort',
          messages: ["sort=sla_deadline needs status=open: a claimed ticket's SLA is settled"],
        },
      ]);
    }
    const cursor = decodeListCursor(query.cursor, sort);
    const rows = await this.tickets.pageOfCompany(this.db.manager, {
      companyId,
      status: query.status ?? null,
      priority: query.priority ? priorityToRank(query.priority) : null,
      from: query.from ?? null,
      to: query.to ?? null,
      sort,
      afterAt: cursor?.[0] ?? null,
      afterId: cursor?.[1] ?? null,
      limit: query.limit + 1,
    });
    const holders = rows.flatMap((r) => (r.claimed_by ? [r.claimed_by] : []));
    const names = await this.agents.displayNamesOf(this.db.manager, holders);
    return toPage(
      rows,
      query.limit,
      (r) => toTicketSummaryDto(r, r.claimed_by ? (names.get(r.claimed_by) ?? null) : null),
      (r) => (sort === 'newest' ? [r.cursor_at, r.id] : [r.cursor_at, r.id, sort]),
    );
  }

  get(actor: Actor, id: string): Promise<TicketDto> {
    return this.reads.load(this.db.manager, id, requireCompany(actor, true));
  }

  /**
   * Reopens a resolved ticket inside REOPEN_WINDOW_HOURS: it goes back to the queue with a
   * fresh claim deadline and its original skill levels; the resolving claim is marked reopened
   * (the ledger claws its pay back).
   */
  async reopen(actor: Actor, id: string, reason: string, claimId?: string): Promise<TicketDto> {
    const companyId = requireCompany(actor, true);
    const windowHours = this.config.get('REOPEN_WINDOW_HOURS', { infer: true });
    let breached = false;
    await this.db.transaction(async (em) => {
      const ticket = await this.tickets.lockForReopen(em, id, companyId, windowHours);
      if (!ticket) throw DomainError.notFound('Ticket');
      // Withdrawn by its bot: final, said so (a bot told "not resolved" would wait and retry).
      if (ticket.status === 'withdrawn') throw withdrawn();
      if (ticket.status !== 'resolved') {
        throw new DomainError('TICKET_NOT_OPEN', 'Only a resolved ticket can be reopened');
      }
      const closed = () =>
        new DomainError(
          'REOPEN_WINDOW_CLOSED',
          `A ticket can be reopened up to ${windowHours} hours after its resolution`,
        );
      if (!ticket.within) throw closed();
      // Asked before the resolution is marked reopened: its claim belongs to this life until then.
      const missed = await this.sla.missed(em, ticket);
      const claim = await this.claims.markLastResolutionReopened(em, id, windowHours);
      if (!claim) throw closed();
      // Undone with the transaction: the caller meant a resolution that no longer stands.
      if (claimId !== undefined && claim.id !== claimId) {
        throw new DomainError(
          'TICKET_RESOLVED_AGAIN',
          'The ticket was reopened and resolved again since: another resolution stands',
          { claimId: claim.id },
        );
      }
      // This life missed its deadline and its timer has not run yet (a backlog): breached now,
      // as the timer would have, since the new life's deadline leaves it nothing to find.
      if (missed) await this.sla.breach(em, ticket);
      breached = missed;
      const reopened = await this.tickets.markReopened(em, id);
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
    if (breached) this.metrics.slaBreached();
    return this.reads.load(this.db.manager, id, companyId);
  }
}
