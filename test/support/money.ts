import { randomUUID } from 'node:crypto';
import { LedgerService } from '../../src/modules/ledger/ledger.service';
import { FakeStripe } from '../../src/modules/stripe/fake-stripe.server';
import { STRIPE_SETTINGS, type StripeSettings } from '../../src/modules/stripe/stripe.module';
import { createStaff, type SignedIn } from './factories';
import { createTestApp, type TestApp } from './test-app';

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

/**
 * An app whose workers execute payout runs (minimum 10.00, 50 Stripe calls a second), with its
 * fake Stripe and two finance users: the run's maker and its checker.
 */
export async function payoutsApp(
  env: Record<string, string> = {},
): Promise<{ t: TestApp; fake: FakeStripe; maker: SignedIn; checker: SignedIn }> {
  const t = await createTestApp({
    workers: true,
    env: {
      PAYOUT_MINIMUM_MINOR: '1000',
      STRIPE_RATE_PER_SECOND: '50',
      OUTBOX_POLL_MS: '100',
      ...env,
    },
  });
  const fake = t.app.get<StripeSettings>(STRIPE_SETTINGS).fake!;
  return {
    t,
    fake,
    maker: await createStaff(t, 'finance'),
    checker: await createStaff(t, 'finance'),
  };
}
