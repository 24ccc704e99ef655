/*
 * The ticket and claim state machines. The database enforces the same tables (the CHECK
 * constraints ck_tickets_status, ck_ticket_claims_status, ck_ticket_claims_released_by and the
 * triggers trg_tickets_transition, trg_ticket_claims_transition); test/ticket-rules.e2e-spec.ts
 * reads them from the database and fails when either side changes alone.
 */

/** How urgent a ticket is (a breached SLA raises it: `effectivePriority`). */
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const TICKET_STATUSES = ['open', 'claimed', 'resolved', 'withdrawn'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/**
 * Ticket states and their moves: claimed by an agent, given back (release, handle timeout,
 * shift end, transfer), resolved, reopened; withdrawn by the company's bot while open or
 * claimed (the customer left or was helped), which is final.
 */
export const TICKET_TRANSITIONS: { readonly [S in TicketStatus]: readonly TicketStatus[] } = {
  open: ['claimed', 'withdrawn'],
  claimed: ['open', 'resolved', 'withdrawn'],
  resolved: ['open'],
  withdrawn: [],
};

export const TICKET_CLAIM_STATUSES = ['active', 'released', 'resolved'] as const;
export type TicketClaimStatus = (typeof TICKET_CLAIM_STATUSES)[number];

/** A claim ends once: released or resolved (a reopen marks it, it keeps its status). */
export const TICKET_CLAIM_TRANSITIONS: {
  readonly [S in TicketClaimStatus]: readonly TicketClaimStatus[];
} = {
  active: ['released', 'resolved'],
  released: [],
  resolved: [],
};

/**
 * Who gave a ticket back (ticket_claims.released_by): `transfer` is the holder sending it back
 * with other skills, `withdrawn` the bot withdrawing it before the holder wrote to the customer.
 */
export const RELEASED_BY = [
  'agent',
  'handle_timeout',
  'shift_end',
  'suspension',
  'transfer',
  'withdrawn',
] as const;
export type ReleasedBy = (typeof RELEASED_BY)[number];
