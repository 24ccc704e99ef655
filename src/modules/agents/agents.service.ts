import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { duplicateSkillErrors } from '../../common/validation/duplicate-skills';
import type { AgentQualifications } from '../shifts/eligibility';
import { OutboxService } from '../outbox/outbox.service';
import { SkillsService } from '../skills/skills.service';
import {
  AgentProfileDto,
  AgentSkillsDto,
  PatchAgentProfileDto,
  ReplaceAgentSkillsDto,
  UpdateAgentProfileDto,
} from './agent.dto';
import { Agent } from './agent.entity';
import { toAgentProfileDto, toAgentSkillDto } from './agent.mapper';
import { AgentSkillsRepository } from './agent-skills.repository';
import { AgentsRepository } from './agents.repository';
import { CertificationsRepository } from './certifications.repository';

/**
 * Agent profiles and skills, and what other modules may read or lock of an agent (shifts:
 * qualifications, seat locks, display names), each taking the caller's EntityManager.
 */
@Injectable()
export class AgentsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly skills: SkillsService,
    private readonly agents: AgentsRepository,
    private readonly agentSkills: AgentSkillsRepository,
    private readonly certifications: CertificationsRepository,
    private readonly outbox: OutboxService,
  ) {}

  /**
   * Called in the registration transaction: every agent user has a profile row. Its name until
   * the agent gives one is neutral: companies and their bots see it, and the email's local part
   * ("jane.doe") gave the address away.
   */
  async createProfile(em: EntityManager, userId: string): Promise<void> {
    await this.agents.insert(em, {
      userId,
      displayName: defaultDisplayName(userId),
      timeZone: 'UTC',
      languages: [],
      maxConcurrentTickets: 3,
    });
  }

  async getProfile(actor: Actor): Promise<AgentProfileDto> {
    const { userId } = requireUser(actor, 'agent');
    return toAgentProfileDto(await this.load(this.db.manager, userId));
  }

  async updateProfile(actor: Actor, input: UpdateAgentProfileDto): Promise<AgentProfileDto> {
    const { userId } = requireUser(actor, 'agent');
    await this.agents.update(this.db.manager, userId, {
      displayName: input.displayName.trim(),
      timeZone: input.timeZone,
      languages: input.languages.map((l) => l.toLowerCase()),
      maxConcurrentTickets: input.maxConcurrentTickets ?? 3,
    });
    this.routeMaybeAsked();
    return this.getProfile(actor);
  }

  /** Only the fields given change, in one UPDATE of those columns (no read-modify-write). */
  async patchProfile(actor: Actor, input: PatchAgentProfileDto): Promise<AgentProfileDto> {
    const { userId } = requireUser(actor, 'agent');
    const values = {
      ...(input.displayName !== undefined && { displayName: input.displayName.trim() }),
      ...(input.timeZone !== undefined && { timeZone: input.timeZone }),
      ...(input.languages !== undefined && {
        languages: input.languages.map((l) => l.toLowerCase()),
      }),
      ...(input.maxConcurrentTickets !== undefined && {
        maxConcurrentTickets: input.maxConcurrentTickets,
      }),
    };
    if (Object.keys(values).length > 0) await this.agents.update(this.db.manager, userId, values);
    this.routeMaybeAsked();
    return this.getProfile(actor);
  }

  async getSkills(actor: Actor): Promise<AgentSkillsDto> {
    const { userId } = requireUser(actor, 'agent');
    const rows = await this.agentSkills.listOf(this.db.manager, userId);
    return { skills: rows.map(toAgentSkillDto) };
  }

  async replaceSkills(actor: Actor, input: ReplaceAgentSkillsDto): Promise<AgentSkillsDto> {
    const { userId } = requireUser(actor, 'agent');
    const duplicates = duplicateSkillErrors(input.skills, 'skills');
    if (duplicates.length > 0) throw DomainError.validation(duplicates);
    await this.db.transaction(async (em) => {
      // One replacement at a time: two at once would merge (the second's delete does not see
      // the first's rows) or collide on the same skill (a 500).
      await this.agents.lock(em, userId);
      // A retired skill the agent already holds may stay; a new one must be current.
      const held = await this.agentSkills.heldCodes(em, userId);
      await this.skills.assertUsable(
        em,
        input.skills
          .map((s, i) => ({ field: `skills.${i}.skill`, code: s.skill }))
          .filter((c) => !held.has(c.code)),
      );
      await this.agentSkills.replace(em, userId, input.skills);
    });
    this.routeMaybeAsked();
    return this.getSkills(actor);
  }

  /**
   * A higher ticket limit, other languages or skills ask for the router of the agent's live push
   * shift (triggers of migration RouteFreedAgents write the job): the relays are woken for it at
   * once, not at their next poll.
   */
  private routeMaybeAsked(): void {
    this.outbox.poke();
  }

  /** An agent's profile as staff see it (after a suspension, say). */
  async profileOf(agentId: string): Promise<AgentProfileDto> {
    return toAgentProfileDto(await this.load(this.db.manager, agentId));
  }

  /** Suspends the agent (the first suspension's time stays): what it was before; null: no agent. */
  markSuspended(
    em: EntityManager,
    agentId: string,
    reason: string,
  ): Promise<{ wasSuspended: boolean; reasonBefore: string | null } | null> {
    return this.agents.markSuspended(em, agentId, reason);
  }

  /** Lifts a suspension: whether the agent was suspended; null when there is no agent. */
  markReinstated(em: EntityManager, agentId: string): Promise<boolean | null> {
    return this.agents.markReinstated(em, agentId);
  }

  /** Qualifications of one agent for one company's work, as the eligibility rule needs them. */
  async qualificationsOf(
    em: EntityManager,
    agentId: string,
    companyId: string,
  ): Promise<AgentQualifications & { timeZone: string }> {
    const agent = await this.agents.eligibilityRow(em, agentId);
    if (!agent) throw DomainError.notFound('Agent');
    const skills = await this.agentSkills.levelsOf(em, agentId);
    const certified = await this.certifications.exists(em, agentId, companyId);
    return {
      suspended: agent.suspended_at !== null,
      languages: agent.languages,
      timeZone: agent.time_zone,
      skills: new Map(skills.map((s) => [s.skill, s.level])),
      certifiedBy: new Set(certified ? [companyId] : []),
    };
  }

  /**
   * Qualifications of one agent for any company's work (certifiedBy: every company that
   * certified it), in one statement; null when there is no such agent.
   */
  async qualificationsAnywhereOf(
    em: EntityManager,
    agentId: string,
  ): Promise<AgentQualifications | null> {
    return (await this.qualificationsAnywhereOfEach(em, [agentId])).get(agentId) ?? null;
  }

  /** The same for each of these agents, in one statement (those that exist). */
  async qualificationsAnywhereOfEach(
    em: EntityManager,
    agentIds: string[],
  ): Promise<Map<string, AgentQualifications>> {
    if (agentIds.length === 0) return new Map();
    const rows = await this.agents.qualificationSummaries(em, agentIds);
    return new Map(
      rows.map((row) => [
        row.user_id,
        {
          suspended: row.suspended,
          languages: row.languages,
          skills: new Map(row.skills.map((skill, i) => [skill, row.levels[i]])),
          certifiedBy: new Set(row.certified_by),
        },
      ]),
    );
  }

  /**
   * Locks the agent's row and says whether the agent is suspended: seat claims take it after
   * the shift row, ticket claims before the ticket row, so a suspension or a concurrent claim
   * is seen. NOT_FOUND when there is no such agent.
   */
  async lock(em: EntityManager, agentId: string): Promise<{ suspended: boolean }> {
    const agent = await this.agents.lock(em, agentId);
    if (!agent) throw DomainError.notFound('Agent');
    return agent;
  }

  isCertifiedBy(em: EntityManager, agentId: string, companyId: string): Promise<boolean> {
    return this.certifications.exists(em, agentId, companyId);
  }

  isSuspended(em: EntityManager, agentId: string): Promise<boolean> {
    return this.agents.isSuspended(em, agentId);
  }

  exists(em: EntityManager, agentId: string): Promise<boolean> {
    return this.agents.exists(em, agentId);
  }

  /** Locks the agents' rows in id order. */
  lockMany(em: EntityManager, agentIds: string[]): Promise<void> {
    return this.agents.lockMany(em, agentIds);
  }

  /** Display names by agent id (agents that do not exist are absent). */
  async displayNamesOf(em: EntityManager, agentIds: string[]): Promise<Map<string, string>> {
    if (agentIds.length === 0) return new Map();
    const rows = await this.agents.displayNames(em, [...new Set(agentIds)]);
    return new Map(rows.map((r) => [r.user_id, r.display_name]));
  }

  /** A page of the staff's agent directory (AgentDirectory): see AgentsRepository.directory. */
  directory(
    em: EntityManager,
    filter: { q: string | null; alsoIds: string[]; suspended: boolean | null },
    after: [string, string] | null,
    limit: number,
  ): Promise<Agent[]> {
    return this.agents.directory(em, filter, after, limit);
  }

  private async load(em: EntityManager, userId: string): Promise<Agent> {
    const agent = await this.agents.findOne(em, userId);
    if (!agent) throw DomainError.notFound('Agent');
    return agent;
  }
}

/** "Agent 3f2b8c1e": an agent's name until it gives one, told apart by its id's first digits. */
export const defaultDisplayName = (userId: string) => `Agent ${userId.slice(0, 8)}`;
