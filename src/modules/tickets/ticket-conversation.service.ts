import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireBot, requireCompany, requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { AgentsService } from '../agents/agents.service';
import { EventsService } from '../events/events.service';
import { OutboxService } from '../outbox/outbox.service';
import {
  CreateEscalationMessageDto,
  CreateTicketMessageDto,
  TicketMessageDto,
} from './message.dto';
import { TicketDto } from './ticket.dto';
import { TicketRow } from './ticket.rows';
import { TicketClaimsRepository } from './ticket-claims.repository';
import { ticketEvent } from './ticket-events';
import { messageEventData, toTicketMessageDto } from './ticket-message.mapper';
import { TicketMessagesRepository } from './ticket-messages.repository';
import { TicketReadService } from './ticket-read.service';
import { TicketsRepository } from './tickets.repository';
import { refusalFor } from './ticket-strangers';
import { ShiftFacts } from '../shifts/shift-facts.service';

/**
 * The conversation between the holding agent and the customer (relayed by the company's bot),
 * and agents' internal notes. Each write holds the ticket's lock: messages keep one order, and
 * a withdrawal sees every message committed before it.
 */
@Injectable()
export class TicketConversationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
    private readonly tickets: TicketsRepository,
    private readonly claims: TicketClaimsRepository,
    private readonly messages: TicketMessagesRepository,
    private readonly reads: TicketReadService,
    private readonly agents: AgentsService,
    private readonly shifts: ShiftFacts,
  ) {}

  /**
   * The holder writes to the customer (webhook and event `ticket.message` to the company, for
   * its bot to relay) or leaves an internal note. Either counts as activity on the claim.
   */
  async postAsAgent(
    actor: Actor,
    ticketId: string,
    input: CreateTicketMessageDto,
  ): Promise<TicketMessageDto> {
    const { userId } = requireUser(actor, 'agent');
    const row = await this.db.transaction(async (em) => {
      const { ticket, claimId } = await this.holdersTicket(em, ticketId, userId);
      const message = await this.messages.insert(em, {
        ticketId,
        companyId: ticket.company_id,
        author: 'agent',
        agentId: userId,
        claimId,
        visibility: input.visibility,
        body: input.body,
        externalMessageId: null,
        sentAt: null,
      });
      await this.tickets.touch(em, ticketId);
      if (input.visibility === 'customer') {
        const job = ticketEvent(
          'ticket.message',
          ticket,
          { agentId: userId, claimId },
          messageEventData(message),
        );
        // The outbox row is the webhook (WebhookFanOutHandler delivers every ticket event).
        await this.outbox.enqueueMany(em, [job]);
        // The company's stream (its bot relays it); the agent's own, for its other tabs.
        await this.events.record(em, {
          type: 'ticket.message',
          companyId: ticket.company_id,
          agentId: userId,
          data: { ...job.payload },
        });
      } else {
        // An internal note, live for the company's admins and the agent's other tabs: an event
        // only (no webhook), hidden from the company's bot keys, which relay to the customer.
        // The same payload as a message's; the type tells them apart.
        const { payload } = ticketEvent(
          'ticket.message',
          ticket,
          { agentId: userId, claimId },
          messageEventData(message),
        );
        await this.events.record(em, {
          type: 'ticket.note',
          companyId: ticket.company_id,
          agentId: userId,
          adminsOnly: true,
          data: { ...payload },
        });
      }
      return message;
    });
    return toTicketMessageDto(row);
  }

  /**
   * The bot relays what the customer (or the bot itself) said. Idempotent on messageId: the
   * same body, author and time again answers the stored message (`created: false`), another is
   * 409. The holding agent gets it as an event; an open ticket keeps it for whoever claims it.
   */
  async postAsBot(
    actor: Actor,
    externalId: string,
    input: CreateEscalationMessageDto,
  ): Promise<{ message: TicketMessageDto; created: boolean }> {
    const { companyId } = requireBot(actor);
    const result = await this.db.transaction(async (em) => {
      const ticket = await this.messages.lockByExternalId(em, companyId, externalId);
      if (!ticket) throw DomainError.notFound('Ticket');
      const known = await this.messages.findByExternalId(em, ticket.id, input.messageId, input.at);
      if (known) {
        // Its time is part of the message: one said at another time is another message.
        if (known.body !== input.body || known.author !== input.author || !known.same_at) {
          throw new DomainError(
            'MESSAGE_ID_CONFLICT',
            'A different message was already sent with this messageId',
            { messageId: input.messageId },
          );
        }
        return { message: known, created: false };
      }
      if (ticket.status === 'withdrawn') throw withdrawn();
      if (ticket.status === 'resolved') {
        throw new DomainError(
          'TICKET_NOT_OPEN',
          'The ticket is resolved: reopen it to continue the conversation',
        );
      }
      const message = await this.messages.insert(em, {
        ticketId: ticket.id,
        companyId,
        author: input.author,
        agentId: null,
        claimId: null,
        visibility: 'customer',
        body: input.body,
        externalMessageId: input.messageId,
        sentAt: input.at,
      });
      const claim = await this.claims.activeOnTicket(em, ticket.id);
      if (claim) {
        const job = ticketEvent(
          'ticket.message',
          ticket,
          { agentId: claim.agent_id, claimId: claim.id },
          messageEventData(message),
        );
        // The holder's stream only: the company's bot wrote it and needs no echo.
        await this.events.record(em, {
          type: 'ticket.message',
          agentId: claim.agent_id,
          data: { ...job.payload },
        });
      }
      return { message, created: true };
    });
    return { message: toTicketMessageDto(result.message), created: result.created };
  }

  /**
   * A ticket's conversation, oldest first. The holder and company admins see internal notes
   * too; a bot key sees only what the customer sees (it relays to the customer, so it is never
   * handed a note). An agent who resolved it reads it as it stood at their resolution: after a
   * reopen, what the next holder and the customer say (notes included) is not theirs to read.
   * Agents who only released it see nothing: the conversation went on without them.
   */
  async list(
    actor: Actor,
    ticketId: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<TicketMessageDto>> {
    const after = decodeCursor(cursor, ['int']);
    const em = this.db.manager;
    let internal = true;
    let until: { seq: string | null; at: Date | null } = { seq: null, at: null };
    if (actor.kind === 'user' && actor.role === 'agent') {
      const ticket = await this.tickets.findScoped(em, ticketId, null);
      if (!ticket) throw DomainError.notFound('Ticket');
      // The holder, or the agent who resolved it (reading back, e.g. from their earnings).
      const claim = await this.claims.workedBy(em, ticketId, actor.userId);
      if (!claim)
        throw await refusalFor(em, this.shifts, actor.userId, ticket.company_id, notYours);
      until = {
        seq: claim.resolved_seq,
        at: claim.resolved_seq !== null ? null : claim.resolved_at,
      };
    } else {
      const companyId = requireCompany(actor, true);
      if (!(await this.tickets.findScoped(em, ticketId, companyId))) {
        throw DomainError.notFound('Ticket');
      }
      internal = actor.kind !== 'bot';
    }
    const rows = await this.messages.page(
      em,
      ticketId,
      { internal, until },
      after?.[0] ?? null,
      limit + 1,
    );
    return toPage(rows, limit, toTicketMessageDto, (r) => [String(r.seq)]);
  }

  /** The bot looks its ticket up by its own id for the conversation. */
  async getByExternalId(actor: Actor, externalId: string): Promise<TicketDto> {
    const { companyId } = requireBot(actor);
    const id = await this.messages.idByExternalId(this.db.manager, companyId, externalId);
    if (!id) throw DomainError.notFound('Ticket');
    return this.reads.load(this.db.manager, id, companyId);
  }

  /**
   * Locks the ticket and checks the caller holds it: NOT_FOUND, TICKET_WITHDRAWN,
   * AGENT_SUSPENDED or TICKET_NOT_CLAIMED_BY_YOU otherwise.
   */
  async holdersTicket(
    em: EntityManager,
    ticketId: string,
    agentId: string,
  ): Promise<{ ticket: TicketRow; claimId: string; shiftId: string }> {
    // Locked only when the agent holds it (lockIfHeldBy).
    const { ticket, held } = await this.tickets.lockIfHeldBy(em, ticketId, agentId);
    if (!ticket) throw DomainError.notFound('Ticket');
    // To an agent who never held a seat with the company: the 404 of an unknown id.
    const refuse = (reason: () => DomainError) =>
      refusalFor(em, this.shifts, agentId, ticket.company_id, reason);
    if (await this.agents.isSuspended(em, agentId)) {
      throw await refuse(() => new DomainError('AGENT_SUSPENDED', 'Your account is suspended'));
    }
    const claim = held ? await this.claims.activeOnTicket(em, ticketId) : undefined;
    if (!claim || claim.agent_id !== agentId) {
      // Withdrawn: said only to an agent who held it (to others, a ticket they do not hold).
      const heldIt =
        ticket.status === 'withdrawn' &&
        (await this.claims.history(em, ticketId)).some((c) => c.agentId === agentId);
      throw heldIt ? withdrawn() : await refuse(notYours);
    }
    return { ticket, claimId: claim.id, shiftId: claim.shift_id };
  }
}

export function withdrawn(): DomainError {
  return new DomainError('TICKET_WITHDRAWN', "The company's bot withdrew this ticket");
}

function notYours(): DomainError {
  return new DomainError('TICKET_NOT_CLAIMED_BY_YOU', 'You do not hold this ticket');
}
