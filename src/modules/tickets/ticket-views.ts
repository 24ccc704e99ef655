import { EntityManager } from 'typeorm';
import { DomainError } from '../../common/errors/domain-error';
import { PRIORITIES, Priority, TicketDto, TicketSkillView, TicketSummaryDto } from './ticket.dto';

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

/** The full view of a ticket row already in hand (its claim history is read). */
export async function ticketView(em: EntityManager, t: TicketRow): Promise<TicketDto> {
  const [{ claims }]: { claims: ClaimHistoryJson[] }[] = await em.query(
    'SELECT ticket_claim_history($1) AS claims',
    [t.id],
  );
  return ticketDto(t, claims);
}

/** One entry of the SQL function ticket_claim_history (JSON: instants are strings). */
export interface ClaimHistoryJson {
  claimId: string;
  agentId: string;
  displayName: string;
  status: string;
  claimedAt: string;
  releasedAt: string | null;
  releasedBy: string | null;
  releaseReason: string | null;
  resolvedAt: string | null;
  resolutionSummary: string | null;
  amount: number | null;
  currency: string | null;
  reopenedAt: string | null;
}

const instant = (v: string | null) => (v === null ? null : new Date(v));

/** A ticket and its claim history as the API shows them. */
export function ticketDto(t: TicketRow, claims: ClaimHistoryJson[]): TicketDto {
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
      claimedAt: new Date(c.claimedAt),
      releasedAt: instant(c.releasedAt),
      resolvedAt: instant(c.resolvedAt),
      reopenedAt: instant(c.reopenedAt),
      pay: amount === null ? null : { amountMinor: Number(amount), currency: currency! },
    })),
  };
}

const TICKET_INSTANTS = [
  'sla_deadline',
  'sla_breached_at',
  'claimed_at',
  'last_activity_at',
  'resolved_at',
  'created_at',
] as const;

/** A tickets row that came back as JSON (to_jsonb) with its instants as Dates again. */
export function ticketRowFromJson(json: Record<string, unknown>): TicketRow {
  const row = { ...json } as unknown as TicketRow & Record<string, unknown>;
  for (const k of TICKET_INSTANTS) row[k] = instant(json[k] as string | null) as never;
  return row;
}
