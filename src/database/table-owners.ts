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
  ledger_accounts: 'ledger',
  journal_entries: 'ledger',
  journal_lines: 'ledger',
  earnings: 'ledger',
  ledger_adjustments: 'ledger',
  payout_accounts: 'payouts',
  payout_runs: 'payouts',
  payout_lines: 'payouts',
  stripe_events: 'payouts',
  webhook_endpoints: 'webhooks',
  webhook_deliveries: 'webhooks',
  outbox: 'outbox',
} as const;

export type TableName = keyof typeof TABLE_OWNERS;
export type OwningModule = (typeof TABLE_OWNERS)[TableName];
