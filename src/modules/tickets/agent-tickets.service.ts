import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { answerLostError } from '../idempotency/idempotency-answers';
import { ShiftFacts } from '../shifts/shift-facts.service';
import { AgentTicketDto } from './ticket.dto';
import { toAgentTicketDto } from './ticket.mapper';
import { TicketClaimsRepository, WorkedClaimRow } from './ticket-claims.repository';
import { TicketReadService } from './ticket-read.service';

/** Tickets as their agent sees them: the ones held now, and the ones they resolved. */
@Injectable()
export class AgentTicketsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly claims: TicketClaimsRepository,
    private readonly reads: TicketReadService,
    private readonly shifts: ShiftFacts,
  ) {}

  /** The agent's active tickets, in full (transcript included). */
  async mine(actor: Actor): Promise<AgentTicketDto[]> {
    const { userId } = requireUser(actor, 'agent');
    const ticketIds = await this.claims.activeTicketIdsOf(this.db.manager, userId);
    const out: AgentTicketDto[] = [];
    for (const ticketId of ticketIds) {
      // A claim can end between the list and the read (resolved, timed out): skip it.
      const ticket = await this.held(this.db.manager, ticketId, userId);
      if (ticket) out.push(ticket);
    }
    return out;
  }

  /**
   * A ticket the agent holds or resolved (their earnings link to it), with the pay of that
   * claim. Any other ticket is a 404: one they only released, or never had, is not theirs to
   * read (the transcript is the customer's).
   */
  async one(actor: Actor, ticketId: string): Promise<AgentTicketDto> {
    const { userId } = requireUser(actor, 'agent');
    const em = this.db.manager;
    const claim = await this.claims.workedBy(em, ticketId, userId);
    if (!claim) throw DomainError.notFound('Ticket');
    return this.viewOf(em, ticketId, claim);
  }

  /**
   * What a claim-next that made claim `claimId` answers to its retry (migration ClaimNextKeyed):
   * the ticket, as `one` shows it, while the agent holds it or resolved it under that claim. A
   * claim given up since is not theirs to read: ANSWER_LOST says the claim was made, and that
   * what it took is to be read afresh.
   */
  async ofClaimMade(
    agentId: string,
    made: { claimId: string; ticketId: string },
    idempotencyKey: string,
  ): Promise<AgentTicketDto> {
    const em = this.db.manager;
    const claim = await this.claims.workedBy(em, made.ticketId, agentId);
    if (claim?.id !== made.claimId) throw answerLostError(idempotencyKey);
    return this.viewOf(em, made.ticketId, claim);
  }

  private async viewOf(
    em: EntityManager,
    ticketId: string,
    claim: WorkedClaimRow,
  ): Promise<AgentTicketDto> {
    const ticket = await this.reads.load(em, ticketId, null);
    // A resolved claim's pay is fixed on it: the shift's rate now is not asked.
    const rate =
      claim.rate_amount_minor === null ? await this.shifts.rateOf(em, claim.shift_id) : null;
    return toAgentTicketDto(ticket, claim.id, rate);
  }

  /**
   * The ticket as the agent who just released, transferred or resolved it (claim `claimId`)
   * sees it: that agent's claims only, as every agent view of a ticket (toAgentTicketDto).
   */
  async asWorkedOn(em: EntityManager, ticketId: string, claimId: string): Promise<AgentTicketDto> {
    const ticket = await this.reads.load(em, ticketId, null);
    const claim = ticket.claims.find((c) => c.claimId === claimId)!;
    // A resolved claim's pay is fixed on it; one given up is shown at its shift's rate.
    const rate = claim.pay
      ? null
      : await this.shifts.rateOf(em, await this.claims.shiftOf(em, claimId));
    return toAgentTicketDto(ticket, claimId, rate);
  }

  /** The ticket if the agent holds it now, else null. */
  async held(em: EntityManager, ticketId: string, agentId: string): Promise<AgentTicketDto | null> {
    const claim = await this.claims.activeOnTicket(em, ticketId);
    if (!claim || claim.agent_id !== agentId) return null;
    const ticket = await this.reads.load(em, ticketId, null);
    return toAgentTicketDto(ticket, claim.id, await this.shifts.rateOf(em, claim.shift_id));
  }
}
