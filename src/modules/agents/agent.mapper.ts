import {
  AgentCertificationDto,
  AgentProfileDto,
  AgentSkillDto,
  CertifiedAgentDto,
} from './agent.dto';
import { Agent, AgentSkill } from './agent.entity';
import { AgentCertificationRow, CertifiedAgentRow } from './certifications.repository';

export function toAgentProfileDto(a: Agent): AgentProfileDto {
  return {
    agentId: a.userId,
    displayName: a.displayName,
    timeZone: a.timeZone,
    languages: a.languages,
    maxConcurrentTickets: a.maxConcurrentTickets,
    suspendedAt: a.suspendedAt,
    suspendedReason: a.suspendedReason,
  };
}

export function toAgentSkillDto(s: AgentSkill): AgentSkillDto {
  return { skill: s.skill, level: s.level };
}

export function toCertifiedAgentDto(r: CertifiedAgentRow): CertifiedAgentDto {
  return { agentId: r.agent_id, displayName: r.display_name, certifiedAt: r.certified_at };
}

export function toAgentCertificationDto(
  r: AgentCertificationRow,
  companyName: string,
): AgentCertificationDto {
  return { companyId: r.company_id, companyName, certifiedAt: r.certified_at };
}
