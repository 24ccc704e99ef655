import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { SkillsService } from '../skills/skills.service';
import {
  AgentProfileDto,
  AgentSkillsDto,
  ReplaceAgentSkillsDto,
  UpdateAgentProfileDto,
} from './agent.dto';
import { Agent, AgentSkill } from './agent.entity';

export const toProfileDto = (a: Agent): AgentProfileDto => ({
  agentId: a.userId,
  displayName: a.displayName,
  timeZone: a.timeZone,
  languages: a.languages,
  maxConcurrentTickets: a.maxConcurrentTickets,
  suspendedAt: a.suspendedAt,
  suspendedReason: a.suspendedReason,
});

@Injectable()
export class AgentsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly skills: SkillsService,
  ) {}

  /** Called in the registration transaction: every agent user has a profile row. */
  async createProfile(em: EntityManager, userId: string, email: string): Promise<void> {
    await em.insert(Agent, {
      userId,
      displayName: email.split('@')[0].slice(0, 100) || 'agent',
      timeZone: 'UTC',
      languages: [],
      maxConcurrentTickets: 3,
    });
  }

  async getProfile(actor: Actor): Promise<AgentProfileDto> {
    const { userId } = requireUser(actor, 'agent');
    return toProfileDto(await this.load(this.db.manager, userId));
  }

  async updateProfile(actor: Actor, input: UpdateAgentProfileDto): Promise<AgentProfileDto> {
    const { userId } = requireUser(actor, 'agent');
    await this.db.getRepository(Agent).update(
      { userId },
      {
        displayName: input.displayName.trim(),
        timeZone: input.timeZone,
        languages: input.languages.map((l) => l.toLowerCase()),
        maxConcurrentTickets: input.maxConcurrentTickets ?? 3,
      },
    );
    return this.getProfile(actor);
  }

  async getSkills(actor: Actor): Promise<AgentSkillsDto> {
    const { userId } = requireUser(actor, 'agent');
    const rows = await this.db
      .getRepository(AgentSkill)
      .find({ where: { agentId: userId }, order: { skill: 'ASC' } });
    return { skills: rows.map((r) => ({ skill: r.skill, level: r.level })) };
  }

  async replaceSkills(actor: Actor, input: ReplaceAgentSkillsDto): Promise<AgentSkillsDto> {
    const { userId } = requireUser(actor, 'agent');
    const seen = new Set<string>();
    const duplicates = input.skills
      .map((s, i) => ({ field: `skills.${i}.skill`, skill: s.skill }))
      .filter(({ skill }) => (seen.has(skill) ? true : (seen.add(skill), false)));
    if (duplicates.length > 0) {
      throw DomainError.validation(
        duplicates.map((d) => ({
          field: d.field,
          messages: [`skill "${d.skill}" is listed twice`],
        })),
      );
    }
    await this.db.transaction(async (em) => {
      // A retired skill the agent already holds may stay; a new one must be current.
      const held = new Set(
        (await em.getRepository(AgentSkill).findBy({ agentId: userId })).map((s) => s.skill),
      );
      await this.skills.assertUsable(
        em,
        input.skills
          .map((s, i) => ({ field: `skills.${i}.skill`, code: s.skill }))
          .filter((c) => !held.has(c.code)),
      );
      await em.delete(AgentSkill, { agentId: userId });
      if (input.skills.length > 0) {
        await em.insert(
          AgentSkill,
          input.skills.map((s) => ({ agentId: userId, skill: s.skill, level: s.level })),
        );
      }
    });
    return this.getSkills(actor);
  }

  /** An agent's profile as staff see it (after a suspension, say). */
  async profileOf(agentId: string): Promise<AgentProfileDto> {
    return toProfileDto(await this.load(this.db.manager, agentId));
  }

  private async load(em: EntityManager, userId: string): Promise<Agent> {
    const agent = await em.getRepository(Agent).findOneBy({ userId });
    if (!agent) throw DomainError.notFound('Agent');
    return agent;
  }
}
