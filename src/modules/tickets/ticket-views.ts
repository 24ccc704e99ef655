import { EntityManager } from 'typeorm';
import { DomainError } from '../../common/errors/domain-error';
import {
  PRIORITIES,
  Priority,
  TicketClaimView,
  TicketDto,
  TicketSkillView,
  TicketSummaryDto,
} from './ticket.dto';

/**
 * Ticket states and their moves: claimed by an agent, given back (release, handle timeout,
 * shift end), resolved, reopened. The trigger trg_tickets_transition enforces the same table.
 */
export const TICKET_TRANSITIONS = {
  open: ['claimed'],
  claimed: ['open', 'resolved'],
  resolved: ['open'],
} as const;

export const priorityRank = (p: Priority) => PRIORITIES.indexOf(p);
export const rankPriority = (rank: number): Priority => PRIORITIES[rank];

export interface TicketRow {
  id: string;
  company_id: string;
  external_id: string;
  intake_hash: string;
  subject: string;
  summary: string;
  transcript: TicketDto['transcript'];
  bot_attempts: string[];
  language: string;
  skill_codes: string[];
  skill_levels: number[];
  requested_levels: number[];
  priority: number;
  rank: number;
  customer_ref: string | null;
  metadata: Record<string, unknown>;
  claim_sla_seconds: number;
  sla_deadline: Date;
  sla_breached_at: Date | null;
  status: string;
  claimed_by: string | null;
  claimed_at: Date | null;
  last_activity_at: Date | null;
  resolved_at: Date | null;
  reopen_count: number;
  created_at: Date;
}

/** The required skills of a ticket, from its parallel arrays. */
export function skillsOf(t: TicketRow): TicketSkillView[] {
  return t.skill_codes.map((skill, i) => ({
    skill,
    minLevel: t.skill_levels[i],
    requestedLevel: t.requested_levels[i],
  }));
}

export function toSummary(t: TicketRow): TicketSummaryDto {
  return {
    id: t.id,
    companyId: t.company_id,
    externalId: t.external_id,
    subject: t.subject,
    priority: rankPriority(t.priority),
    effectivePriority: rankPriority(t.rank),
    language: t.language,
    status: t.status,
    requiredSkills: skillsOf(t),
    slaDeadline: t.sla_deadline,
    slaBreachedAt: t.sla_breached_at,
    claimedBy: t.claimed_by,
    claimedAt: t.claimed_at,
    resolvedAt: t.resolved_at,
    reopenCount: t.reopen_count,
    createdAt: t.created_at,
  };
}

/** A whole ticket with its claim history; `companyId` scopes it (null: no scope, internal use). */
export async function loadTicket(
  em: EntityManager,
  id: string,
  companyId: string | null,
): Promise<TicketDto> {
  const [t]: TicketRow[] = await em.query(
    'SELECT * FROM tickets WHERE id = $1 AND ($2::uuid IS NULL OR company_id = $2)',
    [id, companyId],
  );
  // Another company's ticket does not exist, as far as this caller can tell.
  if (!t) throw DomainError.notFound('Ticket');
  return ticketView(em, t);
}

/** The full view of a ticket row already in hand (skills and claim history are read). */
export async function ticketView(em: EntityManager, t: TicketRow): Promise<TicketDto> {
  const id = t.id;
  const claims: (Omit<TicketClaimView, 'pay'> & {
    amount: string | null;
    currency: string | null;
  })[] = await em.query(
    `SELECT c.id AS "claimId", c.agent_id AS "agentId", a.display_name AS "displayName",
              c.status, c.claimed_at AS "claimedAt", c.released_at AS "releasedAt",
              c.released_by AS "releasedBy", c.release_reason AS "releaseReason",
              c.resolved_at AS "resolvedAt", c.resolution_summary AS "resolutionSummary",
              c.rate_amount_minor AS amount, c.rate_currency AS currency,
              c.reopened_at AS "reopenedAt"
         FROM ticket_claims c JOIN agents a ON a.user_id = c.agent_id
        WHERE c.ticket_id = $1 ORDER BY c.claimed_at, c.id`,
    [id],
  );
  return {
    ...toSummary(t),
    summary: t.summary,
    transcript: t.transcript,
    botAttempts: t.bot_attempts,
    customerRef: t.customer_ref,
    metadata: t.metadata,
    claimSlaSeconds: t.claim_sla_seconds,
    claims: claims.map(({ amount, currency, ...c }) => ({
      ...c,
      pay: amount === null ? null : { amountMinor: Number(amount), currency: currency! },
    })),
  };
}
