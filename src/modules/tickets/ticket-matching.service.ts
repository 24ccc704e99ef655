import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { Env } from '../../config/env.validation';
import { OutboxService } from '../outbox/outbox.service';
import { IneligibilityReason, ineligibilityReasons } from '../shifts/eligibility';
import {
  AgentContext,
  agentContextFrom,
  AgentContextRow,
  loadAgentContext,
  LiveShift,
} from './agent-context';
import { AgentTicketDto, QueueItemDto } from './ticket.dto';
import { ticketEvent } from './ticket-events';
import {
  ClaimHistoryJson,
  loadTicket,
  rankPriority,
  skillsOf,
  ticketDto,
  TicketRow,
  ticketRowFromJson,
  ticketView,
} from './ticket-views';

export type TicketIneligibility =
  IneligibilityReason | { code: 'NOT_ON_SHIFT' } | { code: 'RELEASED_RECENTLY'; until: Date };

/**
 * The best open tickets an agent may take, best first: rank (priority, raised by SLA breaches),
 * then SLA deadline, then age. The SQL function (migration ClaimInOneCall) walks
 * ix_tickets_open_match once per (language, primary skill) bucket of the agent's live company;
 * the full skill check and the release cool-down filter inside each walk. The agent must speak
 * the ticket's language (a bucket key) and hold every required skill at its current level.
 */
export const CANDIDATES_SQL = 'SELECT id FROM ticket_candidates($1, $2, $3, $4, $5, $6) AS id';

// Candidates per round: under a claim storm the best few are often locked by other agents.
const ROUNDS = [8, 64, 512];

