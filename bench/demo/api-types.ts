/** The parts of the API's answers the demo reads (see docs/api.md and /docs-json). */

export interface Money {
  amountMinor: number;
  currency: string;
}

export interface Registered {
  user: { id: string; email: string; role: string; companyId: string | null };
  accessToken: string;
}

export interface Tokens {
  accessToken: string;
}

export interface ApiKeyCreated {
  id: string;
  prefix: string;
  key: string;
}

export interface Shift {
  id: string;
  title: string | null;
  startsAt: string;
  endsAt: string;
  seats: number;
  seatsLeft: number;
  ratePerTicket: Money;
}

export interface OpenShift extends Shift {
  companyName: string;
}

export interface ShiftClaim {
  id: string;
  shiftId: string;
  status: string;
  checkInDeadline: string;
}

export interface TicketSkill {
  skill: string;
  minLevel: number;
  requestedLevel: number;
}

export interface TicketClaim {
  agentId: string;
  displayName: string;
  status: 'active' | 'released' | 'resolved';
  claimedAt: string;
  releasedBy: string | null;
  resolvedAt: string | null;
  pay: Money | null;
  reopenedAt: string | null;
}

export interface Ticket {
  id: string;
  companyId: string;
  externalId: string;
  subject: string;
  priority: string;
  effectivePriority: string;
  language: string;
  status: 'open' | 'claimed' | 'resolved';
  requiredSkills: TicketSkill[];
  slaDeadline: string;
  slaBreachedAt: string | null;
  claimedAt: string | null;
  resolvedAt: string | null;
  reopenCount: number;
  createdAt: string;
  claims?: TicketClaim[];
  metadata?: Record<string, unknown>;
}

export interface AgentTicket extends Ticket {
  claimId: string;
  pay: Money;
}

export interface PayoutAccount {
  stripeAccountId: string;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  requirements: string[];
}

export interface Onboarding extends PayoutAccount {
  onboardingUrl: string;
}

export interface EarningLine {
  kind: string;
  bucket: 'pending' | 'available';
  amountMinor: number;
  currency: string;
  ticketId: string | null;
  memo: string | null;
}

export interface Earnings {
  balances: { currency: string; pending: number; available: number; paid: number }[];
  lines: EarningLine[];
  nextCursor: string | null;
}

export interface PayoutLine {
  agentId: string;
  amountMinor: number;
  /** What the transfer carried (at most the drafted amount); null until sent. */
  transferMinor: number | null;
  status: 'held' | 'pending' | 'processing' | 'paid' | 'failed' | 'abandoned';
  heldReason: string | null;
  failureCode: string | null;
}

export interface PayoutRun {
  id: string;
  status: string;
  currency: string;
  stripeMode: 'live' | 'test' | 'fake';
  totals: {
    draftedLines: number;
    draftedMinor: number;
    payableLines: number;
    payableMinor: number;
    heldLines: number;
    heldMinor: number;
    paidLines: number;
    paidMinor: number;
    failedLines: number;
    abandonedLines: number;
    inFlightLines: number;
  };
  lines?: PayoutLine[];
}

export interface Reconciliation {
  /** Lines (and transfers no line knows) per category. */
  counts: {
    matched: number;
    amount_mismatch: number;
    missing_at_stripe: number;
    unexpected_at_stripe: number;
    not_sent: number;
  };
}

export interface Statement {
  totals: {
    currency: string;
    tickets: number;
    rateMinor: number;
    feeMinor: number;
    totalMinor: number;
  }[];
}

export interface TrialBalance {
  totals: { currency: string; balanceMinor: number }[];
}
