import type { TranscriptMessageDto } from './escalation.dto';

/** A row of `tickets`. */
export interface TicketRow {
  id: string;
  company_id: string;
  external_id: string;
  intake_hash: string;
  subject: string;
  summary: string;
  transcript: TranscriptMessageDto[];
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
  /** Taken while billing held the company (credit limit passed or an invoice past due). */
  billing_hold: boolean;
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
  surgeMultiplierBps: number;
  surgeExtraMinor: number;
}

/** A row of the SQL function agent_context (migration ClaimInOneCall), as pg or as JSON. */
export interface AgentContextRow {
  suspended: boolean;
  languages: string[];
  max_concurrent_tickets: number;
  skill_codes: string[];
  skill_levels: number[];
  active: number;
  shift_id: string | null;
  company_id: string;
  company_name: string;
  ends_at: Date | string;
  requires_certification: boolean;
  rate_amount_minor: string | number;
  rate_currency: string;
  certified: boolean;
  /** The live shift's routing and offer time, and the seat's availability (migration Offers). */
  routing: 'pull' | 'push' | null;
  offer_seconds: number | null;
  availability: 'available' | 'away' | null;
}

/** A claim just written (write_ticket_claim): the claimed ticket and its claim history. */
export interface ClaimWrittenRow {
  ticket: TicketRow;
  claims: ClaimHistoryJson[];
  claimId: string;
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
  for (const k of TICKET_INSTANTS) {
    const v = json[k] as string | null;
    row[k] = (v === null ? null : new Date(v)) as never;
  }
  return row;
}
