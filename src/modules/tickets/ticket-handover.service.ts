import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { duplicateSkillErrors } from '../../common/validation/duplicate-skills';
import { Env } from '../../config/env.validation';
import { EventsService } from '../events/events.service';
import { OutboxService } from '../outbox/outbox.service';
import { SkillsService } from '../skills/skills.service';
import { TransferTicketDto } from './message.dto';
import { AgentTicketDto } from './ticket.dto';
import { TicketClaimsRepository } from './ticket-claims.repository';
import { TicketConversationService } from './ticket-conversation.service';
import { ticketEvent } from './ticket-events';
import { TicketMessagesRepository } from './ticket-messages.repository';
import { AgentTicketsService } from './agent-tickets.service';
import { coolDown } from './ticket-cooldown';
import { TicketsRepository } from './tickets.repository';

/**
 * The holder hands the ticket on without a resolution: a transfer to other skills (the bot's
 * withdrawal is TicketWithdrawalService).
 */
@Injectable()
export class TicketHandoverService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly outbox: OutboxService,
    private readonly events: EventsService,
    private readonly tickets: TicketsRepository,
    private readonly claims: TicketClaimsRepository,
    private readonly messages: TicketMessagesRepository,
    private readonly conversation: TicketConversationService,
    private readonly skills: SkillsService,
    private readonly agentTickets: AgentTicketsService,
  ) {}

  /**
   * The holder sends the ticket back to the queue needing other skills, with a note for the
   * next agent (an internal message). Its rank and claim deadline stay; it is not counted
   * against the agent (no reliability mark), but, as after a release, the agent is not offered
   * this ticket again for RELEASE_COOLDOWN_MINUTES: they just said someone else should take it.
   */
  async transfer(
    actor: Actor,
    ticketId: string,
    input: TransferTicketDto,
  ): Promise<AgentTicketDto> {
    const { userId } = requireUser(actor, 'agent');
    const problems = duplicateSkillErrors(input.requiredSkills, 'requiredSkills');
    if (problems.length > 0) throw DomainError.validation(problems);
    const skills = [...input.requiredSkills].sort((a, b) => (a.skill < b.skill ? -1 : 1));
    const given = await this.db.transaction(async (em) => {
      const { ticket, claimId } = await this.conversation.holdersTicket(em, ticketId, userId);
      await this.skills.assertUsable(
        em,
        input.requiredSkills.map((s, i) => ({ field: `requiredSkills.${i}.skill`, code: s.skill })),
      );
      await this.messages.handoverNote(em, ticket, claimId, userId, input.note);
      await this.claims.markReleased(em, claimId, 'transfer', input.note);
      await this.messages.markTransferred(
        em,
        ticketId,
        skills.map((s) => s.skill),
        skills.map((s) => s.minLevel),
      );
      const cooldown = this.config.get('RELEASE_COOLDOWN_MINUTES', { infer: true });
      await coolDown(em, { tickets: this.tickets, outbox: this.outbox }, ticket, userId, cooldown);
      const job = ticketEvent(
        'ticket.transferred',
        ticket,
        { agentId: userId, claimId },
        {
          requiredSkills: skills.map((s) => ({ skill: s.skill, minLevel: s.minLevel })),
          note: input.note,
        },
      );
      await this.outbox.enqueueMany(em, [job]);
      await this.events.record(em, {
        type: 'ticket.transferred',
        companyId: ticket.company_id,
        // And the agent's, as its release would be: its other tabs drop the ticket.
        agentId: userId,
        data: { ...job.payload },
      });
      // As after a release: its claim deadline may have passed while it was held.
      if (!ticket.sla_breached_at) {
        const runAt = new Date(Math.max(ticket.sla_deadline.getTime(), Date.now()));
        await this.outbox.enqueue(em, 'ticket.sla-check', { ticketId }, { runAt });
      }
      return claimId;
    });
    return this.agentTickets.asWorkedOn(this.db.manager, ticketId, given);
  }
}
