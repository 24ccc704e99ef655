/**
 * TanStack Query keys, in one place: the live events (live-events.ts) invalidate by these, so a
 * page and the event that changes its data cannot drift apart.
 */
export const keys = {
  profile: ['me', 'profile'] as const,
  mySkills: ['me', 'skills'] as const,
  skills: ['skills'] as const,
  payoutAccount: ['me', 'payout-account'] as const,
  /** The open shifts' pages; the first also answers the shifts the agent cannot take. */
  openShifts: ['shifts', 'open'] as const,
  seats: ['me', 'claims'] as const,
  availability: ['me', 'availability'] as const,
  offers: ['me', 'offers'] as const,
  queue: ['me', 'queue'] as const,
  myTickets: ['me', 'tickets'] as const,
  /** Under myTickets: invalidating the held tickets re-reads an open ticket page too. */
  myTicket: (ticketId: string) => ['me', 'tickets', ticketId] as const,
  messages: (ticketId: string) => ['tickets', ticketId, 'messages'] as const,
  earnings: ['me', 'earnings'] as const,
  payouts: ['me', 'payouts'] as const,
  reliability: ['me', 'reliability'] as const,
  quality: ['me', 'quality'] as const,
  /** The ratings and reviews of the agent's work; a dispute changes them and the score. */
  feedback: ['me', 'quality', 'feedback'] as const,
  // A company admin's.
  apiKeys: ['company', 'api-keys'] as const,
  webhook: ['company', 'webhook'] as const,
  deliveries: ['company', 'webhook-deliveries'] as const,
  /** The company's tickets (the live queue pages, a ticket's page): ticket events refresh them. */
  companyTickets: ['company', 'tickets'] as const,
  /**
   * What the company's resolved work adds up to (its statement, its handoff quality): heavy
   * reads that only a resolution, a reopen, a withdrawal or a transfer change, not each message.
   */
  companyResults: ['company', 'results'] as const,
  companyShifts: ['company', 'shifts'] as const,
  /** The agents who held seats on the company's shifts, and its certified ones. */
  companyAgents: ['company', 'agents'] as const,
  /** The company's billing: card, outstanding, invoicing settings. */
  billing: ['company', 'billing'] as const,
  // Finance's.
  /** Payout runs (the list, each run's page): payout_run.* events refresh them. */
  payoutRuns: ['finance', 'payout-runs'] as const,
  payoutRun: (runId: string) => ['finance', 'payout-runs', runId] as const,
  adjustments: ['finance', 'adjustments'] as const,
  ledger: ['finance', 'ledger'] as const,
  /** Every company's invoices and the ageing of what is owed. */
  receivables: ['finance', 'receivables'] as const,
  // Staff's (finance and admin).
  agentDirectory: ['staff', 'agents'] as const,
  staffUsers: ['admin', 'staff'] as const,
  /** Disputed reviews, by state. */
  disputedReviews: ['admin', 'disputed-reviews'] as const,
};
