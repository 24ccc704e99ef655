import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AGENT_QUALITY, type AgentQualityReader } from '../../common/quality/agent-quality';
import { DomainError } from '../../common/errors/domain-error';
import { AgentsService } from '../agents/agents.service';
import {
  IneligibilityReason,
  ineligibilityReasons,
  QualityGates,
  seatIneligibilityReasons,
  ShiftRequirements,
} from './eligibility';
import type { ScoredAgent } from './open-shifts.repository';

/**
 * The eligibility rule with what it reads: the agent's qualifications (agents) and quality
 * score (quality), for a claim, a waitlist join or promotion, and the open-shifts list.
 */
@Injectable()
export class ShiftEligibility {
  constructor(
    private readonly agents: AgentsService,
    @Inject(AGENT_QUALITY) private readonly quality: AgentQualityReader,
  ) {}

  /** Why the agent may not take a seat on the shift (empty: it may). */
  async reasonsFor(
    em: EntityManager,
    agentId: string,
    shift: ShiftRequirements & QualityGates,
    now: number,
  ): Promise<IneligibilityReason[]> {
    const [quals, quality] = await Promise.all([
      this.agents.qualificationsOf(em, agentId, shift.companyId),
      this.quality.scoreOf(em, agentId),
    ]);
    return seatIneligibilityReasons({ ...quals, quality }, shift, new Date(now));
  }

  /** Refuses with 403 NOT_ELIGIBLE and the reasons when the agent may not take a seat. */
  async assertEligible(
    em: EntityManager,
    agentId: string,
    shift: ShiftRequirements & QualityGates,
    now: number,
  ): Promise<void> {
    const reasons = await this.reasonsFor(em, agentId, shift, now);
    if (reasons.length > 0) {
      throw new DomainError('NOT_ELIGIBLE', 'You are not eligible for this shift', { reasons });
    }
  }

  /**
   * Those of these agents whose profile the shift's requirements accept (suspension, languages,
   * skills, certification), in their order, read in one statement for all: a waitlist's pass
   * tries only them (each read again under its lock, with its quality score, before a seat).
   * The quality gates are not read here: they would cost a score per agent.
   */
  async qualifiedAmong(
    em: EntityManager,
    agentIds: string[],
    shift: ShiftRequirements,
  ): Promise<string[]> {
    const quals = await this.agents.qualificationsAnywhereOfEach(em, agentIds);
    return agentIds.filter((id) => {
      const agent = quals.get(id);
      return agent !== undefined && ineligibilityReasons(agent, shift).length === 0;
    });
  }

  /** The agent's qualifications for any company's work, with its score; null: no agent. */
  async anywhere(em: EntityManager, agentId: string): Promise<ScoredAgent | null> {
    const [quals, quality] = await Promise.all([
      this.agents.qualificationsAnywhereOf(em, agentId),
      this.quality.scoreOf(em, agentId),
    ]);
    return quals && { ...quals, quality };
  }
}
