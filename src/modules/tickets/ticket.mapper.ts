import type { AgentContext, LiveShift } from './agent-context';
import {
  PRIORITIES,
  Priority,
  QueueItemDto,
  TicketClaimView,
  TicketDto,
  TicketSkillView,
  TicketSummaryDto,
} from './ticket.dto';
import { AgentContextRow, ClaimHistoryJson, TicketRow } from './ticket.rows';

/** Priorities are stored as their rank: 0 low … 3 urgent (tickets.priority and tickets.rank). */
export const priorityToRank = (p: Priority) => PRIORITIES.indexOf(p);
export const rankToPriority = (rank: number): Priority => PRIORITIES[rank];

const instant = (v: string | null) => (v === null ? null : new Date(v));

/** The required skills of a ticket, from its parallel arrays. */
export function toTicketSkillViews(t: TicketRow): TicketSkillView[] {
  return t.skill_codes.map((skill, i) => ({
    skill,
    minLevel: t.skill_levels[i],
    requestedLevel: t.requested_levels[i],
  }));
}

/** `claimedByName`: the holder's display name (the caller reads it from the agents' owner). */
export function toTicketSummaryDto(t: TicketRow, claimedByName: string | null): TicketSummaryDto {
  return {
    id: t.id,
    companyId: t.company_id,
    externalId: t.external_id,
    subject: t.subject,
    priority: rankToPriority(t.priority),
    effectivePriority: rankToPriority(t.rank),
    language: t.language,
    status: t.status,
    requiredSkills: toTicketSkillViews(t),
    slaDeadline: t.sla_deadline,
    slaBreachedAt: t.sla_breached_at,
    claimedBy: t.claimed_by,
    claimedByName: t.claimed_by ? claimedByName : null,
    claimedAt: t.claimed_at,
    resolvedAt: t.resolved_at,
    reopenCount: t.reopen_count,
    createdAt: t.created_at,
  };
}

export function toTicketClaimView({ amount, currency, ...c }: ClaimHistoryJson): TicketClaimView {
  return {
    ...c,
    claimedAt: new Date(c.claimedAt),
    releasedAt: instant(c.releasedAt),
    resolvedAt: instant(c.resolvedAt),
    reopenedAt: instant(c.reopenedAt),
    pay: amount === null ? null : { amountMinor: Number(amount), currency: currency! },
  };
}

/** A ticket and its claim history as the API shows them. */
export function toTicketDto(t: TicketRow, claims: ClaimHistoryJson[]): TicketDto {
  return {
    ...toTicketSummaryDto(
      t,
      claims.find((c) => c.status === 'active' && c.agentId === t.claimed_by)?.displayName ?? null,
    ),
    summary: t.summary,
    transcript: t.transcript,
    botAttempts: t.bot_attempts,
    customerRef: t.customer_ref,
    metadata: t.metadata,
    claimSlaSeconds: t.claim_sla_seconds,
    billingHold: t.billing_hold,
    claims: claims.map(toTicketClaimView),
  };
}

/** A ticket in an agent's queue, with the pay of the agent's live shift. */
export function toQueueItemDto(t: TicketRow, live: LiveShift): QueueItemDto {
  return {
    id: t.id,
    companyId: t.company_id,
    companyName: live.companyName,
    subject: t.subject,
    summary: t.summary,
    effectivePriority: rankToPriority(t.rank),
    language: t.language,
    requiredSkills: toTicketSkillViews(t),
    slaDeadline: t.sla_deadline,
    createdAt: t.created_at,
    pay: { amountMinor: live.rateAmountMinor, currency: live.rateCurrency },
  };
}

export function toAgentContext(agentId: string, row: AgentContextRow): AgentContext {
  return {
    agentId,
    suspended: row.suspended,
    languages: row.languages,
    skills: new Map(row.skill_codes.map((code, i) => [code, row.skill_levels[i]])),
    skillCodes: row.skill_codes,
    skillLevels: row.skill_levels,
    certifiedBy: new Set(row.shift_id && row.certified ? [row.company_id] : []),
    maxConcurrentTickets: row.max_concurrent_tickets,
    activeTickets: row.active,
    live: row.shift_id
      ? {
          shiftId: row.shift_id,
          companyId: row.company_id,
          companyName: row.company_name,
          endsAt: new Date(row.ends_at),
          requiresCertification: row.requires_certification,
          rateAmountMinor: Number(row.rate_amount_minor),
          rateCurrency: row.rate_currency,
          routing: row.routing ?? 'pull',
          offerSeconds: row.offer_seconds ?? 30,
          availability: row.availability ?? 'available',
        }
      : null,
  };
}
