import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireBot } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { sha256Hex } from '../../common/crypto/tokens';
import { DomainError } from '../../common/errors/domain-error';
import { OutboxService } from '../outbox/outbox.service';
import { duplicateSkillErrors } from '../shifts/shift-views';
import { SkillsService } from '../skills/skills.service';
import { CreateEscalationDto, Priority, TicketDto } from './ticket.dto';
import { loadTicket, priorityRank, ticketDto, TicketRow } from './ticket-views';

const DEFAULT_CLAIM_SLA_SECONDS: Record<Priority, number> = {
  urgent: 120,
  high: 300,
  normal: 900,
  low: 3600,
};

const TICKET_COLUMNS = `company_id, external_id, intake_hash, subject, summary, transcript,
  bot_attempts, language, priority, rank, customer_ref, metadata, claim_sla_seconds, sla_deadline,
  primary_skill, skill_codes, skill_levels, requested_levels`;
const TICKET_VALUES = `$1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9::smallint, $9::smallint,
  $10, $11::jsonb, $12::int, now() + make_interval(secs => $12::int), $13, $14::text[],
  $15::smallint[], $15::smallint[]`;

/** JSON with object keys sorted at every depth: equal payloads, equal strings. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Escalations from a company's bot, idempotent on (company, externalId). */
@Injectable()
export class TicketIntakeService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly skills: SkillsService,
    private readonly outbox: OutboxService,
  ) {}

  async escalate(
    actor: Actor,
    input: CreateEscalationDto,
  ): Promise<{ ticket: TicketDto; created: boolean }> {
    const { companyId } = requireBot(actor);
    const problems = duplicateSkillErrors(input.requiredSkills, 'requiredSkills');
    if (problems.length > 0) throw DomainError.validation(problems);
    // Defaults are applied before hashing, so omitting a default and sending it are the same.
    const normalized = {
      externalId: input.externalId,
      subject: input.subject,
      summary: input.summary,
      transcript: input.transcript,
      botAttempts: input.botAttempts ?? [],
      requiredSkills: [...input.requiredSkills].sort((a, b) => (a.skill < b.skill ? -1 : 1)),
      language: input.language.toLowerCase(),
      priority: input.priority,
      claimSlaSeconds: input.claimSlaSeconds ?? DEFAULT_CLAIM_SLA_SECONDS[input.priority],
      customerRef: input.customerRef ?? null,
      metadata: input.metadata ?? {},
    };
    const hash = sha256Hex(canonicalJson(normalized));
    const params = [
      companyId,
      normalized.externalId,
      hash,
      normalized.subject,
      normalized.summary,
      JSON.stringify(normalized.transcript),
      JSON.stringify(normalized.botAttempts),
      normalized.language,
      priorityRank(normalized.priority),
      normalized.customerRef,
      JSON.stringify(normalized.metadata),
      normalized.claimSlaSeconds,
      normalized.requiredSkills[0]?.skill ?? '',
      normalized.requiredSkills.map((r) => r.skill),
      normalized.requiredSkills.map((r) => r.minLevel),
    ];

    // The usual case, a new escalation with usable skills, in one statement (autocommit): the
    // ticket, its SLA timer, and the row the answer is built from (a new ticket has no claims).
    const [fresh]: TicketRow[] = await this.db.query(
      `WITH usable AS (
         SELECT count(*) = cardinality($14::text[]) AS ok FROM skills
          WHERE code = ANY ($14::text[]) AND retired_at IS NULL),
       ins AS (
         INSERT INTO tickets (${TICKET_COLUMNS}) SELECT ${TICKET_VALUES}
          WHERE (SELECT ok FROM usable)
         ON CONFLICT ON CONSTRAINT uq_tickets_external_id DO NOTHING
         RETURNING *),
       timer AS (
         INSERT INTO outbox (job_name, payload, run_at)
         SELECT 'ticket.sla-check', jsonb_build_object('ticketId', id), sla_deadline FROM ins)
       SELECT * FROM ins`,
      params,
    );
    if (fresh) {
      this.outbox.poke();
      return { ticket: ticketDto(fresh, []), created: true };
    }

    // A retry, a conflict, or a skill problem: the careful path says which.
    const result = await this.db.transaction(async (em) => {
      // A retry of something we already have is answered from it, even if (say) one of its
      // skills has been retired since.
      const known = await this.existing(em, companyId, normalized.externalId, hash);
      if (known) return known;
      await this.skills.assertUsable(
        em,
        input.requiredSkills.map((s, i) => ({ field: `requiredSkills.${i}.skill`, code: s.skill })),
      );
      const inserted: { id: string; sla_deadline: Date }[] = await em.query(
        `INSERT INTO tickets (${TICKET_COLUMNS}) VALUES (${TICKET_VALUES})
         ON CONFLICT ON CONSTRAINT uq_tickets_external_id DO NOTHING
         RETURNING id, sla_deadline`,
        params,
      );
      // Lost a race with an identical (or conflicting) escalation committed meanwhile.
      if (inserted.length === 0) {
        return (await this.existing(em, companyId, normalized.externalId, hash))!;
      }
      const { id, sla_deadline: deadline } = inserted[0];
      await this.outbox.enqueue(em, 'ticket.sla-check', { ticketId: id }, { runAt: deadline });
      return { id, created: true };
    });
    return {
      ticket: await loadTicket(this.db.manager, result.id, companyId),
      created: result.created,
    };
  }

  private async existing(em: EntityManager, companyId: string, externalId: string, hash: string) {
    const [row]: { id: string; intake_hash: string }[] = await em.query(
      'SELECT id, intake_hash FROM tickets WHERE company_id = $1 AND external_id = $2',
      [companyId, externalId],
    );
    if (!row) return null;
    if (row.intake_hash !== hash) {
      throw new DomainError(
        'TICKET_EXTERNAL_ID_CONFLICT',
        'A different escalation was already sent with this externalId',
        { ticketId: row.id },
      );
    }
    return { id: row.id, created: false };
  }
}
