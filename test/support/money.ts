import { randomUUID } from 'node:crypto';
import { LedgerService } from '../../src/modules/ledger/ledger.service';
import { FakeStripe } from '../../src/modules/stripe/fake-stripe.server';
import type { TestApp } from './test-app';

/** Puts money in an agent's available balance (as released earnings would). */
export async function fund(t: TestApp, agentId: string, amountMinor: number, currency = 'EUR') {
  await t.db.transaction((em) =>
    t.app.get(LedgerService).post(em, {
      kind: 'adjustment',
      idempotencyKey: `test-fund:${randomUUID()}`,
      currency,
      agentId,
      memo: 'test funding',
      lines: [
        { account: 'agent_available', ownerId: agentId, amountMinor: -amountMinor },
        { account: 'platform_adjustments', ownerId: null, amountMinor: amountMinor },
      ],
    }),
  );
}

/** An onboarded agent: a Stripe account that can receive transfers, known to us as enabled. */
export async function onboarded(t: TestApp, fake: FakeStripe, agentId: string): Promise<string> {
  const account = await fake.client().accounts.create({ type: 'express' });
  fake.updateAccount(account.id, {
    payouts_enabled: true,
    details_submitted: true,
    capabilities: { transfers: 'active' },
    requirements: { currently_due: [] },
  });
  await t.db.query(
    `INSERT INTO payout_accounts (agent_id, stripe_account_id, payouts_enabled, details_submitted)
     VALUES ($1, $2, true, true)`,
    [agentId, account.id],
  );
  return account.id;
}
