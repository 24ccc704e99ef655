import type { EntityManager } from 'typeorm';

/**
 * The quality score as other modules meet it (issue 19): shifts ask for an agent's score to
 * apply a shift's minimum and early access. Quality provides it (globally, under this token),
 * so shifts need not import quality, which itself reads shifts.
 */
export interface AgentQualityReader {
  /** The agent's score now, 0–1 (the platform's mean for an agent with no input yet). */
  scoreOf(em: EntityManager, agentId: string): Promise<number>;
}

export const AGENT_QUALITY = Symbol('AGENT_QUALITY');
