/**
 * Every table and SQL function has one owning module: only that module's files hold SQL (or
 * TypeORM repository use) naming it; other modules go through the owner's exported service.
 * test/ownership.e2e-spec.ts reads every module's SQL and the database's functions against this
 * map. docs/architecture.md ("Data access") explains the rule.
 */
export const TABLE_OWNERS = {
  users: 'users',
  companies: 'companies',
  api_keys: 'companies',
  refresh_tokens: 'auth',
  skills: 'skills',
  agents: 'agents',
  agent_skills: 'agents',
  certifications: 'agents',
  shifts: 'shifts',
  shift_required_skills: 'shifts',
  shift_claims: 'shifts',
  shift_waitlist: 'shifts',
  tickets: 'tickets',
  ticket_claims: 'tickets',
  ticket_cooldowns: 'tickets',
  ticket_messages: 'tickets',
  ledger_accounts: 'ledger',
  journal_entries: 'ledger',
  journal_lines: 'ledger',
  earnings: 'ledger',
  ledger_adjustments: 'ledger',
  payout_accounts: 'payouts',
  payout_account_allowances: 'payouts',
  payout_runs: 'payouts',
  payout_lines: 'payouts',
  stripe_events: 'payouts',
  webhook_endpoints: 'webhooks',
  webhook_deliveries: 'webhooks',
  outbox: 'outbox',
  idempotency_keys: 'idempotency',
  events: 'events',
  offers: 'tickets',
  billing_customers: 'billing',
  invoices: 'billing',
  invoice_lines: 'billing',
  invoiced_entries: 'ledger',
  credit_controls: 'billing',
  fake_stripe_state: 'stripe',
  ticket_ratings: 'quality',
  ticket_reviews: 'quality',
  agent_quality: 'quality',
} as const;

export type TableName = keyof typeof TABLE_OWNERS;
export type OwningModule = (typeof TABLE_OWNERS)[TableName];

/** SQL functions (migrations), each owned like a table. */
export const FUNCTION_OWNERS = {
  agent_context: 'tickets',
  ticket_candidates: 'tickets',
  ticket_claim_history: 'tickets',
  claim_next_ticket: 'tickets',
  write_ticket_claim: 'tickets',
  resolve_ticket: 'tickets',
  tickets_transition: 'tickets',
  ticket_claims_transition: 'tickets',
  ticket_claims_resolved_seq: 'tickets',
  ticket_messages_number: 'tickets',
  shifts_transition: 'shifts',
  shift_claims_transition: 'shifts',
  journal_entry_balanced: 'ledger',
  journal_entry_has_lines: 'ledger',
  ledger_adjustment_decided_once: 'ledger',
  earning_fixed: 'ledger',
  ledger_append_only: 'ledger',
  events_from_outbox: 'events',
  events_ticket_escalated: 'events',
  offers_route_request: 'tickets',
  offers_route_for_agent: 'tickets',
  agents_offers_route: 'tickets',
  surge_quote: 'tickets',
  surge_committed: 'tickets',
  surge_lock: 'tickets',
} as const;

/**
 * Statements that name other modules' tables on purpose: each would cost round trips or a
 * transaction on the hottest paths if split through the owners' services. `where` is a module
 * file (`<module>/<path>`) or `function <name>`; `names` the foreign tables it may name.
 */
export const DECLARED_EXCEPTIONS: readonly {
  where: string;
  names: readonly string[];
  reason: string;
}[] = [
  {
    where: 'tickets/ticket-intake.repository.ts',
    names: ['skills', 'outbox', 'credit_controls'],
    reason:
      'An escalation is one statement (ticket, SLA timer job, answer; required skills checked ' +
      'against the catalogue; flagged when billing holds the company): bot intake is a hot ' +
      'path (bench/intake), ADR 0005.',
  },
  {
    where: 'function claim_next_ticket',
    names: ['agents', 'outbox'],
    reason:
      'Claim-next is one database call: lock the agent, pick, claim, write the events ' +
      '(ADR 0008; bench/claim-storm, bench/matching).',
  },
  {
    where: 'function agent_context',
    names: ['agents', 'agent_skills', 'certifications', 'shift_claims', 'shifts', 'companies'],
    reason: 'What claim-next knows of the agent and its live shift, in the same call (ADR 0008).',
  },
  {
    where: 'function surge_quote',
    names: ['shifts', 'shift_claims'],
    reason:
      "A claim's surge (its shift's settings, the agents checked in on it) is fixed by the " +
      'claim write itself, in both claim paths (write_ticket_claim).',
  },
  {
    where: 'function ticket_claim_history',
    names: ['agents'],
    reason: "A ticket's claims with the agents' names, returned by the same call (ADR 0008).",
  },
  {
    where: 'function write_ticket_claim',
    names: ['outbox'],
    reason: 'A claim and its events are written together by both claim paths (ADR 0008).',
  },
  {
    where: 'function resolve_ticket',
    names: ['agents', 'shifts', 'outbox'],
    reason:
      "Resolve is one database call: the suspension check, the rate of the claim's shift, the " +
      'resolution and its event and ledger job (ADR 0008; bench/latency).',
  },
  {
    where: 'function events_from_outbox',
    names: ['outbox'],
    reason:
      'The trigger on outbox rows of the five ticket event types copies each into the events ' +
      'store in the same transaction, whichever writer (TypeScript or write_ticket_claim) made it.',
  },
  {
    where: 'tickets/offer-routing.repository.ts',
    names: ['shift_claims', 'shifts', 'agents', 'agent_quality', 'agent_skills'],
    reason:
      'The push router reads the candidate agents of a company (live push seat, available, ' +
      'below the limit) in its order (fairness floor, quality tier, longest wait) in one ' +
      'statement, and which of a batch could take a waiting ticket in another; each is ' +
      're-checked under its lock.',
  },
  {
    where: 'ledger/earnings.repository.ts',
    names: ['ticket_claims'],
    reason:
      "The ledger's integrity check finds resolutions with no earning in one anti-join (0.46 s " +
      'at a million claims; paging the claims through the tickets service took 8.7 s), and ' +
      'reopened claims whose earning is not reversed in one join along two partial indexes ' +
      '(18 ms at a million claims, 30,301 reopened).',
  },
  {
    where: 'function offers_route_request',
    names: ['shifts', 'outbox'],
    reason:
      'A trigger on tickets, ticket_claims and shift_claims asks for the router (outbox job) in ' +
      'the transaction that opened a ticket or freed an agent, whichever writer made it.',
  },
  {
    where: 'function offers_route_for_agent',
    names: ['shift_claims', 'shifts', 'outbox'],
    reason:
      'Asks for the router of the company whose push shift the agent is live on, in the ' +
      'transaction that made the agent room (a claim ended, a higher limit, more skills).',
  },
];
