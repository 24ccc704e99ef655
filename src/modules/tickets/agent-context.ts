import { EntityManager } from 'typeorm';
import { DomainError } from '../../common/errors/domain-error';
import { AgentQualifications } from '../shifts/eligibility';
import { toAgentContext } from './ticket.mapper';
import { TicketMatchingRepository } from './ticket-matching.repository';

export interface LiveShift {
  shiftId: string;
  companyId: string;
  companyName: string;
  endsAt: Date;
  requiresCertification: boolean;
  rateAmountMinor: number;
  rateCurrency: string;
  /** push: work comes as offers; claim-next and claim by id refuse (WORK_COMES_AS_OFFERS). */
  routing: 'pull' | 'push';
  offerSeconds: number;
  availability: 'available' | 'away';
}

export interface AgentContext extends AgentQualifications {
  agentId: string;
  skillCodes: string[];
  skillLevels: number[];
  maxConcurrentTickets: number;
  activeTickets: number;
  /** The shift the agent is checked in on right now. Seats cannot overlap, so at most one. */
  live: LiveShift | null;
}

/**
 * Everything matching needs to know about an agent, read in the claim's transaction, in one
 * round trip (claim-next is the hottest path in the system). A claim locks the agent row first
 * (AgentsService.lock), in its own statement: READ COMMITTED gives this next statement a fresh
 * snapshot, so the active-ticket count sees claims committed while the lock was awaited.
 */
export async function loadAgentContext(
  em: EntityManager,
  matching: TicketMatchingRepository,
  agentId: string,
): Promise<AgentContext> {
  const row = await matching.agentContext(em, agentId);
  if (!row) throw DomainError.notFound('Agent');
  return toAgentContext(agentId, row);
}
