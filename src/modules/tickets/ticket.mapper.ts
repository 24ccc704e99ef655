import type { AgentContext, LiveShift } from './agent-context';
import {
  AgentTicketDto,
  PRIORITIES,
  Priority,
  QueueItemDto,
  SurgePayView,
  TicketClaimView,
  TicketDto,
  TicketSkillView,
  TicketSummaryDto,
} from './ticket.dto';
import { NO_SURGE, type SurgeQuote } from './surge.repository';
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

export function toTicketClaimView({
  amount,
  currency,
  surgeMultiplierBps,
  surgeExtraMinor,
  ...c
}: ClaimHistoryJson): TicketClaimView {
  return {
    ...c,
    surge: surgeView({ multiplierBps: surgeMultiplierBps, extraMinor: Number(surgeExtraMinor) }),
    claimedAt: new Date(c.claimedAt),
    releasedAt: instant(c.releasedAt),
    resolvedAt: instant(c.resolvedAt),
    reopenedAt: instant(c.reopenedAt),
    pay: amount === null ? null : { amountMinor: Number(amount), currency: currency! },
  };
}

/**
 * A ticket and its claim history as the API shows them; `reopenWindowHours` for the company's
 * reads (its reopen deadline), null where no company reads it (a bot's intake, an agent's).
 */
export function toTicketDto(
  t: TicketRow,
  claims: ClaimHistoryJson[],
  reopenWindowHours: number | null = null,
): TicketDto {
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
    reopenDeadline:
      t.status === 'resolved' && t.resolved_at !== null && reopenWindowHours !== null
        ? new Date(t.resolved_at.getTime() + reopenWindowHours * 3_600_000)
        : null,
    claims: claims.map(toTicketClaimView),
  };
}

/**
 * A ticket as the agent working it sees it: with its claim, and that claim's pay: once resolved
 * what it paid, before that the shift's rate now (`rate`) and the surge fixed on the claim.
 */
export function toAgentTicketDto(
  ticket: TicketDto,
  claimId: string,
  rate: { amountMinor: number; currency: string } | null,
): AgentTicketDto {
  const claim = ticket.claims.find((c) => c.claimId === claimId)!;
  // `rate` may be null only for a resolved claim, whose pay is fixed.
  const pay = claim.pay ?? payWith(rate!, claim.surge ?? NO_SURGE);
  // Only the agent's own claims: another agent's pay, surge, summary and release reason (a
  // transfer's note) are theirs and the company's, and what came after the agent resolved is
  // not theirs to read (the conversation stops there too).
  const claims = ticket.claims.filter((c) => c.agentId === claim.agentId);
  // Nor who holds it now, when that is another agent (a reopened ticket, taken by the next).
  const held = ticket.claimedBy === null || ticket.claimedBy === claim.agentId;
  const holder = held ? {} : { claimedBy: null, claimedByName: null, claimedAt: null };
  // The company's and finance's, not the agent's.
  const { billingHold, reopenDeadline, ...seen } = ticket;
  return { ...seen, ...holder, claims, claimId, pay, surge: claim.surge };
}

/** A ticket in an agent's queue, with the pay of the agent's live shift. */
/** The pay per ticket of the agent's live shift now. */
export function liveRate(live: LiveShift): { amountMinor: number; currency: string } {
  return { amountMinor: live.rateAmountMinor, currency: live.rateCurrency };
}

/** A surge quote as the API shows it: null when there is no extra. */
export function surgeView(q: SurgeQuote): SurgePayView | null {
  return q.extraMinor > 0 ? { multiplierBps: q.multiplierBps, extraMinor: q.extraMinor } : null;
}

/** The pay of a claim under the live shift's rate with this surge. */
export function payWith(
  rate: { amountMinor: number; currency: string },
  q: SurgeQuote,
): { amountMinor: number; currency: string } {
  return { amountMinor: rate.amountMinor + q.extraMinor, currency: rate.currency };
}

export function toQueueItemDto(t: TicketRow, live: LiveShift, q: SurgeQuote): QueueItemDto {
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
    pay: payWith(liveRate(live), q),
    surge: surgeView(q),
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
