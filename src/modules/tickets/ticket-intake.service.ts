import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireBot } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { sha256Hex } from '../../common/crypto/tokens';
import { DomainError } from '../../common/errors/domain-error';
import { OutboxService } from '../outbox/outbox.service';
import { duplicateSkillErrors } from '../../common/validation/duplicate-skills';
import { SkillsService } from '../skills/skills.service';
import { Priority, TicketDto } from './ticket.dto';
import { CreateEscalationDto } from './escalation.dto';
import { NewTicket, TicketIntakeRepository } from './ticket-intake.repository';
import { priorityToRank, toTicketDto } from './ticket.mapper';
import { TicketReadService } from './ticket-read.service';

const DEFAULT_CLAIM_SLA_SECONDS: Record<Priority, number> = {
  urgent: 120,
  high: 300,
  normal: 900,
  low: 3600,
};

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
    private readonly intake: TicketIntakeRepository,
    private readonly reads: TicketReadService,
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
    const ticket: NewTicket = {
      companyId,
      externalId: normalized.externalId,
      intakeHash: hash,
      subject: normalized.subject,
      summary: normalized.summary,
      transcript: normalized.transcript,
      botAttempts: normalized.botAttempts,
      language: normalized.language,
      priority: priorityToRank(normalized.priority),
      customerRef: normalized.customerRef,
      metadata: normalized.metadata,
      claimSlaSeconds: normalized.claimSlaSeconds,
      skillCodes: normalized.requiredSkills.map((r) => r.skill),
      skillLevels: normalized.requiredSkills.map((r) => r.minLevel),
    };

    // The usual case, a new escalation with usable skills, in one statement (autocommit): the
    // ticket, its SLA timer, and the row the answer is built from (a new ticket has no claims).
    const fresh = await this.intake.insertWithSlaTimer(this.db.manager, ticket);
    if (fresh) {
      this.outbox.poke();
      return { ticket: toTicketDto(fresh, []), created: true };
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
      const inserted = await this.intake.insert(em, ticket);
      // Lost a race with an identical (or conflicting) escalation committed meanwhile.
      if (!inserted) {
        return (await this.existing(em, companyId, normalized.externalId, hash))!;
      }
      const { id, sla_deadline: deadline } = inserted;
      await this.outbox.enqueue(em, 'ticket.sla-check', { ticketId: id }, { runAt: deadline });
      return { id, created: true };
    });
    return {
      ticket: await this.reads.load(this.db.manager, result.id, companyId),
      created: result.created,
    };
  }

  private async existing(em: EntityManager, companyId: string, externalId: string, hash: string) {
    const row = await this.intake.findByExternalId(em, companyId, externalId);
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
