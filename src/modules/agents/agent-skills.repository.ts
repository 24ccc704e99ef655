import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AgentSkill } from './agent.entity';

export interface AgentSkillLevelRow {
  skill: string;
  level: number;
}

/** The agent_skills table: an agent's skills and levels. */
@Injectable()
export class AgentSkillsRepository {
  /** The agent's skills by code. */
  listOf(em: EntityManager, agentId: string): Promise<AgentSkill[]> {
    return em.getRepository(AgentSkill).find({ where: { agentId }, order: { skill: 'ASC' } });
  }

  async heldCodes(em: EntityManager, agentId: string): Promise<Set<string>> {
    const rows = await em.getRepository(AgentSkill).findBy({ agentId });
    return new Set(rows.map((s) => s.skill));
  }

  /** Replaces the agent's whole skill set. */
  async replace(em: EntityManager, agentId: string, skills: AgentSkillLevelRow[]): Promise<void> {
    await em.delete(AgentSkill, { agentId });
    if (skills.length > 0) {
      await em.insert(
        AgentSkill,
        skills.map((s) => ({ agentId, skill: s.skill, level: s.level })),
      );
    }
  }

  /** Skill levels as the eligibility rule reads them (any order). */
  levelsOf(em: EntityManager, agentId: string): Promise<AgentSkillLevelRow[]> {
    return em.query('SELECT skill, level FROM agent_skills WHERE agent_id = $1', [agentId]);
  }
}
