import { randomUUID } from 'node:crypto';
import { LedgerService } from '../../src/modules/ledger/ledger.service';
import { FakeStripe } from '../../src/modules/stripe/fake-stripe.server';
import { saveCard } from '../support/billing';
import { registerCompany } from '../support/factories';
import { fakeStripeEnv, fakeStripeWorker } from '../support/faults-payouts';
import { ensureKilled, Spawned } from '../support/processes';
import { createTestApp, TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait-for';

/*
 * Closing billing periods under a worker SIGKILLed mid-way (Stripe answering slowly, so the
 * kill lands while invoices are being created, filled, finalized and charged), then two
 * workers racing to finish: every period closes into exactly one invoice, every booking is
 * billed once, Stripe holds one invoice and one charge for each, and nothing stays owed.
 */

const COMPANIES = 12;
const TICKETS = 3;
const PER_TICKET = 288;
const STRIPE_LATENCY_MS = 150;

describe('billing periods closed by workers that are killed and race', () => {
  const fake = new FakeStripe();
  let t: TestApp;
  const workers: Spawned[] = [];

  beforeAll(async () => {
    await fake.start();
    t = await createTestApp({ env: fakeStripeEnv(fake) });
  });
  afterAll(async () => {
    ensureKilled(...workers);
    await t?.close();
    await fake.stop();
  });

  const worker = () => {
    const w = fakeStripeWorker(t, fake, { BILLING_SWEEP_MS: '1000' });
    workers.push(w);
    return w;
  };
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await t.db.query(sql, params))[0].n);

  it('closes each period once and charges each invoice once', async () => {
    const companies: string[] = [];
    for (let i = 0; i < COMPANIES; i++) {
      const company = await registerCompany(t, `Killed ${i}`);
      await saveCard(t, fake, company);
      // Bookings of resolved tickets, as the ledger made them ten days ago.
      for (let n = 0; n < TICKETS; n++) {
        await t.db.transaction((em) =>
          t.app.get(LedgerService).post(em, {
            kind: 'earning',
            idempotencyKey: `drill-earning:${randomUUID()}`,
            currency: 'EUR',
            companyId: company.companyId,
            lines: [
              {
                account: 'company_receivable',
                ownerId: company.companyId,
                amountMinor: PER_TICKET,
              },
              { account: 'platform_fees', ownerId: null, amountMinor: -PER_TICKET },
            ],
          }),
        );
      }
      companies.push(company.companyId!);
    }
    await t.db.transaction(async (em) => {
      await em.query('SET LOCAL session_replication_role = replica');
      await em.query(
        `UPDATE journal_entries SET created_at = now() - interval '10 days'
          WHERE company_id = ANY($1) AND kind = 'earning'`,
        [companies],
      );
    });
    fake.faults = { rate: 0, latencyMs: STRIPE_LATENCY_MS };

    const first = worker();
    await first.waitForOutput(/Handoff worker started/);
    await waitUntil(
      () => count(`SELECT count(*) AS n FROM invoices WHERE status <> 'draft'`),
      (issued) => issued >= 3,
      '3 invoices issued',
      60_000,
    );
    first.proc.kill('SIGKILL');
    await first.exited;
    expect(await count(`SELECT count(*) AS n FROM invoices WHERE status = 'paid'`)).toBeLessThan(
      COMPANIES,
    );

    // Two workers finish what it left, racing each other.
    const [second, third] = [worker(), worker()];
    await Promise.all([second, third].map((w) => w.waitForOutput(/Handoff worker started/)));
    try {
      await waitUntil(
        () => count(`SELECT count(*) AS n FROM invoices WHERE status = 'paid'`),
        (paid) => paid === COMPANIES,
        'every invoice paid',
        90_000,
      );
    } catch (e) {
      // What was left, and what the workers said, for the failure's reader.
      console.error(
        JSON.stringify(await t.db.query(`SELECT id, status, last_payment_error FROM invoices`)),
        second
          .output()
          .split('\n')
          .filter((l) => /warn|error|"level":[45]/.test(l))
          .slice(-20)
          .join('\n'),
      );
      throw e;
    }
    for (const w of [second, third]) w.proc.kill('SIGTERM');
    await Promise.all([second.exited, third.exited]);

    const invoices: { id: string; company_id: string; total_minor: string }[] = await t.db.query(
      `SELECT id, company_id, total_minor FROM invoices WHERE company_id = ANY($1)`,
      [companies],
    );
    expect(invoices).toHaveLength(COMPANIES);
    expect(new Set(invoices.map((i) => i.company_id)).size).toBe(COMPANIES);
    expect(invoices.every((i) => Number(i.total_minor) === TICKETS * PER_TICKET)).toBe(true);
    expect(await count(`SELECT count(*) AS n FROM invoiced_entries`)).toBe(COMPANIES * TICKETS);
    for (const invoice of invoices) {
      const atStripe = [...fake.invoicing.invoices.values()].filter(
        (s) => (s.metadata as Record<string, string>).invoiceId === invoice.id,
      );
      expect(atStripe).toHaveLength(1);
      expect(atStripe[0].total).toBe(TICKETS * PER_TICKET);
      const charges = [...fake.invoicing.charges.values()].filter(
        (c) => (c.metadata as Record<string, string>).invoice === atStripe[0].id,
      );
      expect(charges).toHaveLength(1);
    }
    const owed = await count(
      `SELECT coalesce(sum(l.amount_minor), 0) AS n FROM journal_lines l
         JOIN ledger_accounts a ON a.id = l.account_id
        WHERE a.code = 'company_receivable' AND a.owner_id = ANY($1)`,
      [companies],
    );
    expect(owed).toBe(0);
    expect(
      await count(`SELECT count(*) AS n FROM journal_entries WHERE kind = 'invoice_payment'`),
    ).toBe(COMPANIES);
  }, 180_000);
});
