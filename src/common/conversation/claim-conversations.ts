import type { EntityManager } from 'typeorm';

/**
 * Whose a ticket conversation's events still are, as the events store meets it. Tickets own the
 * claims and provide it (globally, under this token), so events need not import tickets, which
 * records events.
 */
export interface ClaimConversations {
  /**
   * Among these ticket claims of the agent, those whose conversation it may still read, by the
   * messages endpoint's rule: it holds the ticket now, or resolved it in this claim or a later
   * one. A claim it released, lost to a transfer, a timeout, a withdrawal or a suspension, with
   * no resolution of its own after, is not: the conversation went on without it.
   */
  readableBy(em: EntityManager, agentId: string, claimIds: string[]): Promise<Set<string>>;
}

export const CLAIM_CONVERSATIONS = Symbol('CLAIM_CONVERSATIONS');