@Injectable()
export class TicketMatchingService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly outbox: OutboxService,
  ) {}

  /** The agent's view of what it could take now, with the pay of its live shift. */
  async queue(actor: Actor, limit: number) {
    const { userId } = requireUser(actor, 'agent');
    const ctx = await loadAgentContext(this.db.manager, userId, false);
    const live = this.usableLiveShift(ctx);
    const items: QueueItemDto[] = [];
    if (live) {
      const ids = await this.candidates(this.db.manager, ctx, live, limit);
      const rows: TicketRow[] = ids.length
        ? await this.db.query('SELECT * FROM tickets WHERE id = ANY($1)', [ids])
        : [];
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const id of ids) {
        const t = byId.get(id)!;
        items.push({
          id,
          companyId: t.company_id,
          companyName: live.companyName,
          subject: t.subject,
          summary: t.summary,
          effectivePriority: rankPriority(t.rank),
          language: t.language,
          requiredSkills: skillsOf(t),
          slaDeadline: t.sla_deadline,
          createdAt: t.created_at,
          pay: { amountMinor: live.rateAmountMinor, currency: live.rateCurrency },
        });
      }
    }
    return {
      items,
      liveShift: live && { shiftId: live.shiftId, companyId: live.companyId, endsAt: live.endsAt },
      activeTickets: ctx.activeTickets,
      maxConcurrentTickets: ctx.maxConcurrentTickets,
    };
  }

  /**
   * Claims the best eligible ticket, or returns null when there is none. One database call
   * (claim_next_ticket, ADR 0008): it locks the agent, reads its context, and claims with SKIP
   * LOCKED, writing the outbox rows; when it does not claim, the context it read says why.
   */
  async claimNext(actor: Actor): Promise<AgentTicketDto | null> {
    const { userId } = requireUser(actor, 'agent');
    const timeout = this.config.get('HANDLE_TIMEOUT_MINUTES', { infer: true });
    const [row]: {
      ctx: AgentContextRow;
      ticket: Record<string, unknown> | null;
      claims: ClaimHistoryJson[] | null;
      claim_id: string | null;
    }[] = await this.db.query(
      'SELECT * FROM claim_next_ticket($1, make_interval(mins => $2), $3)',
      [userId, timeout, ROUNDS],
    );
    if (!row) throw DomainError.notFound('Agent');
    const ctx = agentContextFrom(userId, row.ctx);
    const live = this.usableLiveShift(ctx);
    if (!live) throw notEligible(this.agentLevelReasons(ctx));
    this.assertCapacity(ctx);
    if (!row.ticket) return null;
    this.outbox.poke(); // claim_next_ticket wrote outbox rows
    return {
      ...ticketDto(ticketRowFromJson(row.ticket), row.claims!),
      claimId: row.claim_id!,
      pay: { amountMinor: live.rateAmountMinor, currency: live.rateCurrency },
    };
  }

  /** Claims one ticket by id, saying precisely why not when it cannot. */
  async claim(actor: Actor, ticketId: string): Promise<AgentTicketDto> {
    const { userId } = requireUser(actor, 'agent');
    return this.db.transaction(async (em) => {
      const ctx = await loadAgentContext(em, userId, true);
      const [ticket]: TicketRow[] = await em.query(
        'SELECT * FROM tickets WHERE id = $1 FOR UPDATE',
        [ticketId],
      );
      if (!ticket) throw DomainError.notFound('Ticket');
      // Nothing about a ticket of a company the agent is not working for right now.
      if (ctx.live?.companyId !== ticket.company_id) {
        // A suspension also ended the agent's shift: name the cause first.
        const off: TicketIneligibility[] = [{ code: 'NOT_ON_SHIFT' }];
        throw notEligible(ctx.suspended ? [{ code: 'SUSPENDED' }, ...off] : off);
      }
      if (ticket.status === 'claimed') {
        if (ticket.claimed_by === userId) return (await this.agentTicket(em, ticketId, userId))!;
        throw new DomainError('TICKET_ALREADY_CLAIMED', 'Another agent has this ticket');
      }
      if (ticket.status !== 'open')
        throw new DomainError('TICKET_NOT_OPEN', 'The ticket is resolved');
      const reasons = await this.ticketReasons(em, ctx, ticket);
      if (reasons.length > 0) throw notEligible(reasons);
      this.assertCapacity(ctx);
      return this.take(em, ctx, ctx.live!, ticket);
    });
  }

  /** The agent's active tickets, in full (transcript included). */
  async mine(actor: Actor): Promise<AgentTicketDto[]> {
    const { userId } = requireUser(actor, 'agent');
    const rows: { ticket_id: string }[] = await this.db.query(
      `SELECT ticket_id FROM ticket_claims WHERE agent_id = $1 AND status = 'active' ORDER BY claimed_at`,
      [userId],
    );
    const out: AgentTicketDto[] = [];
    for (const r of rows) {
      // A claim can end between the list and the read (resolved, timed out): skip it.
      const ticket = await this.agentTicket(this.db.manager, r.ticket_id, userId);
      if (ticket) out.push(ticket);
    }
    return out;
  }

  private async take(
    em: EntityManager,
    ctx: AgentContext,
    live: LiveShift,
    ticket: TicketRow,
  ): Promise<AgentTicketDto> {
    // uq_ticket_claims_active backs the row lock: one active claim per ticket, always.
    const [claim]: { id: string; claimed_at: Date }[] = await em.query(
      `WITH claimed AS (
         UPDATE tickets SET status = 'claimed', claimed_by = $2, claimed_at = now(),
                last_activity_at = now(), updated_at = now()
          WHERE id = $1)
       INSERT INTO ticket_claims (ticket_id, agent_id, company_id, shift_id)
       VALUES ($1, $2, $3, $4) RETURNING id, claimed_at`,
      [ticket.id, ctx.agentId, ticket.company_id, live.shiftId],
    );
    const timeoutMs = this.config.get('HANDLE_TIMEOUT_MINUTES', { infer: true }) * 60_000;
    await this.outbox.enqueueMany(em, [
      ticketEvent('ticket.claimed', ticket, { agentId: ctx.agentId, claimId: claim.id }),
      {
        name: 'ticket.handle-timeout',
        payload: { claimId: claim.id },
        runAt: new Date(claim.claimed_at.getTime() + timeoutMs),
      },
    ]);
    const claimed: TicketRow = {
      ...ticket,
      status: 'claimed',
      claimed_by: ctx.agentId,
      claimed_at: claim.claimed_at,
      last_activity_at: claim.claimed_at,
    };
    return {
      ...(await ticketView(em, claimed)),
      claimId: claim.id,
      pay: { amountMinor: live.rateAmountMinor, currency: live.rateCurrency },
    };
  }

  private async agentTicket(
    em: EntityManager,
    ticketId: string,
    agentId: string,
  ): Promise<AgentTicketDto | null> {
    const [claim]: { id: string; amount: string; currency: string }[] = await em.query(
      `SELECT c.id, s.rate_amount_minor AS amount, s.rate_currency AS currency
         FROM ticket_claims c JOIN shifts s ON s.id = c.shift_id
        WHERE c.ticket_id = $1 AND c.agent_id = $2 AND c.status = 'active'`,
      [ticketId, agentId],
    );
    if (!claim) return null;
    const ticket = await loadTicket(em, ticketId, null);
    return {
      ...ticket,
      claimId: claim.id,
      pay: { amountMinor: Number(claim.amount), currency: claim.currency },
    };
  }

  private candidates(em: EntityManager, ctx: AgentContext, live: LiveShift, limit: number) {
    return em
      .query(CANDIDATES_SQL, [
        live.companyId,
        ctx.agentId,
        ctx.languages,
        ctx.skillCodes,
        ctx.skillLevels,
        limit,
      ])
      .then((rows: { id: string }[]) => rows.map((r) => r.id));
  }

  /** The live shift, if the agent may work tickets under it at all. */
  private usableLiveShift(ctx: AgentContext): LiveShift | null {
    return this.agentLevelReasons(ctx).length === 0 ? ctx.live : null;
  }

  private agentLevelReasons(ctx: AgentContext): TicketIneligibility[] {
    const reasons: TicketIneligibility[] = [];
    if (ctx.suspended) reasons.push({ code: 'SUSPENDED' });
    if (!ctx.live) reasons.push({ code: 'NOT_ON_SHIFT' });
    else if (ctx.live.requiresCertification && !ctx.certifiedBy.has(ctx.live.companyId)) {
      reasons.push({ code: 'NOT_CERTIFIED', companyId: ctx.live.companyId });
    }
    return reasons;
  }

  private async ticketReasons(
    em: EntityManager,
    ctx: AgentContext,
    ticket: TicketRow,
  ): Promise<TicketIneligibility[]> {
    const skills = skillsOf(ticket);
    const onShift = ctx.live?.companyId === ticket.company_id;
    const reasons: TicketIneligibility[] = ineligibilityReasons(ctx, {
      companyId: ticket.company_id,
      requiredSkills: skills.map((s) => ({ skill: s.skill, minLevel: s.minLevel })),
      languages: [ticket.language],
      requiresCertification: onShift && ctx.live!.requiresCertification,
    });
    const [cooldown]: { until: Date }[] = await em.query(
      'SELECT until FROM ticket_cooldowns WHERE ticket_id = $1 AND agent_id = $2 AND until > now()',
      [ticket.id, ctx.agentId],
    );
    if (cooldown) reasons.push({ code: 'RELEASED_RECENTLY', until: cooldown.until });
    return reasons;
  }

  private assertCapacity(ctx: AgentContext): void {
    if (ctx.activeTickets >= ctx.maxConcurrentTickets) {
      throw new DomainError(
        'AGENT_AT_CAPACITY',
        `You already hold ${ctx.activeTickets} tickets, your limit`,
        { activeTickets: ctx.activeTickets, maxConcurrentTickets: ctx.maxConcurrentTickets },
      );
    }
  }
}

function notEligible(reasons: TicketIneligibility[]): DomainError {
  return new DomainError('NOT_ELIGIBLE', 'You are not eligible for this ticket', { reasons });
}
