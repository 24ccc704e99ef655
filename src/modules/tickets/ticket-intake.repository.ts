import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LIFT_ANSWERS_HOLD_SQL } from '../../common/credit/credit-gate';
import { currentRequestId } from '../../common/http/request-context';
import { preparedQuery } from '../../database/sql';
import { TicketRow } from './ticket.rows';

/** A new ticket as intake normalised it (defaults applied, skills sorted by code). */
export interface NewTicket {
  companyId: string;
  externalId: string;
  intakeHash: string;
  subject: string;
  summary: string;
  transcript: unknown[];
  botAttempts: string[];
  language: string;
  /** priorityToRank of its priority (also its starting rank). */
  priority: number;
  customerRef: string | null;
  metadata: Record<string, unknown>;
  claimSlaSeconds: number;
  skillCodes: string[];
  skillLevels: number[];
}

/** The ticket an escalation's externalId already names. */
export interface ExistingTicketRow {
  id: string;
  intake_hash: string;
}

const TICKET_COLUMNS = `company_id, external_id, intake_hash, subject, summary, transcript,
  bot_attempts, language, priority, rank, customer_ref, metadata, claim_sla_seconds, sla_deadline,
  primary_skill, skill_codes, skill_levels, requested_levels, billing_hold`;
const TICKET_VALUES = `$1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9::smallint, $9::smallint,
  $10, $11::jsonb, $12::int, now() + make_interval(secs => $12::int), $13, $14::text[],
  $15::smallint[], $15::smallint[],
  EXISTS (SELECT 1 FROM credit_controls c WHERE c.company_id = $1 AND c.hold_since IS NOT NULL
             AND NOT coalesce(${LIFT_ANSWERS_HOLD_SQL}, false))`;

const params = (t: NewTicket): unknown[] => [
  t.companyId,
  t.externalId,
  t.intakeHash,
  t.subject,
  t.summary,
  JSON.stringify(t.transcript),
  JSON.stringify(t.botAttempts),
  t.language,
  t.priority,
  t.customerRef,
  JSON.stringify(t.metadata),
  t.claimSlaSeconds,
  t.skillCodes[0] ?? '',
  t.skillCodes,
  t.skillLevels,
];

/**
 * TicketRow's columns, named: a prepared statement's result may not change shape, so `*` would
 * break it for processes still running when a migration adds a column to tickets.
 */
const TICKET_ROW = `id, company_id, external_id, intake_hash, subject, summary, transcript,
  bot_attempts, language, skill_codes, skill_levels, requested_levels, priority, rank,
  customer_ref, metadata, claim_sla_seconds, billing_hold, sla_deadline, sla_breached_at, status,
  claimed_by, claimed_at, last_activity_at, resolved_at, reopen_count, created_at`;

/**
 * Intake's usual case in one statement (TicketIntakeRepository.insertWithSlaTimer). `usable`
 * reads the skills without a lock, unlike a shift's post (SkillsRepository.usableAmong): an
 * escalation whose statement began before a retirement committed may still require the skill
 * (it began first; the ticket is matched as any other). A share lock would write the skills'
 * rows on every escalation, from every bot at once: not worth one statement's window.
 */
const INTAKE_SQL = `
  WITH usable AS (
    SELECT count(*) = cardinality($14::text[]) AS ok FROM skills
     WHERE code = ANY ($14::text[]) AND retired_at IS NULL),
  ins AS (
    INSERT INTO tickets (${TICKET_COLUMNS}) SELECT ${TICKET_VALUES}
     WHERE (SELECT ok FROM usable)
    ON CONFLICT ON CONSTRAINT uq_tickets_external_id DO NOTHING
    RETURNING ${TICKET_ROW}),
  timer AS (
    INSERT INTO outbox (job_name, payload, run_at, request_id)
    SELECT 'ticket.sla-check', jsonb_build_object('ticketId', id), sla_deadline, $16::text
      FROM ins)
  SELECT * FROM ins`;

/** Intake's statements on `tickets` (escalations from a company's bot). */
@Injectable()
export class TicketIntakeRepository {
  /**
   * The usual case, a new escalation with usable skills, in one statement (autocommit): the
   * ticket, its SLA timer, and the row the answer is built from (a new ticket has no claims).
   * Nothing when a skill is unknown or retired, or the externalId is taken.
   *
   * A declared exception to table ownership (src/database/table-owners.ts): it reads `skills`
   * and writes `outbox` in the same statement, so intake stays one round trip.
   */
  async insertWithSlaTimer(em: EntityManager, t: NewTicket): Promise<TicketRow | undefined> {
    // The escalation's request id goes with its timer, as OutboxService.enqueue does.
    const [fresh] = await preparedQuery<TicketRow>(em, 'intake_insert_with_sla_timer', INTAKE_SQL, [
      ...params(t),
      currentRequestId(),
    ]);
    return fresh;
  }

  /** The ticket alone (the caller checked its skills); nothing if the externalId is taken. */
  async insert(
    em: EntityManager,
    t: NewTicket,
  ): Promise<{ id: string; sla_deadline: Date } | undefined> {
    const [inserted]: { id: string; sla_deadline: Date }[] = await em.query(
      `INSERT INTO tickets (${TICKET_COLUMNS}) VALUES (${TICKET_VALUES})
       ON CONFLICT ON CONSTRAINT uq_tickets_external_id DO NOTHING
       RETURNING id, sla_deadline`,
      params(t),
    );
    return inserted;
  }

  async findByExternalId(
    em: EntityManager,
    companyId: string,
    externalId: string,
  ): Promise<ExistingTicketRow | undefined> {
    const [row]: ExistingTicketRow[] = await em.query(
      'SELECT id, intake_hash FROM tickets WHERE company_id = $1 AND external_id = $2',
      [companyId, externalId],
    );
    return row;
  }
}
