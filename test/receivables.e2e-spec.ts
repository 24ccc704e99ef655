import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { InvoiceClosingService } from '../src/modules/billing/invoice-closing.service';
import { InvoiceCollectionService } from '../src/modules/billing/invoice-collection.service';
import { InvoiceDisputesService } from '../src/modules/billing/invoice-disputes.service';
import { InvoiceReceivablesRepository } from '../src/modules/billing/invoice-receivables.repository';
import { InvoiceStripeStateService } from '../src/modules/billing/invoice-stripe-state.service';
import { InvoicesRepository } from '../src/modules/billing/invoices.repository';
import { ReceivablesService } from '../src/modules/billing/receivables.service';
import { WithheldCreditsService } from '../src/modules/billing/withheld-credits.service';
import { LedgerService } from '../src/modules/ledger/ledger.service';
import { StripeEventsService } from '../src/modules/payouts/stripe-events.service';
import type { FakeStripe } from '../src/modules/stripe/fake-stripe.server';
import { STRIPE, STRIPE_SETTINGS, type StripeSettings } from '../src/modules/stripe/stripe.module';
import {
  deliverBillingEvents,
  postStripeEvent,
  resolveTickets,
  runJobs,
  saveCard,
} from './support/billing';
import { createApiKey, createStaff, registerCompany, type SignedIn } from './support/factories';
import { runBuilt } from './support/processes';
import { TEST_REDIS_URL } from './support/services';
import { createTestApp, TEST_JWT_SECRET, TEST_SECRETS_KEY, type TestApp } from './support/test-app';
import { waitForLockWaiters, withRowsHeld } from './support/row-locks';
import { liveAgents } from './support/tickets';

const DAY = 86_400_000;
const PER_TICKET = 250 + 38;

/**
 * Finance's receivables (issue 18): disputes held and settled in the ledger, credit notes and
 * write-offs, every company's invoices, and what is owed by age.
 */
