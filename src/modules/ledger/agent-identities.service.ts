import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import { UsersService } from '../users/users.service';

/** Who an agent id is, as finance sees it beside the id (null for an id that names nobody). */
export interface AgentIdentity {
  agentDisplayName: string | null;
  agentEmail: string | null;
}

/**
 * Finance's screens (adjustments, payout lines, their CSV, reconciliation) show each agent's
 * display name (agents module) and email (users module) beside its id. One query to each owner
 * for a whole page or run, never one per line: a payout run has up to 50,000 lines. Companies
 * never get this: their statements carry the display name only (CompanyStatementService).
 */
@Injectable()
export class AgentIdentities {
  constructor(
    private readonly agents: AgentsService,
    private readonly users: UsersService,
  ) {}

  async of(em: EntityManager, agentIds: string[]): Promise<(agentId: string) => AgentIdentity> {
    const ids = [...new Set(agentIds)];
    const [names, emails] = await Promise.all([
      this.agents.displayNamesOf(em, ids),
      this.users.emailsOf(em, ids),
    ]);
    return (agentId) => ({
      agentDisplayName: names.get(agentId) ?? null,
      agentEmail: emails.get(agentId) ?? null,
    });
  }
}