describe('receivables', () => {
  let t: TestApp;
  let fake: FakeStripe;
  let finance: SignedIn;
  beforeAll(async () => {
    t = await createTestApp({ env: { PLATFORM_FEE_BPS: '1500' } });
    fake = t.app.get<StripeSettings>(STRIPE_SETTINGS).fake!;
    fake.platformWebhook = null;
    finance = await createStaff(t, 'finance');
  });
  afterAll(async () => {
    await t.close();
  });

  /** A company whose one invoice (n tickets) was issued; `decline` leaves it past due. */
  async function invoiced(name: string, n: number, decline?: 'card_declined') {
    const company = await registerCompany(t, name);
    await saveCard(t, fake, company, decline);
    const key = await createApiKey(t, company);
    const { agents } = await liveAgents(t, company.auth, 1);
    const tickets = await resolveTickets(t, key, agents[0], n);
    await t.app.get(InvoiceClosingService).sweep(new Date(Date.now() + 8 * DAY));
    await runJobs(t, ['billing.invoice-issue']);
    const [invoice] = (await t.http.get('/v1/companies/me/invoices').set(company.auth).expect(200))
      .body.items;
    return { company, invoice, tickets, key, agent: agents[0] };
  }
  /** The company's bot sends a resolved ticket back; the ledger books the reversal. */
  const reopen = async (company: SignedIn, ticketId: string) => {
    await t.http
      .post(`/v1/tickets/${ticketId}/reopen`)
      .set(company.auth)
      .send({ reason: 'the customer wrote back' })
      .expect(200);
    await runJobs(t, ['ledger.ticket-event']);
  };
  /** Closes the periods due `days` from now; returns the company's newest invoice. */
  const closeAt = async (company: SignedIn, days: number) => {
    await t.app.get(InvoiceClosingService).sweep(new Date(Date.now() + days * DAY));
    return financeInvoice(company.companyId);
  };
  /** The company's bank disputes the invoice's charge and wins: each step's events applied. */
  const disputeLost = async (invoiceNumber: string) => {
    const from = fake.billingEvents.length;
    const dispute = fake.invoicing.dispute(chargeOf(invoiceNumber).id)!;
    await deliverBillingEvents(t, fake, from);
    const closedFrom = fake.billingEvents.length;
    fake.invoicing.closeDispute(dispute.id, 'lost');
    await deliverBillingEvents(t, fake, closedFrom);
  };
  /** The company pays a written-off invoice on its hosted page with a card that works. */
  const paidAfterAll = async (company: SignedIn, invoiceNumber: string) => {
    const stripeInvoice = [...fake.invoicing.invoices.values()].find(
      (i) => i.number === invoiceNumber,
    )!;
    const card = await saveCard(t, fake, company);
    const from = fake.billingEvents.length;
    await t.app.get<Stripe>(STRIPE).invoices.pay(stripeInvoice.id, { payment_method: card });
    await deliverBillingEvents(t, fake, from);
  };
  /** Someone voids the invoice in Stripe's dashboard; its events are applied. */
  const voidedAtStripe = async (invoiceNumber: string) => {
    const stripeInvoice = [...fake.invoicing.invoices.values()].find(
      (i) => i.number === invoiceNumber,
    )!;
    const from = fake.billingEvents.length;
    await t.app.get<Stripe>(STRIPE).invoices.voidInvoice(stripeInvoice.id);
    await deliverBillingEvents(t, fake, from);
  };
  /** An invoice's lines as [kind, amount] pairs. */
  const linesOf = (invoice: { lines: { kind: string; amountMinor: number }[] }) =>
    invoice.lines.map((l) => [l.kind, l.amountMinor]);
  const writeOff = (invoiceId: string) =>
    t.http
      .post(`/v1/invoices/${invoiceId}/write-off`)
      .set(finance.auth)
      .send({ reason: 'Company insolvent' })
      .expect(200);
  const owed = async (companyId: string | null) =>
    (await t.app.get(LedgerService).balances(t.db.manager, companyId!)).find(
      (b) => b.account === 'company_receivable',
    )?.balance ?? 0;
  const platform = async (code: string, currency = 'EUR') => {
    const [row]: { balance: string | null }[] = await t.db.query(
      `SELECT sum(l.amount_minor) AS balance FROM journal_lines l
         JOIN ledger_accounts a ON a.id = l.account_id
        WHERE a.code = $1 AND a.currency = $2`,
      [code, currency],
    );
    return Number(row.balance ?? 0);
  };
  const chargeOf = (invoiceNumber: string) => {
    const stripeInvoice = [...fake.invoicing.invoices.values()].find(
      (i) => i.number === invoiceNumber,
    )!;
    return [...fake.invoicing.charges.values()].find(
      (c) => (c.metadata as Record<string, string>).invoice === stripeInvoice.id,
    )!;
  };
  /** Finance's credit note on the invoice, under the Idempotency-Key given. */
  const creditNote = (invoiceId: string, key: string, amountMinor: number, reason: string) =>
    t.http
      .post(`/v1/invoices/${invoiceId}/credit-notes`)
      .set(finance.auth)
      .set('Idempotency-Key', key)
      .send({ amountMinor, reason });
  const financeInvoice = async (companyId: string | null) =>
    (await t.http.get(`/v1/invoices?companyId=${companyId}`).set(finance.auth).expect(200)).body
      .items[0];

  it('a disputed charge is held; lost, the company owes it again and a credit note clears it, never beyond what it owes', async () => {
    const { company, invoice } = await invoiced('Disputer SA', 2);
    expect(invoice.status).toBe('paid');
    const cashBefore = await platform('platform_cash');
    const from = fake.billingEvents.length;
    const dispute = fake.invoicing.dispute(chargeOf(invoice.number).id)!;
    await deliverBillingEvents(t, fake, from);
    await deliverBillingEvents(t, fake, from); // twice: booked once
    expect(await platform('platform_cash')).toBe(cashBefore - 2 * PER_TICKET);
    expect(await financeInvoice(company.companyId)).toMatchObject({
      companyName: 'Disputer SA',
      disputeId: dispute.id,
      disputeStatus: 'needs_response',
      disputedMinor: 2 * PER_TICKET,
    });
    expect(await owed(company.companyId)).toBe(0);

    const closedFrom = fake.billingEvents.length;
    fake.invoicing.closeDispute(dispute.id, 'lost');
    await deliverBillingEvents(t, fake, closedFrom);
    expect(await owed(company.companyId)).toBe(2 * PER_TICKET);
    expect((await financeInvoice(company.companyId)).disputeStatus).toBe('lost');
    // The company reads it on its own invoice too: paid, and owed again by the dispute (its
    // console said only "paid" beside what it owed).
    const own = async () =>
      (await t.http.get('/v1/companies/me/invoices').set(company.auth).expect(200)).body.items[0];
    expect(await own()).toMatchObject({
      status: 'paid',
      disputeStatus: 'lost',
      disputedMinor: 2 * PER_TICKET,
      creditedMinor: 0,
      rebilledMinor: 0,
      rebilledAt: null,
    });
    expect(await own()).not.toHaveProperty('disputeId');
    // Owed again since the invoice's period, not "current": aged by its days (40 here).
    await t.db.query(
      `UPDATE invoices SET period_start = now() - interval '70 days',
                           period_end = now() - interval '40 days' WHERE id = $1`,
      [invoice.id],
    );
    const ageingRow = async () =>
      (
        await t.http.get('/v1/receivables/ageing').set(finance.auth).expect(200)
      ).body.companies.find((r: { companyId: string }) => r.companyId === company.companyId);
    expect(await ageingRow()).toMatchObject({
      currentMinor: 0,
      days31To60Minor: 2 * PER_TICKET,
      totalMinor: 2 * PER_TICKET,
    });

    const tooMuch = await t.http
      .post(`/v1/invoices/${invoice.id}/credit-notes`)
      .set(finance.auth)
      .set('Idempotency-Key', randomUUID())
      .send({ amountMinor: 2 * PER_TICKET + 1, reason: 'Dispute lost' })
      .expect(409);
    expect(tooMuch.body.error).toMatchObject({
      code: 'CREDIT_EXCEEDS_OWED',
      details: { creditableMinor: 2 * PER_TICKET },
    });
    // Money a person reads, not minor units.
    expect(tooMuch.body.error.message).toMatch(/^At most €\d+\.\d\d can be credited/);
    const key = randomUUID();
    const note = () => creditNote(invoice.id, key, 2 * PER_TICKET, 'Dispute lost: not re-billed');
    const credited = await note().expect(201);
    await note().expect(201); // the same request again: answered, not credited twice
    expect(credited.body.creditedMinor).toBe(2 * PER_TICKET);
    expect(await owed(company.companyId)).toBe(0);
    expect(await own()).toMatchObject({ disputeStatus: 'lost', creditedMinor: 2 * PER_TICKET });
    expect(await ageingRow()).toBeUndefined();
    const integrity = await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200);
    expect(integrity.body.unbalancedCurrencies).toEqual([]);
  });

  it('bills the rest of a lost dispute again on the next invoice, where Stripe collects it, never with a credit note on the same amount', async () => {
    const { company, invoice } = await invoiced('Rebilled SA', 2);
    const undisputed = await invoiced('Undisputed SA', 1);
    const billAgain = (invoiceId: string) =>
      t.http.post(`/v1/invoices/${invoiceId}/bill-dispute-again`).set(finance.auth);
    // Nothing a lost dispute took back: nothing to bill again.
    const refused = await billAgain(undisputed.invoice.id).expect(409);
    expect(refused.body.error).toMatchObject({ code: 'INVOICE_STATE' });
    await disputeLost(invoice.number);
    expect(await owed(company.companyId)).toBe(2 * PER_TICKET);
    // Finance lets half go, and bills the rest again.
    await creditNote(invoice.id, randomUUID(), PER_TICKET, 'Half forgiven').expect(201);
    const billed = await billAgain(invoice.id).expect(200);
    expect(billed.body).toMatchObject({ rebilledMinor: PER_TICKET, creditedMinor: PER_TICKET });
    expect(billed.body.rebilledAt).not.toBeNull();
    await billAgain(invoice.id).expect(200); // again: answered as it is, booked once
    const [{ count }]: { count: string }[] = await t.db.query(
      `SELECT count(*) FROM journal_entries WHERE idempotency_key LIKE 'dispute-rebill%'`,
    );
    expect(Number(count)).toBe(2); // moved out of the owed-again receivable, and in as billable
    // The receivable is what it was: only when it is owed moved. No credit note on it now.
    expect(await owed(company.companyId)).toBe(PER_TICKET);
    const late = await creditNote(invoice.id, randomUUID(), 1, 'And one cent').expect(409);
    expect(late.body.error).toMatchObject({
      code: 'CREDIT_EXCEEDS_OWED',
      details: { creditableMinor: 0 },
    });
    // Not aged on the disputed invoice any more (its period ended 40 days ago): booked, to be
    // invoiced (current).
    await t.db.query(
      `UPDATE invoices SET period_start = now() - interval '70 days',
                           period_end = now() - interval '40 days' WHERE id = $1`,
      [invoice.id],
    );
    const ageing = await t.http.get('/v1/receivables/ageing').set(finance.auth).expect(200);
    expect(
      ageing.body.companies.find((r: { companyId: string }) => r.companyId === company.companyId),
    ).toMatchObject({ currentMinor: PER_TICKET, days31To60Minor: 0, totalMinor: PER_TICKET });

    const next = await closeAt(company, 40);
    expect(next.id).not.toBe(invoice.id);
    expect(linesOf(next)).toEqual([['rebilled_disputes', PER_TICKET]]);
    expect(next.lines[0].description).toMatch(/bank took back.*billed again/);
    expect(next.totalMinor).toBe(PER_TICKET);
    await runJobs(t, ['billing.invoice-issue']);
    expect((await financeInvoice(company.companyId)).status).toBe('paid');
    expect(await owed(company.companyId)).toBe(0);
    // Billed once: a later closing finds nothing more of it.
    expect((await closeAt(company, 80)).id).toBe(next.id);
    const integrity = await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200);
    expect(integrity.body.unbalancedCurrencies).toEqual([]);
  });

  it('a lost dispute won on appeal: the money is back, and what the loss booked is undone as finance left it (owed, credited, withheld, billed again)', async () => {
    const { company, invoice, tickets } = await invoiced('Appealed SA', 3);
    const cashBefore = await platform('platform_cash');
    const badDebtBefore = await platform('platform_bad_debt');
    const dispute = fake.invoicing.dispute(chargeOf(invoice.number).id)!;
    const closedFrom = fake.billingEvents.length - 1;
    fake.invoicing.closeDispute(dispute.id, 'lost');
    await deliverBillingEvents(t, fake, closedFrom);
    expect(await owed(company.companyId)).toBe(3 * PER_TICKET);
    // A ticket reopened (its credit), then finance lets one ticket's worth go (which withholds
    // that credit) and bills the rest again on the next invoice.
    await reopen(company, tickets[0]);
    await creditNote(invoice.id, randomUUID(), PER_TICKET, 'Dispute lost').expect(201);
    await t.http.post(`/v1/invoices/${invoice.id}/bill-dispute-again`).set(finance.auth);
    expect(await owed(company.companyId)).toBe(2 * PER_TICKET);

    const appealFrom = fake.billingEvents.length;
    fake.invoicing.appealDispute(dispute.id);
    await deliverBillingEvents(t, fake, appealFrom);
    expect(await owed(company.companyId)).toBe(2 * PER_TICKET); // still lost while appealed
    expect((await financeInvoice(company.companyId)).disputeStatus).toBe('appeal_under_review');
    const wonFrom = fake.billingEvents.length;
    fake.invoicing.closeDispute(dispute.id, 'won');
    await deliverBillingEvents(t, fake, wonFrom);
    await deliverBillingEvents(t, fake, wonFrom); // twice: booked once

    expect(await platform('platform_cash')).toBe(cashBefore);
    expect(await platform('platform_bad_debt')).toBe(badDebtBefore);
    // The company paid all three after all: the reopened ticket's credit is its own again.
    expect(await owed(company.companyId)).toBe(-PER_TICKET);
    const integrity = await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200);
    expect(integrity.body.unbalancedCurrencies).toEqual([]);
  });

  /**
   * A company's invoice paid, its dispute lost and billed again on the next invoice, which its
   * card (declining now) leaves past due. Returns both invoices and the dispute.
   */
  const lostAndBilledAgain = async (name: string) => {
    const paid = await invoiced(name, 2);
    const from = fake.billingEvents.length;
    const dispute = fake.invoicing.dispute(chargeOf(paid.invoice.number).id)!;
    fake.invoicing.closeDispute(dispute.id, 'lost');
    await deliverBillingEvents(t, fake, from);
    await t.http
      .post(`/v1/invoices/${paid.invoice.id}/bill-dispute-again`)
      .set(finance.auth)
      .expect(200);
    return { ...paid, dispute };
  };
  const billedAgainUnpaid = async (name: string) => {
    const { company, dispute, key, agent, tickets } = await lostAndBilledAgain(name);
    await saveCard(t, fake, company, 'card_declined');
    const billing = await closeAt(company, 15);
    expect(linesOf(billing)).toEqual([['rebilled_disputes', 2 * PER_TICKET]]);
    await runJobs(t, ['billing.invoice-issue']);
    expect((await financeInvoice(company.companyId)).status).toBe('past_due');
    const issued = await financeInvoice(company.companyId);
    return { company, billing: issued, dispute, key, agent, tickets };
  };
  const holdOf = async (companyId: string | null) =>
    (await t.http.get(`/v1/companies/${companyId}/credit`).set(finance.auth).expect(200)).body.hold;
  const appealWon = async (disputeId: string) => {
    const from = fake.billingEvents.length;
    fake.invoicing.appealDispute(disputeId);
    fake.invoicing.closeDispute(disputeId, 'won');
    await deliverBillingEvents(t, fake, from);
  };
  const balanced = async () =>
    expect(
      (await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200)).body
        .unbalancedCurrencies,
    ).toEqual([]);

  it('won on appeal after the invoice billing it again was written off: the bad debt is recovered, nothing credited until that invoice is paid', async () => {
    const { company, billing, dispute } = await billedAgainUnpaid('Appeal Unpaid SA');
    const cash = await platform('platform_cash');
    const badDebt = await platform('platform_bad_debt');
    await writeOff(billing.id);
    expect(await owed(company.companyId)).toBe(0);
    expect(await platform('platform_bad_debt')).toBe(badDebt + 2 * PER_TICKET);

    expect(await holdOf(company.companyId)).toMatchObject({ reason: 'written_off' });
    await appealWon(dispute.id);
    // The bank gave the money back; the company paid none of what was billed again: no credit.
    expect(await platform('platform_cash')).toBe(cash + 2 * PER_TICKET);
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    expect(await owed(company.companyId)).toBe(0);
    // Nothing of the written-off invoice is left unpaid: the company is not held for it.
    expect(await holdOf(company.companyId)).toBeNull();
    expect((await closeAt(company, 22)).id).toBe(billing.id); // nothing to bill

    // It pays the written-off invoice after all: what it paid of a won dispute is credited.
    await paidAfterAll(company, billing.number);
    expect(await owed(company.companyId)).toBe(-2 * PER_TICKET);
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    const next = await closeAt(company, 29);
    expect(linesOf(next)).toEqual([['appealed_disputes', -2 * PER_TICKET]]);
    expect(next.lines[0].description).toMatch(/won on appeal.*credited back/);
    await balanced();
  });

  it('won on appeal while the invoice billing it again was unpaid: credited back, withheld when that invoice is written off, credited if it is paid after all', async () => {
    const { company, billing, dispute } = await billedAgainUnpaid('Appeal Then Unpaid SA');
    const badDebt = await platform('platform_bad_debt');
    await appealWon(dispute.id);
    // Still owed on the billing invoice, credited back on the next: nothing owed net.
    expect(await owed(company.companyId)).toBe(0);
    await writeOff(billing.id);
    // Written off, the company paid none of it: the credit-back is billed back.
    expect(await owed(company.companyId)).toBe(0);
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    await paidAfterAll(company, billing.number);
    expect(await owed(company.companyId)).toBe(-2 * PER_TICKET);
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    const next = await closeAt(company, 22);
    // Credited back, and again once paid; billed back between (a line of its own).
    expect(linesOf(next)).toEqual([
      ['appealed_disputes', -4 * PER_TICKET],
      ['appealed_disputes', 2 * PER_TICKET],
    ]);
    await balanced();
  });

  it('won on appeal before the invoice billing it again closed: both on that invoice, and its write-off bills nothing back', async () => {
    const { company, dispute, key, agent } = await lostAndBilledAgain('Appeal Early SA');
    await appealWon(dispute.id);
    await resolveTickets(t, key, agent, 1); // the period's own charge
    await saveCard(t, fake, company, 'card_declined');
    const billing = await closeAt(company, 15);
    expect(linesOf(billing)).toEqual(
      expect.arrayContaining([
        ['rebilled_disputes', 2 * PER_TICKET],
        ['appealed_disputes', -2 * PER_TICKET],
      ]),
    );
    await runJobs(t, ['billing.invoice-issue']);
    const badDebt = await platform('platform_bad_debt');
    await writeOff(billing.id);
    // Only the period's charge went unpaid; the dispute's charge and credit cancelled out.
    expect(await platform('platform_bad_debt')).toBe(badDebt + billing.totalMinor);
    expect(await owed(company.companyId)).toBe(0);
    expect((await closeAt(company, 22)).id).toBe(billing.id); // nothing billed back
    await balanced();
  });

  it('what a written-off invoice left unpaid is billed back once: its reopened tickets’ credits and its disputes’ credit-backs share it', async () => {
    const { company, dispute, tickets, key, agent } = await lostAndBilledAgain('Shared Room BV');
    // The invoice billing the dispute again (2) also carries the credit of a ticket of the paid
    // invoice reopened (-1) and charges a ticket of its own (1): it leaves 2 unpaid.
    await reopen(company, tickets[0]);
    const [own] = await resolveTickets(t, key, agent, 1);
    await saveCard(t, fake, company, 'card_declined');
    const billing = await closeAt(company, 15);
    expect(billing.totalMinor).toBe(2 * PER_TICKET);
    await runJobs(t, ['billing.invoice-issue']);
    // Won on appeal while it is unpaid (credited back), and its own ticket reopened (credited).
    await appealWon(dispute.id);
    await reopen(company, own);
    expect(await owed(company.companyId)).toBe(-PER_TICKET);
    const badDebt = await platform('platform_bad_debt');
    await writeOff(billing.id);
    // It paid none of the 2 it left unpaid: 2 is billed back out of its bad debt, not 3.
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    // Still owed: the credit of the paid invoice's reopened ticket, which the company paid for.
    expect(await owed(company.companyId)).toBe(-PER_TICKET);
    // All it left unpaid was taken back: it holds the company no more.
    expect(await holdOf(company.companyId)).toBeNull();
    await balanced();
  });

  it('a written-off invoice whose tickets were all reopened holds the company no more: their credits, withheld, settled it', async () => {
    const { company, invoice, tickets } = await invoiced('All Reopened Oy', 2, 'card_declined');
    await reopen(company, tickets[0]);
    await reopen(company, tickets[1]);
    await writeOff(invoice.id);
    expect(await owed(company.companyId)).toBe(0);
    expect(await holdOf(company.companyId)).toBeNull();
    await balanced();
  });

  it('…and so does one whose tickets are reopened after its write-off, once the closing withholds their credits', async () => {
    const { company, invoice, tickets } = await invoiced('Late Reopened Oy', 2, 'card_declined');
    await writeOff(invoice.id);
    expect(await holdOf(company.companyId)).toMatchObject({ reason: 'written_off' });
    await reopen(company, tickets[0]);
    await closeAt(company, 15);
    // One of two: half of what it left unpaid is still owed.
    expect(await holdOf(company.companyId)).toMatchObject({ reason: 'written_off' });
    await reopen(company, tickets[1]);
    await closeAt(company, 22);
    expect(await owed(company.companyId)).toBe(0);
    expect(await holdOf(company.companyId)).toBeNull();
    await balanced();
  });

  it('a credit-back billed back on an invoice written off in turn is credited again only once that invoice is paid', async () => {
    const { company, billing, dispute, key, agent } = await billedAgainUnpaid('Appeal Chain SA');
    await appealWon(dispute.id);
    // The credit-back is used on the next invoice, which the company pays.
    await saveCard(t, fake, company);
    await resolveTickets(t, key, agent, 3);
    const used = await closeAt(company, 22);
    expect(linesOf(used)).toEqual(expect.arrayContaining([['appealed_disputes', -2 * PER_TICKET]]));
    await runJobs(t, ['billing.invoice-issue']);
    expect((await financeInvoice(company.companyId)).status).toBe('paid');
    const badDebt = await platform('platform_bad_debt');
    // The invoice that billed the dispute again is written off: the credit-back is billed back,
    // on an invoice written off in turn.
    await writeOff(billing.id);
    await saveCard(t, fake, company, 'card_declined');
    const billedBack = await closeAt(company, 29);
    expect(linesOf(billedBack)).toEqual([['appealed_disputes', 2 * PER_TICKET]]);
    expect(billedBack.lines[0].description).toMatch(/billed back/);
    await runJobs(t, ['billing.invoice-issue']);
    const issued = await financeInvoice(company.companyId);
    expect(issued).toMatchObject({ id: billedBack.id, status: 'past_due' });
    await writeOff(billedBack.id);
    expect(await owed(company.companyId)).toBe(0);

    // The first is paid after all: its charge was paid, but the bill-back of its credit was
    // not, so nothing is credited yet (before, the credit-back was given a second time).
    await paidAfterAll(company, billing.number);
    expect(await owed(company.companyId)).toBe(0);
    // The bill-back is paid after all too: now the company has paid what it is credited.
    await paidAfterAll(company, issued.number);
    expect(await owed(company.companyId)).toBe(-2 * PER_TICKET);
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    await balanced();
  });

  it('a credit-back restored when the invoice billing it again was paid after all is not restored again when the invoice billing it back is', async () => {
    const { company, billing, dispute, key, agent } = await billedAgainUnpaid('Appeal Twice SA');
    await appealWon(dispute.id);
    await writeOff(billing.id); // the credit-back withheld, to be billed back
    // Paid after all before the bill-back was billed: the credit-back is the company's again.
    await paidAfterAll(company, billing.number);
    expect(await owed(company.companyId)).toBe(-2 * PER_TICKET);
    // The next invoice carries the bill-back, the credits and three tickets; declined, written
    // off, then paid after all: the company has paid all it was charged, once.
    await saveCard(t, fake, company, 'card_declined');
    await resolveTickets(t, key, agent, 3);
    const next = await closeAt(company, 22);
    expect(linesOf(next)).toEqual(
      expect.arrayContaining([
        ['appealed_disputes', -4 * PER_TICKET],
        ['appealed_disputes', 2 * PER_TICKET],
      ]),
    );
    await runJobs(t, ['billing.invoice-issue']);
    const issued = await financeInvoice(company.companyId);
    expect(issued).toMatchObject({ id: next.id, status: 'past_due' });
    const badDebt = await platform('platform_bad_debt');
    await writeOff(next.id);
    await paidAfterAll(company, issued.number);
    expect(await owed(company.companyId)).toBe(0);
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    expect((await closeAt(company, 29)).id).toBe(next.id); // nothing more to bill or credit
    await balanced();
  });

  /**
   * The dispute billed again on an invoice the company leaves unpaid; one of the disputed
   * invoice's tickets is then reopened, and its credit spent on the next invoice, which the
   * company pays (its card works again).
   */
  const reopenedAndSpent = async (name: string) => {
    const billed = await billedAgainUnpaid(name);
    await reopen(billed.company, billed.tickets[0]);
    await saveCard(t, fake, billed.company);
    await resolveTickets(t, billed.key, billed.agent, 2);
    const spent = await closeAt(billed.company, 22);
    expect(spent).toMatchObject({ totalMinor: PER_TICKET, carriedOutMinor: 0 });
    expect(linesOf(spent)).toEqual(expect.arrayContaining([['reversals', -PER_TICKET]]));
    await runJobs(t, ['billing.invoice-issue']);
    expect((await financeInvoice(billed.company.companyId)).status).toBe('paid');
    expect(await owed(billed.company.companyId)).toBe(2 * PER_TICKET); // the billing invoice
    return billed;
  };

  it('billed again on an invoice written off while the dispute stands lost: the disputed invoice’s reopened tickets’ credits are withheld, and credited again if it is paid after all', async () => {
    const { company, billing } = await reopenedAndSpent('Rebill Unpaid Reopened SA');
    const badDebt = await platform('platform_bad_debt');
    await writeOff(billing.id);
    // The company paid for neither disputed ticket (its bank took the payment back, and it
    // left their billing again unpaid), yet was credited the reopened one: billed back, out of
    // the bad debt. Before, it kept that credit.
    expect(await owed(company.companyId)).toBe(PER_TICKET);
    expect(await platform('platform_bad_debt')).toBe(badDebt + PER_TICKET);
    const [entry]: { memo: string }[] = await t.db.query(
      `SELECT memo FROM journal_entries WHERE kind = 'credit_withheld' AND company_id = $1`,
      [company.companyId],
    );
    expect(entry.memo).toMatch(/taken back by a lost dispute and not collected again/);
    // The ticket not reopened is still unpaid: the company stays held for it.
    expect(await holdOf(company.companyId)).toMatchObject({ reason: 'written_off' });
    const billedBack = await closeAt(company, 29);
    expect(linesOf(billedBack)).toEqual([['withheld_credits', PER_TICKET]]);
    await runJobs(t, ['billing.invoice-issue']);
    expect(await owed(company.companyId)).toBe(0);

    // Paid after all: the company paid for both tickets, so the reopened one's credit is its own.
    await paidAfterAll(company, billing.number);
    expect(await owed(company.companyId)).toBe(-PER_TICKET);
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    const restored = await closeAt(company, 36);
    expect(linesOf(restored)).toEqual([['restored_credits', -PER_TICKET]]);
    await balanced();
  });

  it('…and credited again if the dispute is won on appeal, whose money recovers the bad debt', async () => {
    const { company, billing, dispute } = await reopenedAndSpent('Rebill Appealed Reopened SA');
    const badDebt = await platform('platform_bad_debt');
    const cash = await platform('platform_cash');
    await writeOff(billing.id);
    expect(await owed(company.companyId)).toBe(PER_TICKET); // the credit withheld
    await appealWon(dispute.id);
    // The first payment stands: both tickets were paid for, the reopened one's credit is the
    // company's, and what was billed again and left unpaid is recovered from the appeal's money.
    expect(await owed(company.companyId)).toBe(0);
    expect(await platform('platform_cash')).toBe(cash + 2 * PER_TICKET);
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    expect(await holdOf(company.companyId)).toBeNull();
    // Withheld and credited again: both billed, netting to nothing.
    const next = await closeAt(company, 29);
    expect(linesOf(next)).toEqual(
      expect.arrayContaining([
        ['withheld_credits', PER_TICKET],
        ['restored_credits', -PER_TICKET],
      ]),
    );
    expect(next.totalMinor).toBe(0);
    // Paid after all, later: what it paid of the won dispute is credited back, once.
    await paidAfterAll(company, billing.number);
    expect(await owed(company.companyId)).toBe(-2 * PER_TICKET);
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    await balanced();
  });

  it('a lost dispute partly credited and partly billed again: withheld up to both, and only the billing again’s part restored when it is paid', async () => {
    const { company, invoice, tickets, key, agent } = await invoiced('Credited And Rebilled SA', 2);
    await disputeLost(invoice.number);
    await creditNote(invoice.id, randomUUID(), PER_TICKET, 'Half forgiven').expect(201);
    await t.http
      .post(`/v1/invoices/${invoice.id}/bill-dispute-again`)
      .set(finance.auth)
      .expect(200);
    await saveCard(t, fake, company, 'card_declined');
    expect(linesOf(await closeAt(company, 15))).toEqual([['rebilled_disputes', PER_TICKET]]);
    await runJobs(t, ['billing.invoice-issue']);
    const billing = await financeInvoice(company.companyId); // issued: it has its number
    // Both tickets reopened, their credits spent on the next invoice, which is paid: the
    // credit note's half is withheld there already.
    await reopen(company, tickets[0]);
    await reopen(company, tickets[1]);
    await saveCard(t, fake, company);
    await resolveTickets(t, key, agent, 3);
    const spent = await closeAt(company, 22);
    expect(linesOf(spent)).toEqual(expect.arrayContaining([['withheld_credits', PER_TICKET]]));
    await runJobs(t, ['billing.invoice-issue']);
    expect(await owed(company.companyId)).toBe(PER_TICKET); // the billing invoice
    const badDebt = await platform('platform_bad_debt');

    // The half billed again goes unpaid: the other credit is withheld too, and with that
    // nothing of the written-off invoice is unpaid, so it holds the company no more.
    await writeOff(billing.id);
    expect(await owed(company.companyId)).toBe(PER_TICKET);
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    expect(await holdOf(company.companyId)).toBeNull();

    // Paid after all: the half billed again is paid, so one credit is the company's again; the
    // credit note's half stays withheld (the bank kept that money).
    await paidAfterAll(company, billing.number);
    expect(await owed(company.companyId)).toBe(0);
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    const next = await closeAt(company, 29);
    expect(linesOf(next)).toEqual([
      ['withheld_credits', PER_TICKET],
      ['restored_credits', -PER_TICKET],
    ]);
    await balanced();
  });

  it('withholds nothing for a credit that lowered the written-off invoice billing the dispute again itself', async () => {
    const { company, tickets } = await lostAndBilledAgain('Rebill Credited Inside SA');
    await reopen(company, tickets[0]); // credited on the invoice that bills the dispute again
    await saveCard(t, fake, company, 'card_declined');
    const billing = await closeAt(company, 15);
    expect(billing.totalMinor).toBe(PER_TICKET);
    await runJobs(t, ['billing.invoice-issue']);
    const badDebt = await platform('platform_bad_debt');
    await writeOff(billing.id);
    // What went unpaid is the ticket not reopened; the reopened one's credit lowered it already.
    expect(await platform('platform_bad_debt')).toBe(badDebt + PER_TICKET);
    expect(await owed(company.companyId)).toBe(0);
    expect((await closeAt(company, 22)).id).toBe(billing.id); // nothing billed back
    await balanced();
  });

  it('withholds the credit of a disputed invoice’s ticket reopened after its billing again was written off, at the closing that bills it', async () => {
    const { company, billing, tickets } = await billedAgainUnpaid('Rebill Late Reopen SA');
    await writeOff(billing.id);
    const badDebt = await platform('platform_bad_debt');
    await reopen(company, tickets[0]);
    const next = await closeAt(company, 22);
    expect(linesOf(next)).toEqual([
      ['reversals', -PER_TICKET],
      ['withheld_credits', PER_TICKET],
    ]);
    expect(await owed(company.companyId)).toBe(0);
    expect(await platform('platform_bad_debt')).toBe(badDebt - PER_TICKET);
    // The other ticket is still unpaid: held for it.
    expect(await holdOf(company.companyId)).toMatchObject({ reason: 'written_off' });
    // Reopened too: nothing of the written-off invoice is left unpaid, and its hold is lifted
    // (before, the closing looked at the disputed invoice's hold, which had none).
    await reopen(company, tickets[1]);
    await closeAt(company, 29);
    expect(await platform('platform_bad_debt')).toBe(badDebt - 2 * PER_TICKET);
    expect(await holdOf(company.companyId)).toBeNull();
    await balanced();
  });

  it('a credit note withholds no credit that lowered an invoice itself written off', async () => {
    const { company, invoice, tickets, key, agent } = await invoiced('Twice Unpaid AB', 2);
    // A ticket reopened; its credit lowers the next invoice, which goes unpaid and is written off.
    await reopen(company, tickets[0]);
    await resolveTickets(t, key, agent, 2);
    await saveCard(t, fake, company, 'card_declined');
    const lowered = await closeAt(company, 15);
    expect(lowered.totalMinor).toBe(PER_TICKET);
    await runJobs(t, ['billing.invoice-issue']);
    await writeOff(lowered.id);
    // The first invoice's payment is lost to a dispute, and finance credits the ticket not
    // reopened: the reopened one's credit gave the company nothing (the invoice it lowered went
    // unpaid), so none is billed back. Before, it was, a second time.
    await disputeLost(invoice.number);
    const badDebt = await platform('platform_bad_debt');
    await creditNote(invoice.id, randomUUID(), PER_TICKET, 'Chargeback').expect(201);
    expect(await platform('platform_bad_debt')).toBe(badDebt + PER_TICKET);
    expect((await closeAt(company, 22)).id).toBe(lowered.id); // nothing billed back
    await balanced();
  });

  it('an appeal that meets the write-off of the invoice billing it again still committing waits for it, and recovers the bad debt', async () => {
    const { company, billing, dispute } = await billedAgainUnpaid('Appeal Racing Ltd');
    const badDebt = await platform('platform_bad_debt');
    await withRowsHeld(
      t,
      'SELECT 1 FROM invoices WHERE id = $1 FOR UPDATE',
      [billing.id],
      async (held) => {
        // A write-off holds the billing invoice; the appeal's news arrives meanwhile.
        await held.query(`UPDATE invoices SET status = 'uncollectible' WHERE id = $1`, [
          billing.id,
        ]);
        await t.app.get(LedgerService).post(held.manager, {
          kind: 'write_off',
          idempotencyKey: `invoice-write-off:${billing.id}`,
          currency: 'EUR',
          companyId: company.companyId,
          lines: [
            { account: 'platform_bad_debt', ownerId: null, amountMinor: 2 * PER_TICKET },
            {
              account: 'company_receivable',
              ownerId: company.companyId,
              amountMinor: -2 * PER_TICKET,
            },
          ],
        });
        const appealed = appealWon(dispute.id);
        await waitForLockWaiters(t, 1, 'the appeal to wait for the billing invoice');
        await held.commitTransaction();
        await appealed;
      },
    );
    expect(await owed(company.companyId)).toBe(0);
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    await balanced();
  });

  it('an appeal and a late payment of the invoice billing it again queue at the company’s lock before either locks an invoice', async () => {
    // Each may lock the other's invoice next (an appeal, the invoice that billed its dispute
    // again; a late payment, the invoices whose credits it billed back): holding one invoice
    // each while they wait would be a deadlock.
    const { company, billing, dispute } = await billedAgainUnpaid('Appeal Queue GmbH');
    await writeOff(billing.id);
    const card = await saveCard(t, fake, company);
    const stripe = t.app.get<Stripe>(STRIPE);
    // Both at Stripe, neither applied yet.
    fake.invoicing.appealDispute(dispute.id);
    fake.invoicing.closeDispute(dispute.id, 'won');
    const atStripe = [...fake.invoicing.invoices.values()].find(
      (i) => i.number === billing.number,
    )!;
    await stripe.invoices.pay(atStripe.id, { payment_method: card });
    const won = await stripe.disputes.retrieve(dispute.id);
    const paid = await stripe.invoices.retrieve(atStripe.id);
    await withRowsHeld(
      t,
      'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
      [`invoices:${company.companyId}:EUR`],
      async (held) => {
        const appeal = t.db.transaction((em) =>
          t.app.get(InvoiceDisputesService).applyEvent(em, won),
        );
        const payment = t.db.transaction((em) =>
          t.app.get(InvoiceCollectionService).applyEvent(em, 'invoice.paid', paid),
        );
        await waitForLockWaiters(t, 2, 'the appeal and the payment to queue at the company’s lock');
        // Neither holds any of the company's invoices while it waits.
        const invoices: unknown[] = await held.query(
          'SELECT id FROM invoices WHERE company_id = $1',
          [company.companyId],
        );
        const free: unknown[] = await held.query(
          'SELECT id FROM invoices WHERE company_id = $1 FOR UPDATE SKIP LOCKED',
          [company.companyId],
        );
        expect(free).toHaveLength(invoices.length);
        await held.commitTransaction();
        await Promise.all([appeal, payment]);
      },
    );
    // Either order ends the same: what it paid of a dispute won on appeal is credited.
    expect(await owed(company.companyId)).toBe(-2 * PER_TICKET);
    await balanced();
  });

  it('books nothing for a dispute Stripe prevented (the cardholder is refunded instead)', async () => {
    const { company, invoice } = await invoiced('Prevented SA', 1);
    const cash = await platform('platform_cash');
    const disputes = await platform('platform_disputes');
    const from = fake.billingEvents.length;
    fake.invoicing.preventedDispute(chargeOf(invoice.number).id);
    await deliverBillingEvents(t, fake, from);
    expect((await financeInvoice(company.companyId)).disputeStatus).toBe('prevented');
    expect(await platform('platform_cash')).toBe(cash);
    expect(await platform('platform_disputes')).toBe(disputes);
  });

  it('withholds a reopened ticket’s credit up to what a credit note left uncollected after a lost dispute', async () => {
    const { company, invoice, tickets } = await invoiced('Chargeback AB', 2);
    await reopen(company, tickets[0]);
    expect(await closeAt(company, 15)).toMatchObject({ carriedOutMinor: -PER_TICKET });
    await disputeLost(invoice.number);
    // The bank took both tickets' money back; the company owes the one not reopened.
    expect(await owed(company.companyId)).toBe(PER_TICKET);
    const badDebt = await platform('platform_bad_debt');
    await creditNote(invoice.id, randomUUID(), PER_TICKET, 'Chargeback: not re-billed').expect(201);
    // Neither ticket was paid for: the reopened one's credit, carried to the next invoice, is
    // billed back, out of the bad debt the credit note made.
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    const next = await closeAt(company, 22);
    expect(linesOf(next)).toEqual([
      ['withheld_credits', PER_TICKET],
      ['carried_credit', -PER_TICKET],
    ]);
    expect(next).toMatchObject({ totalMinor: 0, carriedOutMinor: 0 });
    // One ticket, withheld in two entries: the line (and Stripe's item) counts the ticket once.
    expect(next.lines[0]).toMatchObject({
      tickets: 1,
      description: expect.stringMatching(/^Credits for 1 reopened ticket withheld/),
    });
  });

  it('keeps a credit withheld after a lost dispute withheld when its bill-back is paid', async () => {
    const { company, invoice, tickets, key, agent } = await invoiced('Paid Back Oy', 2);
    await reopen(company, tickets[0]);
    await resolveTickets(t, key, agent, 1);
    expect(linesOf(await closeAt(company, 15))).toEqual([
      ['shift', PER_TICKET],
      ['reversals', -PER_TICKET],
    ]);
    await disputeLost(invoice.number);
    await creditNote(invoice.id, randomUUID(), PER_TICKET, 'Chargeback: not re-billed').expect(201);
    const billedBack = await closeAt(company, 22);
    expect(linesOf(billedBack)).toEqual([['withheld_credits', PER_TICKET]]);
    await runJobs(t, ['billing.invoice-issue']);
    expect(await financeInvoice(company.companyId)).toMatchObject({
      id: billedBack.id,
      status: 'paid',
    });
    const [restored] = await t.db.query(
      `SELECT count(*)::int AS n FROM journal_entries
        WHERE company_id = $1 AND kind = 'credit_restored'`,
      [company.companyId],
    );
    expect(restored.n).toBe(0);
  });

  it('withholds the rest of a reopened ticket’s credit as later credit notes leave more uncollected', async () => {
    const { company, invoice, tickets } = await invoiced('Two Notes Sp', 2);
    await reopen(company, tickets[0]);
    expect(await closeAt(company, 15)).toMatchObject({ carriedOutMinor: -PER_TICKET });
    await disputeLost(invoice.number);
    const half = PER_TICKET / 2;
    await creditNote(invoice.id, randomUUID(), half, 'Chargeback, first part').expect(201);
    await creditNote(invoice.id, randomUUID(), half, 'Chargeback, the rest').expect(201);
    // Each note withheld up to what it left uncollected: the whole credit by the second.
    const next = await closeAt(company, 22);
    expect(linesOf(next)).toEqual([
      ['withheld_credits', PER_TICKET],
      ['carried_credit', -PER_TICKET],
    ]);
    expect(next).toMatchObject({ totalMinor: 0, carriedOutMinor: 0 });
    // One ticket, withheld in two entries: the line (and Stripe's item) counts the ticket once.
    expect(next.lines[0]).toMatchObject({
      tickets: 1,
      description: expect.stringMatching(/^Credits for 1 reopened ticket withheld/),
    });
  });

  it('a credit note that committed but whose answer was lost is not credited again on retry', async () => {
    const { company, invoice } = await invoiced('Lost Answer SA', 2);
    await disputeLost(invoice.number);
    expect(await owed(company.companyId)).toBe(2 * PER_TICKET);

    // The credit commits, then reading the answer fails: the key keeps ANSWER_LOST (it was a
    // 500 that freed the key), and a retry with it is answered so, crediting nothing more.
    const loseNextAnswer = () =>
      jest
        .spyOn(t.app.get(ReceivablesService) as unknown as { one: () => Promise<unknown> }, 'one')
        .mockRejectedValueOnce(new Error('connection lost'));
    loseNextAnswer();
    const key = randomUUID();
    const note = () => creditNote(invoice.id, key, PER_TICKET, 'Half of the lost dispute');
    expect((await note().expect(409)).body.error.code).toBe('ANSWER_LOST');
    expect(await owed(company.companyId)).toBe(PER_TICKET);
    const replay = await note().expect(409);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await owed(company.companyId)).toBe(PER_TICKET);
    // Had the key gone without that answer (expired, or taken over from a process stalled past
    // its lease), the retry would run again: the note's own ledger key still credits once.
    await t.db.query('DELETE FROM idempotency_keys WHERE idempotency_key = $1', [key]);
    const retried = await note().expect(201);
    expect(retried.body.creditedMinor).toBe(PER_TICKET);
    expect(await owed(company.companyId)).toBe(PER_TICKET);

    // The same key with another body after a lost answer is another request: refused by the
    // key's fingerprint, and once the key has gone by the note's own ledger key, as the key's
    // check does; nothing more is credited.
    loseNextAnswer();
    const key2 = randomUUID();
    const lost = await creditNote(invoice.id, key2, 1, 'One cent more').expect(409);
    expect(lost.body.error.code).toBe('ANSWER_LOST');
    const other = await creditNote(invoice.id, key2, 2, 'One cent more').expect(409);
    expect(other.body.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    await t.db.query('DELETE FROM idempotency_keys WHERE idempotency_key = $1', [key2]);
    const lapsed = await creditNote(invoice.id, key2, 2, 'One cent more').expect(409);
    expect(lapsed.body.error).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      details: { idempotencyKey: key2 },
    });
    expect(await owed(company.companyId)).toBe(PER_TICKET - 1);
    // Another request (its own key) is another credit note.
    await creditNote(invoice.id, randomUUID(), PER_TICKET - 1, 'The rest').expect(201);
    expect(await owed(company.companyId)).toBe(0);
  });

  it('a dispute won gives the money back to the platform’s cash', async () => {
    const { company, invoice } = await invoiced('Winner BV', 1);
    const cashBefore = await platform('platform_cash');
    const from = fake.billingEvents.length;
    const dispute = fake.invoicing.dispute(chargeOf(invoice.number).id)!;
    fake.invoicing.closeDispute(dispute.id, 'won');
    await deliverBillingEvents(t, fake, from);
    expect(await platform('platform_cash')).toBe(cashBefore);
    expect(await owed(company.companyId)).toBe(0);
    expect((await financeInvoice(company.companyId)).disputeStatus).toBe('won');
  });

  it('books refunds made in Stripe’s dashboard out of the platform’s cash, once, in any order, and a refund that failed back in', async () => {
    const { company, invoice } = await invoiced('Refunded Oy', 3);
    const charged = 3 * PER_TICKET;
    expect(invoice).toMatchObject({ status: 'paid', totalMinor: charged, refundedMinor: 0 });
    const [cashBefore, refundsBefore] = [
      await platform('platform_cash'),
      await platform('platform_refunds'),
    ];
    // Goodwill in two steps: 200, then the rest. Stripe's events arrive the other way round.
    const stripe = t.app.get<Stripe>(STRIPE);
    const from = fake.billingEvents.length;
    const charge = chargeOf(invoice.number).id as string;
    const first = await stripe.refunds.create({ charge, amount: 200 });
    await stripe.refunds.create({ charge });
    const events = fake.billingEvents.slice(from);
    expect(events.map((e) => e.type)).toEqual(['charge.refunded', 'charge.refunded']);
    for (const event of [...events].reverse()) await postStripeEvent(t, event);
    await runJobs(t, ['stripe.event']);
    // Delivered again: stored once, booked once.
    await deliverBillingEvents(t, fake, from);
    expect(await platform('platform_cash')).toBe(cashBefore - charged);
    expect(await platform('platform_refunds')).toBe(refundsBefore + charged);
    // Given, not owed again: the company owes nothing; both views say what went back.
    expect(await owed(company.companyId)).toBe(0);
    expect(await financeInvoice(company.companyId)).toMatchObject({
      status: 'paid',
      refundedMinor: charged,
    });
    const mine = await t.http.get('/v1/companies/me/invoices').set(company.auth).expect(200);
    expect(mine.body.items[0]).toMatchObject({ refundedMinor: charged });
    // The first refund's bank sends it back: Stripe's balance has it again, and so does cash.
    const failedFrom = fake.billingEvents.length;
    fake.refunds.fail(first.id);
    await deliverBillingEvents(t, fake, failedFrom);
    expect(await platform('platform_cash')).toBe(cashBefore - charged + 200);
    expect(await financeInvoice(company.companyId)).toMatchObject({
      refundedMinor: charged - 200,
    });
    const entries: { n: number }[] = await t.db.query(
      `SELECT count(*)::int AS n FROM journal_entries WHERE kind = 'refund' AND company_id = $1`,
      [company.companyId],
    );
    expect(entries[0].n).toBe(2); // the rest of the charge at once, then 200 back
    const integrity = await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200);
    expect(integrity.body).toMatchObject({ ok: true });
  });

  it('reads a dispute at Stripe only under its invoice’s lock, so an older read never commits last', async () => {
    const { company, invoice } = await invoiced('Ordered Reads AS', 1);
    const stripe = t.app.get<Stripe>(STRIPE);
    const rows = t.app.get(InvoicesRepository);
    const calls: string[] = [];
    const lock = rows.lockByStripeId.bind(rows);
    const retrieve = stripe.disputes.retrieve.bind(stripe.disputes);
    const spies = [
      jest.spyOn(rows, 'lockByStripeId').mockImplementation(async (em, id) => {
        calls.push('lock invoice');
        return lock(em, id);
      }),
      jest.spyOn(stripe.disputes, 'retrieve').mockImplementation((async (id: string) => {
        calls.push('read dispute');
        return retrieve(id);
      }) as never),
    ];
    try {
      const from = fake.billingEvents.length;
      fake.invoicing.dispute(chargeOf(invoice.number).id);
      await deliverBillingEvents(t, fake, from);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.slice(0, 2)).toEqual(['lock invoice', 'read dispute']);
    expect((await financeInvoice(company.companyId)).disputeStatus).toBe('needs_response');
  });

  it('an inquiry holds nothing until it becomes a dispute; one closed took nothing', async () => {
    const { company, invoice } = await invoiced('Curious Oy', 1);
    const cashBefore = await platform('platform_cash');
    let from = fake.billingEvents.length;
    const inquiry = fake.invoicing.dispute(chargeOf(invoice.number).id, 'inquiry')!;
    await deliverBillingEvents(t, fake, from);
    expect(await platform('platform_cash')).toBe(cashBefore);
    expect(await financeInvoice(company.companyId)).toMatchObject({
      disputeId: inquiry.id,
      disputeStatus: 'warning_needs_response',
    });
    from = fake.billingEvents.length;
    fake.invoicing.escalateInquiry(inquiry.id);
    await deliverBillingEvents(t, fake, from);
    expect(await platform('platform_cash')).toBe(cashBefore - PER_TICKET);

    const other = await invoiced('Curious Too Oy', 1);
    const cash = await platform('platform_cash');
    from = fake.billingEvents.length;
    const closed = fake.invoicing.dispute(chargeOf(other.invoice.number).id, 'inquiry')!;
    fake.invoicing.closeDispute(closed.id, 'won');
    await deliverBillingEvents(t, fake, from);
    expect(await platform('platform_cash')).toBe(cash);
    expect((await financeInvoice(other.company.companyId)).disputeStatus).toBe('warning_closed');
    expect(await owed(other.company.companyId)).toBe(0);
  });

  it('two credit notes at once on two invoices of a company never credit more than it owes', async () => {
    const company = await registerCompany(t, 'Twice Lost SA');
    await saveCard(t, fake, company);
    const key = await createApiKey(t, company);
    const { agents } = await liveAgents(t, company.auth, 1);
    await resolveTickets(t, key, agents[0], 1);
    await closeAt(company, 8);
    await runJobs(t, ['billing.invoice-issue']);
    const first = await financeInvoice(company.companyId);
    const [late] = await resolveTickets(t, key, agents[0], 1);
    await closeAt(company, 40);
    await runJobs(t, ['billing.invoice-issue']);
    const second = await financeInvoice(company.companyId);
    expect(second.id).not.toBe(first.id);
    await disputeLost(first.number);
    await disputeLost(second.number);
    // Each invoice may be credited its lost dispute, but the company owes one ticket less: the
    // second invoice's ticket came back (its reversal is a credit for the next invoice).
    await reopen(company, late);
    expect(await owed(company.companyId)).toBe(PER_TICKET);

    const notes = await withRowsHeld(
      t,
      'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
      [`invoices:${company.companyId}:EUR`],
      async () => {
        const both = [first, second].map((invoice) =>
          creditNote(invoice.id, randomUUID(), PER_TICKET, 'Dispute lost').then((r) => r),
        );
        // Both wait for the company: neither reads what it owes before the other books.
        await waitForLockWaiters(t, 2, 'both credit notes to wait for the company');
        return both;
      },
    );
    // Whichever goes first books; the other reads what is owed after it. (On the second
    // invoice first, its credit note withholds the reopened ticket's credit, and the first
    // invoice's may then be credited too.) Never below zero.
    const statuses = (await Promise.all(notes)).map((r) => r.status);
    expect(statuses).toContain(201);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(await owed(company.companyId)).toBe(0);
  });

  it('credits nothing but a lost dispute: not an invoice Stripe still collects, nor a paid one', async () => {
    const credit = (invoiceId: string) =>
      t.http
        .post(`/v1/invoices/${invoiceId}/credit-notes`)
        .set(finance.auth)
        .set('Idempotency-Key', randomUUID())
        .send({ amountMinor: 1, reason: 'Goodwill' })
        .expect(409);
    const pastDue = await invoiced('Unpaid Ltd', 1, 'card_declined');
    const paid = await invoiced('Paid Ltd', 1);
    for (const { company, invoice } of [pastDue, paid]) {
      const refused = await credit(invoice.id);
      expect(refused.body.error).toMatchObject({
        code: 'CREDIT_EXCEEDS_OWED',
        details: { creditableMinor: 0 },
      });
      expect((await financeInvoice(company.companyId)).creditedMinor).toBe(0);
    }
    // The past-due one is written off whole, as nothing was credited on it.
    const before = await owed(pastDue.company.companyId);
    await t.http
      .post(`/v1/invoices/${pastDue.invoice.id}/write-off`)
      .set(finance.auth)
      .send({ reason: 'Insolvent' })
      .expect(200);
    expect(await owed(pastDue.company.companyId)).toBe(before - pastDue.invoice.totalMinor);
  });

  it('refuses a credit note without an Idempotency-Key, naming the header', async () => {
    const res = await t.http
      .post(`/v1/invoices/${randomUUID()}/credit-notes`)
      .set(finance.auth)
      .send({ amountMinor: 1, reason: 'Dispute lost' })
      .expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
      'Idempotency-Key',
    ]);
  });

  it('writes off a past-due invoice (Stripe stops collecting) and refuses a paid one', async () => {
    const { company, invoice } = await invoiced('Insolvent AG', 1, 'card_declined');
    expect(invoice.status).toBe('past_due');
    const bad = await t.http
      .post(`/v1/invoices/${invoice.id}/write-off`)
      .set(finance.auth)
      .send({})
      .expect(400);
    expect(bad.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
      'reason',
    ]);
    const res = await t.http
      .post(`/v1/invoices/${invoice.id}/write-off`)
      .set(finance.auth)
      .send({ reason: 'Company insolvent' })
      .expect(200);
    expect(res.body.status).toBe('uncollectible');
    expect(await owed(company.companyId)).toBe(0);
    const [entry]: { memo: string }[] = await t.db.query(
      `SELECT memo FROM journal_entries WHERE kind = 'write_off' AND company_id = $1`,
      [company.companyId],
    );
    expect(entry.memo).toBe('Written off by finance: Company insolvent');
    const again = await t.http
      .post(`/v1/invoices/${invoice.id}/write-off`)
      .set(finance.auth)
      .send({ reason: 'twice' })
      .expect(409);
    expect(again.body.error).toMatchObject({
      code: 'INVOICE_STATE',
      details: { status: 'uncollectible' },
    });
    await t.http
      .post(`/v1/invoices/${randomUUID()}/write-off`)
      .set(finance.auth)
      .send({ reason: 'nobody' })
      .expect(404);
  });

  it('names who wrote the invoice off, and why, though Stripe’s event booked the write-off first', async () => {
    const { company, invoice } = await invoiced('Event First GmbH', 1, 'card_declined');
    const state = t.app.get(InvoiceStripeStateService);
    const apply = state.apply.bind(state);
    const from = fake.billingEvents.length;
    // Stripe's invoice.marked_uncollectible is applied before our call's answer is (or that
    // answer is lost to a crash, and the event books it).
    const eventFirst = jest.spyOn(state, 'apply').mockImplementationOnce(async (...args) => {
      expect(fake.billingEvents.slice(from).map((e) => e.type)).toContain(
        'invoice.marked_uncollectible',
      );
      await deliverBillingEvents(t, fake, from);
      return apply(...args);
    });
    try {
      await writeOff(invoice.id);
      expect(eventFirst).toHaveBeenCalled();
    } finally {
      eventFirst.mockRestore();
    }
    const entries: { memo: string; created_by: string | null }[] = await t.db.query(
      `SELECT memo, created_by FROM journal_entries WHERE kind = 'write_off' AND company_id = $1`,
      [company.companyId],
    );
    expect(entries).toEqual([
      { memo: 'Written off by finance: Company insolvent', created_by: finance.id },
    ]);
  });

  it('keeps no write-off request Stripe refused: one made later in its dashboard is not finance’s', async () => {
    const { company, invoice } = await invoiced('Refused Write-off SE', 1, 'card_declined');
    fake.failingBefore.push({ method: 'POST', path: /\/mark_uncollectible$/, status: 400 });
    await t.http
      .post(`/v1/invoices/${invoice.id}/write-off`)
      .set(finance.auth)
      .send({ reason: 'Too early' })
      .expect(409);
    await voidedAtStripe(invoice.number);
    const [entry]: { memo: string; created_by: string | null }[] = await t.db.query(
      `SELECT memo, created_by FROM journal_entries WHERE kind = 'write_off' AND company_id = $1`,
      [company.companyId],
    );
    expect(entry.memo).toMatch(/voided$/);
    expect(entry.created_by).toBeNull();
  });

  it('writes off an invoice whose marking at Stripe answered a saved server error, done or not', async () => {
    for (const created of [true, false]) {
      const { invoice } = await invoiced(`Saved Error ${created} Kft`, 1, 'card_declined');
      fake.failingAfterExecution.push({ path: /\/mark_uncollectible$/, created });
      const badDebt = await platform('platform_bad_debt');
      const res = await writeOff(invoice.id);
      expect(res.body).toMatchObject({ status: 'uncollectible' });
      // Booked once, whichever call marked it.
      expect(await platform('platform_bad_debt')).toBe(badDebt + invoice.totalMinor);
    }
  });

  it('books a written-off invoice paid later (Stripe still takes payment) as bad debt recovered', async () => {
    const { company, invoice } = await invoiced('Late Recovery BV', 2, 'card_declined');
    await t.http
      .post(`/v1/invoices/${invoice.id}/write-off`)
      .set(finance.auth)
      .send({ reason: 'No answer for 90 days' })
      .expect(200);
    const cash = await platform('platform_cash');
    const badDebt = await platform('platform_bad_debt');
    expect(await owed(company.companyId)).toBe(0);
    // Out of what it owes in the books, yet still payable: the company's billing says so, and
    // where ("Nothing is owed" beside a hold that said to pay it).
    const billing = async () =>
      (await t.http.get('/v1/companies/me/billing').set(company.auth).expect(200)).body;
    expect(await billing()).toMatchObject({
      outstanding: [],
      writtenOff: [
        {
          invoiceId: invoice.id,
          number: invoice.number,
          currency: 'EUR',
          amountMinor: invoice.totalMinor,
          hostedInvoiceUrl: invoice.hostedInvoiceUrl,
        },
      ],
    });

    // The company pays it anyway, on the invoice's hosted page, with a card that works.
    await paidAfterAll(company, invoice.number);

    expect((await financeInvoice(company.companyId)).status).toBe('paid');
    expect((await billing()).writtenOff).toEqual([]);
    expect(await platform('platform_cash')).toBe(cash + 2 * PER_TICKET);
    expect(await platform('platform_bad_debt')).toBe(badDebt - 2 * PER_TICKET);
    expect(await owed(company.companyId)).toBe(0);
    const integrity = await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200);
    expect(integrity.body.unbalancedCurrencies).toEqual([]);
  });

  it('writes off an invoice voided in Stripe’s dashboard: Stripe never collects it', async () => {
    const { company, invoice, tickets } = await invoiced('Voided Oy', 2, 'card_declined');
    const badDebt = await platform('platform_bad_debt');
    await voidedAtStripe(invoice.number);
    expect((await financeInvoice(company.companyId)).status).toBe('void');
    expect(await owed(company.companyId)).toBe(0);
    expect(await platform('platform_bad_debt')).toBe(badDebt + 2 * PER_TICKET);
    // As for a write-off, a ticket it charged and reopened since is not credited.
    await reopen(company, tickets[0]);
    const next = await closeAt(company, 15);
    expect(linesOf(next)).toEqual([
      ['reversals', -PER_TICKET],
      ['withheld_credits', PER_TICKET],
    ]);
  });

  it('an invoice written off and then voided in Stripe’s dashboard is void: booked once, and it holds the company no more', async () => {
    const { company, invoice } = await invoiced('Written Then Voided AB', 2, 'card_declined');
    await writeOff(invoice.id);
    const badDebt = await platform('platform_bad_debt');
    const credit = () =>
      t.http.get(`/v1/companies/${company.companyId}/credit`).set(finance.auth).expect(200);
    expect((await credit()).body.hold).toMatchObject({ reason: 'written_off' });
    const writtenOff = async () =>
      (await t.http.get('/v1/companies/me/billing').set(company.auth).expect(200)).body.writtenOff;
    expect(await writtenOff()).toHaveLength(1);
    await voidedAtStripe(invoice.number);
    expect((await financeInvoice(company.companyId)).status).toBe('void');
    expect(await platform('platform_bad_debt')).toBe(badDebt); // the write-off's, not again
    expect((await credit()).body.hold).toBeNull();
    expect(await writtenOff()).toEqual([]); // void: Stripe takes no payment on it
  });

  it('credits no ticket reopened after the invoice that charged it was written off', async () => {
    const { company, invoice, tickets } = await invoiced('Gone Bust GmbH', 2, 'card_declined');
    await writeOff(invoice.id);
    const badDebt = await platform('platform_bad_debt');
    await reopen(company, tickets[0]);

    // The next period bills the reversal and withholds it: the company never paid that ticket.
    const next = await closeAt(company, 15);
    expect(next.id).not.toBe(invoice.id);
    expect(linesOf(next)).toEqual([
      ['reversals', -PER_TICKET],
      ['withheld_credits', PER_TICKET],
    ]);
    expect(next).toMatchObject({ status: 'no_charge', totalMinor: 0, carriedOutMinor: 0 });
    expect(await owed(company.companyId)).toBe(0);
    // What was lost is one ticket, the one it still owed for.
    expect(await platform('platform_bad_debt')).toBe(badDebt - PER_TICKET);
  });

  it('bills back nothing for a ticket reopened within the written-off invoice’s own period', async () => {
    const company = await registerCompany(t, 'Same Week Oy');
    await saveCard(t, fake, company, 'card_declined');
    const key = await createApiKey(t, company);
    const { agents } = await liveAgents(t, company.auth, 1);
    const tickets = await resolveTickets(t, key, agents[0], 2);
    await reopen(company, tickets[1]); // credited on the same invoice: it totals one ticket
    const invoice = await closeAt(company, 8);
    await runJobs(t, ['billing.invoice-issue']);
    expect((await financeInvoice(company.companyId)).totalMinor).toBe(PER_TICKET);
    const badDebt = await platform('platform_bad_debt');
    await writeOff(invoice.id);
    expect(await platform('platform_bad_debt')).toBe(badDebt + PER_TICKET);
    // The other ticket, reopened now, was written off with the invoice: its credit is withheld.
    await reopen(company, tickets[0]);
    const next = await closeAt(company, 15);
    expect(linesOf(next)).toEqual([
      ['reversals', -PER_TICKET],
      ['withheld_credits', PER_TICKET],
    ]);
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    expect(await owed(company.companyId)).toBe(0);
  });

  it('a closing withholds only the reversals it bills, not one booked after its period', async () => {
    const { company, invoice, tickets } = await invoiced('Early Bill Ltd', 2, 'card_declined');
    await writeOff(invoice.id);
    await reopen(company, tickets[0]);
    await reopen(company, tickets[1]);
    const reversals: { entry_id: string; claim_id: string }[] = await t.db.query(
      `SELECT e.id AS entry_id, e.claim_id FROM journal_entries e
         JOIN ticket_claims c ON c.id = e.claim_id
        WHERE e.kind = 'earning_reversal' AND c.ticket_id = ANY($1) ORDER BY c.ticket_id = $2 DESC`,
      [tickets, tickets[0]],
    );
    // A period that ended between the two reopens bills the first reversal only.
    const first = reversals[0];
    const booked = await t.app.get(DataSource).transaction((em) =>
      t.app.get(WithheldCreditsService).forClosing(em, [
        {
          entryId: first.entry_id,
          kind: 'earning_reversal',
          claimId: first.claim_id,
          amountMinor: -PER_TICKET,
        },
      ]),
    );
    expect(booked.map((b) => [b.claimId, b.amountMinor])).toEqual([[first.claim_id, PER_TICKET]]);
  });

  it('a closing that meets a write-off still committing waits for it, and withholds', async () => {
    const { company, invoice, tickets } = await invoiced('Racing Ruin Ltd', 2, 'card_declined');
    await reopen(company, tickets[0]);
    // A write-off holds the invoice (it has not seen the reversal); the closing comes meanwhile.
    const next = await withRowsHeld(
      t,
      'SELECT 1 FROM invoices WHERE id = $1 FOR UPDATE',
      [invoice.id],
      async (held) => {
        await held.query(`UPDATE invoices SET status = 'uncollectible' WHERE id = $1`, [
          invoice.id,
        ]);
        const closed = t.app.get(InvoiceClosingService).sweep(new Date(Date.now() + 15 * DAY));
        await waitForLockWaiters(t, 1, 'the closing to wait for the written-off invoice');
        await held.commitTransaction();
        await closed;
        return financeInvoice(company.companyId);
      },
    );
    expect(linesOf(next)).toEqual([
      ['reversals', -PER_TICKET],
      ['withheld_credits', PER_TICKET],
    ]);
  });

  it('bills back a credit given before its charge was written off, credits it again if paid after all, and withholds it again if that payment is lost', async () => {
    const { company, invoice, tickets } = await invoiced('Slow Decline SARL', 2, 'card_declined');
    await reopen(company, tickets[0]);
    const credited = await closeAt(company, 15);
    expect(credited).toMatchObject({ status: 'no_charge', carriedOutMinor: -PER_TICKET });
    const badDebt = await platform('platform_bad_debt');

    await writeOff(invoice.id);
    expect(await platform('platform_bad_debt')).toBe(badDebt + PER_TICKET);
    const billedBack = await closeAt(company, 22);
    expect(linesOf(billedBack)).toEqual([
      ['withheld_credits', PER_TICKET],
      ['carried_credit', -PER_TICKET],
    ]);
    expect(billedBack).toMatchObject({ totalMinor: 0, carriedOutMinor: 0 });

    // Paid after all on its hosted page: the company paid for the reopened ticket, so it is
    // credited again, and the bad debt is back where it was.
    await paidAfterAll(company, invoice.number);
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    const restored = await closeAt(company, 29);
    expect(linesOf(restored)).toEqual([['restored_credits', -PER_TICKET]]);
    expect(restored).toMatchObject({ totalMinor: 0, carriedOutMinor: -PER_TICKET });

    // The company's bank then takes that payment back, and finance credits what it owes: it
    // never paid for the reopened ticket after all, so its credit is withheld once more.
    await disputeLost(invoice.number);
    expect(await owed(company.companyId)).toBe(PER_TICKET);
    await creditNote(invoice.id, randomUUID(), PER_TICKET, 'Chargeback').expect(201);
    const withheldAgain = await closeAt(company, 36);
    expect(linesOf(withheldAgain)).toEqual([
      ['withheld_credits', PER_TICKET],
      ['carried_credit', -PER_TICKET],
    ]);
    expect(withheldAgain).toMatchObject({ totalMinor: 0, carriedOutMinor: 0 });
    const integrity = await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200);
    expect(integrity.body.unbalancedCurrencies).toEqual([]);
  });

  it('restores a withheld credit only once its bill-back is collected: not while that is written off', async () => {
    const { company, invoice, tickets, key, agent } = await invoiced(
      'Twice Declined GmbH',
      2,
      'card_declined',
    );
    const badDebt = await platform('platform_bad_debt');
    // The reopened ticket's credit is spent on the next invoice, against a new ticket.
    await reopen(company, tickets[0]);
    await resolveTickets(t, key, agent, 1);
    const credited = await closeAt(company, 15);
    expect(linesOf(credited)).toEqual([
      ['shift', PER_TICKET],
      ['reversals', -PER_TICKET],
    ]);
    // The charging invoice is written off: the credit is billed back, and that bill-back is
    // declined too and written off.
    await writeOff(invoice.id);
    const billedBack = await closeAt(company, 22);
    expect(linesOf(billedBack)).toEqual([['withheld_credits', PER_TICKET]]);
    await runJobs(t, ['billing.invoice-issue']);
    const declined = await financeInvoice(company.companyId);
    expect(declined).toMatchObject({ id: billedBack.id, status: 'past_due' });
    await writeOff(billedBack.id);
    expect(await platform('platform_bad_debt')).toBe(
      badDebt + 2 * PER_TICKET + PER_TICKET - PER_TICKET,
    );

    // The charging invoice is paid after all. The company has had the credit (on the second
    // invoice) and never paid the bill-back: crediting it again would give it twice.
    await paidAfterAll(company, invoice.number);
    // Its write-off, the bill-back, the bill-back's write-off and this payment: no loss left.
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    expect(await owed(company.companyId)).toBe(0);
    const [restoredYet] = await t.db.query(
      `SELECT count(*)::int AS n FROM journal_entries WHERE company_id = $1 AND kind = 'credit_restored'`,
      [company.companyId],
    );
    expect(restoredYet.n).toBe(0);

    // The bill-back is paid after all too: now the company paid for the ticket twice over, and
    // the credit is restored.
    await paidAfterAll(company, declined.number);
    expect(await platform('platform_bad_debt')).toBe(badDebt);
    const restored = await closeAt(company, 29);
    expect(linesOf(restored)).toEqual([['restored_credits', -PER_TICKET]]);
    expect(restored).toMatchObject({ totalMinor: 0, carriedOutMinor: -PER_TICKET });
    const integrity = await t.http.get('/v1/ledger/integrity').set(finance.auth).expect(200);
    expect(integrity.body.unbalancedCurrencies).toEqual([]);
  });

  it('withholds the credit of a ticket reopened after a credit note wrote off its charge', async () => {
    const { company, invoice, tickets } = await invoiced('Late Reopen BV', 2);
    await disputeLost(invoice.number);
    await creditNote(invoice.id, randomUUID(), 2 * PER_TICKET, 'Chargeback').expect(201);
    expect(await owed(company.companyId)).toBe(0);
    // Neither ticket was paid for (the bank took the money back, finance let it go): the one
    // reopened now is credited and billed back on the same invoice.
    await reopen(company, tickets[0]);
    const next = await closeAt(company, 15);
    expect(linesOf(next)).toEqual([
      ['reversals', -PER_TICKET],
      ['withheld_credits', PER_TICKET],
    ]);
    expect(next).toMatchObject({ totalMinor: 0, carriedOutMinor: 0 });
    expect(await owed(company.companyId)).toBe(0);
  });

  /** The invoice's period ended 45 days ago: it ages in 31–60 days. */
  const periodEnded45DaysAgo = (invoiceId: string) =>
    t.db.query(
      `UPDATE invoices SET period_end = now() - interval '45 days',
              period_start = now() - interval '52 days' WHERE id = $1`,
      [invoiceId],
    );

  it('stripe:fetch-events stores and applies, once, the events a restore lost since a point', async () => {
    const start = fake.billingEvents.length;
    const { company, invoice } = await invoiced('Restored SA', 2);
    await deliverBillingEvents(t, fake, start); // the invoice's own events, held
    // The dispute's events reached the database and were applied, then a restore took the
    // database back to before them: Stripe was answered 200 and never sends them again.
    const since = new Date(Math.floor(Date.now() / 1000) * 1000);
    const from = fake.billingEvents.length;
    const dispute = fake.invoicing.dispute(chargeOf(invoice.number).id)!;
    const lost = fake.billingEvents.slice(from).map((e) => e.id);
    expect(lost.length).toBeGreaterThan(0);
    const stored = async (ids: string[]) =>
      (
        (await t.db.query('SELECT id FROM stripe_events WHERE id = ANY($1)', [ids])) as {
          id: string;
        }[]
      ).length;
    expect(await stored(lost)).toBe(0);

    // An event of a kind we do not apply, listed by Stripe and left alone.
    fake.billingEvents.push({
      id: `evt_${randomUUID()}`,
      type: 'customer.updated',
      created: Math.floor(Date.now() / 1000),
      object: { id: 'cus_x' },
    });
    const events = t.app.get(StripeEventsService);
    events.fetchPageSize = 1; // a list call per event: the pages are followed to the end
    // Every event of the kinds we apply from `since` on: the dispute's, and any other of that
    // second (this test's invoice's, held; an earlier test's, never delivered).
    const expected = fake.billingEvents
      .filter((e) => e.created >= since.getTime() / 1000 && e.type !== 'customer.updated')
      .map((e) => e.id);
    const held = await stored(expected);
    const calls = fake.requests.length;
    const first = await events.fetchSince(since);
    expect(first).toEqual({ listed: expected.length, stored: expected.length - held });
    expect(fake.requests.length - calls).toBe(expected.length + 1);
    expect(await stored(expected)).toBe(expected.length);
    expect(await stored(lost)).toBe(lost.length);
    await runJobs(t, ['stripe.event']);
    expect(await financeInvoice(company.companyId)).toMatchObject({
      disputeId: dispute.id,
      disputeStatus: 'needs_response',
      disputedMinor: 2 * PER_TICKET,
    });
    // Again: nothing new stored, nothing booked twice.
    const cash = await platform('platform_cash');
    expect(await events.fetchSince(since)).toEqual({ listed: expected.length, stored: 0 });
    await runJobs(t, ['stripe.event']);
    expect(await platform('platform_cash')).toBe(cash);
    events.fetchPageSize = 100;
  });

  it('stripe:fetch-events through the built CLI: stores what the database lacks, says how many, and its jobs apply it', async () => {
    const start = fake.billingEvents.length;
    const { company, invoice } = await invoiced('Fetched By Hand GmbH', 1);
    await deliverBillingEvents(t, fake, start);
    const since = new Date(Math.floor(Date.now() / 1000) * 1000);
    const from = fake.billingEvents.length;
    const dispute = fake.invoicing.dispute(chargeOf(invoice.number).id)!;
    const lost = fake.billingEvents.slice(from).map((e) => e.id);
    const expected = fake.billingEvents
      .filter((e) => e.created >= since.getTime() / 1000 && e.type !== 'customer.updated')
      .map((e) => e.id);
    const held = (await t.db.query('SELECT id FROM stripe_events WHERE id = ANY($1)', [expected]))
      .length;
    // Its own process, on this file's database and queues, calling the fake Stripe over HTTP
    // (this process answers it, so the child is awaited, never run synchronously).
    const cli = runBuilt(
      'cli.js',
      {
        DATABASE_URL: t.env.DATABASE_URL!,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: t.env.QUEUE_PREFIX,
        JWT_SECRET: TEST_JWT_SECRET,
        SECRETS_ENCRYPTION_KEY: TEST_SECRETS_KEY,
        STRIPE_SECRET_KEY: 'sk_test_fake',
        STRIPE_WEBHOOK_SECRET: 'whsec_platform',
        STRIPE_CONNECT_WEBHOOK_SECRET: 'whsec_connect',
        STRIPE_API_BASE: `http://127.0.0.1:${fake.port}`,
      },
      ['stripe:fetch-events', '--since', since.toISOString()],
    );
    expect({ status: await cli.exited, output: cli.output() }).toEqual({
      status: 0,
      output: expect.stringContaining(
        `Stripe has ${expected.length} event(s) of the kinds we apply since ${since.toISOString()}; ` +
          `stored the ${expected.length - held} the database lacked`,
      ),
    });
    const stored = await t.db.query('SELECT id FROM stripe_events WHERE id = ANY($1)', [lost]);
    expect(stored).toHaveLength(lost.length);
    await runJobs(t, ['stripe.event']);
    expect(await financeInvoice(company.companyId)).toMatchObject({ disputeId: dispute.id });
  });

  it('stripe:fetch-events refuses a --since that is not a past instant, before it starts', () => {
    const refusals: [string, string][] = [
      ['', 'must be an instant with its zone'],
      ['yesterday', 'must be an instant with its zone'],
      ['2030-05-01', 'must be an instant with its zone'],
      ['2026-05-01T12:00:00', 'must be an instant with its zone'],
      ['2026-02-31T12:00:00Z', 'must be an instant with its zone'], // no such day
      ['2999-01-01T00:00:00Z', 'is in the future'],
    ];
    for (const [since, problem] of refusals) {
      const run = spawnSync(
        process.execPath,
        ['dist/src/cli.js', 'stripe:fetch-events', ...(since ? ['--since', since] : [])],
        { encoding: 'utf8', env: { PATH: process.env.PATH } },
      );
      expect({ since, status: run.status, stderr: run.stderr }).toEqual({
        since,
        status: 2,
        stderr: expect.stringContaining(`--since ${problem}`),
      });
    }
  });

  it('ages from one snapshot: an invoice written off between its two reads is in both or neither', async () => {
    const late = await invoiced('Snapshot Payer Ltd', 2, 'card_declined');
    await periodEnded45DaysAgo(late.invoice.id);
    const rowOf = async () =>
      (
        await t.http.get('/v1/receivables/ageing').set(finance.auth).expect(200)
      ).body.companies.find((r: { companyId: string }) => r.companyId === late.company.companyId);
    const invoices = t.app.get(InvoiceReceivablesRepository);
    const owing = invoices.owing.bind(invoices);
    // Written off after the balances are read and before the unpaid invoices are.
    const between = jest.spyOn(invoices, 'owing').mockImplementationOnce(async (em) => {
      await writeOff(late.invoice.id);
      return owing(em);
    });
    try {
      expect(await rowOf()).toMatchObject({
        currentMinor: 0,
        days31To60Minor: 2 * PER_TICKET,
        totalMinor: 2 * PER_TICKET,
      });
      expect(between).toHaveBeenCalledTimes(1);
    } finally {
      between.mockRestore();
    }
    expect(await rowOf()).toBeUndefined(); // written off: it owes nothing, and is not listed
  });

  it('ages an amount too small to charge, carried forward, from the period that carried it', async () => {
    // One ticket at 0.20 EUR: below Stripe's smallest charge, its invoice charges nothing and
    // carries it. The company books nothing more, so no invoice takes it in: it had stayed
    // "current" for good.
    const company = await registerCompany(t, 'Small Change Ltd');
    const key = await createApiKey(t, company);
    const { agents } = await liveAgents(
      t,
      company.auth,
      1,
      {},
      { title: 'Penny desk', ratePerTicket: { amountMinor: 20, currency: 'EUR' } },
    );
    await resolveTickets(t, key, agents[0], 1);
    const small = await closeAt(company, 8);
    expect(small).toMatchObject({ status: 'no_charge', totalMinor: 0 });
    const carried = small.carriedOutMinor as number;
    expect(carried).toBeGreaterThan(0);
    await periodEnded45DaysAgo(small.id);
    const ageing = await t.http.get('/v1/receivables/ageing').set(finance.auth).expect(200);
    expect(
      ageing.body.companies.find((r: { companyId: string }) => r.companyId === company.companyId),
    ).toMatchObject({
      currentMinor: 0,
      days1To30Minor: 0,
      days31To60Minor: carried,
      totalMinor: carried,
    });
    expect(carried).toBe(await owed(company.companyId));
  });

  it('ages what each company owes, summing to its receivable; lists invoices by status; finance only', async () => {
    const late = await invoiced('Late Payer Ltd', 2, 'card_declined');
    // Its period ended 45 days ago (31–60), and it owes a ticket not invoiced yet (current).
    await periodEnded45DaysAgo(late.invoice.id);
    const key = await createApiKey(t, late.company);
    const { agents } = await liveAgents(t, late.company.auth, 1);
    await resolveTickets(t, key, agents[0], 1);

    const ageing = await t.http.get('/v1/receivables/ageing').set(finance.auth).expect(200);
    const row = ageing.body.companies.find(
      (r: { companyId: string }) => r.companyId === late.company.companyId,
    );
    expect(row).toEqual({
      companyId: late.company.companyId,
      companyName: 'Late Payer Ltd',
      currency: 'EUR',
      currentMinor: PER_TICKET,
      days1To30Minor: 0,
      days31To60Minor: 2 * PER_TICKET,
      over60DaysMinor: 0,
      totalMinor: 3 * PER_TICKET,
    });
    expect(row.totalMinor).toBe(await owed(late.company.companyId));
    const eur = ageing.body.totals.find((x: { currency: string }) => x.currency === 'EUR');
    const rows = ageing.body.companies.filter((r: { currency: string }) => r.currency === 'EUR');
    expect(eur.totalMinor).toBe(
      rows.reduce((s: number, r: { totalMinor: number }) => s + r.totalMinor, 0),
    );

    const pastDue = await t.http.get('/v1/invoices?status=past_due').set(finance.auth).expect(200);
    expect(pastDue.body.items.map((i: { status: string }) => i.status)).toEqual(
      pastDue.body.items.map(() => 'past_due'),
    );
    expect(pastDue.body.items.map((i: { id: string }) => i.id)).toContain(late.invoice.id);
    await t.http.get('/v1/invoices?status=overdue').set(finance.auth).expect(400);
    await t.http.get('/v1/invoices').set(late.company.auth).expect(403);
    await t.http.get('/v1/receivables/ageing').set(late.company.auth).expect(403);
    await t.http.get('/v1/receivables/ageing').expect(401);
  });
});
