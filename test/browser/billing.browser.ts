import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { unwrap } from '../../src/client/client';
import {
  createStaff,
  resolvedTickets,
  signInPage,
  signUpAgent,
  signUpCompany,
  sql,
  type Company,
} from './api';
import { expectAccessible, expectFitsPhone } from './journeys';

/**
 * A company named `<prefix> <random>` whose card (declining, or not) is saved on the fake
 * Stripe's Checkout page, with two tickets resolved on a live shift and booked by the ledger
 * "last week": the billing sweep closes the period and Stripe charges the card, which leaves
 * the invoice `expected` (paid or past due).
 */
async function invoicedCompany(
  prefix: string,
  expected: 'paid' | 'past_due',
): Promise<{ company: Company; name: string }> {
  const name = `${prefix} ${Math.random().toString(36).slice(2, 8)}`;
  const company = await signUpCompany(name);
  const setup = await unwrap(
    company.admin.POST('/v1/companies/me/billing/setup', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
    }),
  );
  const decline = expected === 'past_due' ? '?decline=card_declined' : '';
  await fetch(`${setup.url}${decline}`, { redirect: 'manual' });
  await expect
    .poll(async () => (await unwrap(company.admin.GET('/v1/companies/me/billing'))).paymentMethod)
    .not.toBeNull();

  // Two tickets resolved on a live shift, booked by the ledger "last week".
  await resolvedTickets(company, await signUpAgent('Ria Bill'), 2, 'Billing desk');
  await expect
    .poll(async () => (await unwrap(company.admin.GET('/v1/companies/me/billing'))).outstanding)
    .toEqual([{ currency: 'EUR', amountMinor: 576 }]);
  await sql(
    `UPDATE journal_entries SET created_at = created_at - interval '40 days'
      WHERE company_id = $1 AND kind = 'earning'`,
    [company.id],
  );
  await expect
    .poll(
      async () => (await unwrap(company.admin.GET('/v1/companies/me/invoices'))).items[0]?.status,
      { timeout: 30_000 },
    )
    .toBe(expected);
  return { company, name };
}

/**
 * What the bank or Stripe's dashboard does, at the fake Stripe, about the company's newest
 * invoice: `path` under `/_fake/`, given the Stripe invoice's id (the hosted page is the fake's:
 * its origin, and the id at the end).
 */
async function atFakeStripe(
  company: Company,
  path: (stripeInvoiceId: string) => string,
): Promise<Response> {
  const [invoice] = (await unwrap(company.admin.GET('/v1/companies/me/invoices'))).items;
  const hosted = new URL(invoice.hostedInvoiceUrl!);
  const stripeInvoice = hosted.pathname.split('/').pop()!;
  return fetch(`${hosted.origin}/_fake/${path(stripeInvoice)}`, { method: 'POST' });
}

/**
 * Money in, in the console: a company whose card declines sees its invoice past due with
 * Stripe's reason and the hold on new shifts; finance sees what it owes by age, finds the
 * invoice among the past-due ones and writes it off; the company stays held, now for an invoice
 * written off unpaid.
 */
test('a company sees its invoice past due and its hold; finance ages it and writes it off', async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  const { company, name } = await invoicedCompany('Slowpay', 'past_due');

  await signInPage(page, company.email, '/company/billing');
  const hold = page.getByRole('alert').filter({ hasText: 'Shifts are on hold' });
  await expect(hold).toBeVisible();
  // This instance gives no grace: the reason reads so, not "for more than 0 days".
  await expect(hold).toContainText(/has been past due: pay it/);
  const invoices = page.getByRole('region', { name: 'Table of invoices' });
  await expect(
    invoices.getByRole('row', { name: /past due.*card_declined: Your card was declined/ }),
  ).toBeVisible();
  await expect(invoices.getByText(/Billing desk .*: 2 tickets resolved · €5\.76/)).toBeVisible();
  await expectAccessible(page, 'billing with an invoice past due');
  await expectFitsPhone(page, 'billing with an invoice past due', hold);

  // Finance: the ageing, the past-due invoices, a write-off.
  const other = await browser.newContext();
  const desk = await other.newPage();
  await signInPage(desk, await createStaff('finance'), '/finance/receivables');
  const aged = desk.getByRole('region', { name: 'Table of receivables by age' });
  await expect(aged.getByRole('row', { name: new RegExp(`^${name} EUR`) })).toBeVisible();
  await desk
    .locator('label')
    .filter({ hasText: /^Past due$/ })
    .click();
  const all = desk.getByRole('region', { name: "Table of every company's invoices" });
  const row = all.getByRole('row', { name: new RegExp(name) });
  await expect(row).toBeVisible();
  await expectAccessible(desk, 'receivables');
  // Thought better of: the focus goes back to the row's button, not to the top of the page.
  const writeOff = row.getByRole('button', { name: /^Write off invoice of/ });
  await writeOff.click();
  const dialog = desk.getByRole('dialog', { name: /^Write off the invoice of/ });
  await dialog.getByRole('button', { name: 'Keep collecting' }).click();
  await expect(dialog).toBeHidden();
  await expect(writeOff).toBeFocused();
  await writeOff.click();
  await dialog.getByRole('textbox', { name: 'Reason' }).fill('Company closed; not collectable');
  // The answer is lost on the way back; asked again by the console itself, the write-off is
  // told as done (the dialog's key), not refused as an invoice written off already ("Not
  // written off").
  let lost = false;
  await desk.route('**/v1/invoices/*/write-off', async (route) => {
    if (lost) return route.fallback();
    lost = true;
    await route.fetch(); // written off by the API
    await route.abort('connectionreset');
  });
  await dialog.getByRole('button', { name: 'Write off' }).click();
  await expect(dialog).toBeHidden();
  await expect(row).toBeHidden(); // no longer past due
  // Its button went with the row (and the table with its last row): the focus is on the
  // section that held them, not at the page's start.
  await expect(desk.getByRole('region', { name: 'Invoices', exact: true })).toBeFocused();
  await desk
    .locator('label')
    .filter({ hasText: /^Written off$/ })
    .click();
  const writtenOff = all.getByRole('row', { name: new RegExp(`${name}.*written off`) });
  await expect(writtenOff).toBeVisible();

  // The company: nothing owed in the books (bad debt now), still held until it pays or
  // finance lifts the hold: a write-off does not let it run up more. What it owes says so, and
  // where to pay ("Nothing is owed" stood beside a hold that said to pay it).
  await page.reload();
  await expect(invoices.getByRole('row', { name: /written off/ })).toBeVisible();
  await expect(hold).toContainText(/was written off unpaid: pay it/);
  const owed = page.getByRole('region', { name: 'Outstanding' });
  await expect(owed).toContainText(
    /^Outstanding€5\.76 on invoice \S+, written off unpaid: still payable at Stripe$/,
  );
  // Named for its invoice, as the invoices' links are (several read alike in a list of links).
  await expect(
    owed.getByRole('link', { name: /^Invoice \S+ at Stripe \(opens in a new tab\)$/ }),
  ).toHaveAttribute('href', /^http/);
  await expect(page.getByText('Nothing is owed.')).toBeHidden();
  await expectAccessible(page, 'billing with an invoice written off');

  // Finance forgives the debt: the hold is waived for good, with the reason on the invoice.
  await writtenOff.getByRole('button', { name: /^Waive the hold of invoice of/ }).click();
  const waiver = desk.getByRole('dialog', { name: /^Waive the hold of the invoice of/ });
  await waiver.getByRole('textbox', { name: 'Reason' }).fill('Settled for less by transfer');
  await expectAccessible(desk, 'waive a hold');
  await waiver.getByRole('button', { name: 'Waive the hold' }).click();
  await expect(waiver).toBeHidden();
  await expect(writtenOff).toContainText(/Hold waived .*: Settled for less by transfer/);
  await expect(writtenOff.getByRole('button', { name: /^Waive the hold/ })).toHaveCount(0);
  await other.close();
  await page.reload();
  await expect(page.getByText('Nothing is owed.')).toBeVisible(); // the standing has loaded
  await expect(hold).toBeHidden();
});

/**
 * A lost dispute, credited in part and billed again: the company's bank disputes the charge
 * that paid its invoice and wins, so the company owes the amount again; finance finds the
 * invoice with its dispute, tries to credit more than is owed (refused, the limit said in money),
 * credits part of it, and bills the rest on the company's next invoice.
 */
test('finance credits part of a lost dispute, never beyond what is owed, and bills the rest again', async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  const { company, name } = await invoicedCompany('Chargeback', 'paid');
  const opened = await atFakeStripe(company, (id) => `invoices/${id}/dispute`);
  expect(opened.status).toBe(200);
  const dispute = (await opened.json()) as { id: string };
  const lost = await atFakeStripe(company, () => `disputes/${dispute.id}/lost`);
  expect(lost.status).toBe(200);
  await expect
    .poll(async () => (await unwrap(company.admin.GET('/v1/companies/me/billing'))).outstanding)
    .toEqual([{ currency: 'EUR', amountMinor: 576 }]);

  await signInPage(page, await createStaff('finance'), '/finance/receivables');
  await page
    .locator('label')
    .filter({ hasText: /^Paid$/ })
    .click();
  const all = page.getByRole('region', { name: "Table of every company's invoices" });
  const row = all.getByRole('row', { name: new RegExp(`${name}.*Dispute lost: €5\\.76`) });
  await expect(row).toBeVisible();
  await row.getByRole('button', { name: /^Credit note on invoice of/ }).click();
  const dialog = page.getByRole('dialog', { name: /^Credit note on the invoice of/ });
  await expect(
    dialog.getByText(
      'At most €5.76 (what the lost dispute took back, less earlier credits), and no more than the company owes',
    ),
  ).toBeVisible();
  await dialog.getByRole('textbox', { name: 'Reason' }).fill('Dispute lost: not re-billed');
  // The Idempotency-Key of each credit note sent.
  const keysSent: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().includes('/credit-notes')) {
      keysSent.push(request.headers()['idempotency-key']);
    }
  });
  // An amount that cannot be read is said under the field, and nothing is sent (it went as 0,
  // answered "amountMinor must not be less than 1").
  const amount = dialog.getByRole('textbox', { name: 'Amount (EUR)' });
  await amount.fill('1,000');
  await dialog.getByRole('button', { name: 'Credit' }).click();
  await expect(amount).toHaveAccessibleDescription(/Digits with at most 2 decimals/);
  expect(keysSent).toEqual([]);
  await amount.fill('6.00');
  await dialog.getByRole('button', { name: 'Credit' }).click();
  await expect(dialog.getByRole('alert')).toContainText(/At most €5\.76 can be credited/);
  await expectAccessible(page, 'credit note refused');
  // The same credit sent again after a final answer is a new request (a new key): under the
  // old one the API would replay its stored refusal even once its cause had gone.
  await dialog.getByRole('button', { name: 'Credit' }).click();
  await expect.poll(() => keysSent.length).toBe(2);
  await expect(dialog.getByRole('alert')).toContainText(/At most €5\.76 can be credited/);
  expect(new Set(keysSent).size).toBe(2);
  // A credit whose answer is lost each time the console asks (the press and its two retries),
  // sent again after its dialog was closed and opened again, goes under the same key: credited
  // once (a new dialog's new key credited twice).
  await page.route(
    '**/credit-notes',
    async (route) => {
      await route.fetch();
      await route.abort('connectionreset');
    },
    { times: 3 },
  );
  await amount.fill('1.00');
  await dialog.getByRole('button', { name: 'Credit' }).click();
  await expect(dialog.getByRole('alert')).toContainText(/could not be reached/i, {
    timeout: 10_000,
  });
  await expect(row).toContainText('Credited €1.00'); // read again after the failure
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await row.getByRole('button', { name: /^Credit note on invoice of/ }).click();
  await dialog.getByRole('textbox', { name: 'Reason' }).fill('Dispute lost: not re-billed');
  await amount.fill('1.00');
  await dialog.getByRole('button', { name: 'Credit' }).click();
  await expect(dialog).toBeHidden();
  expect(keysSent.slice(2)).toEqual(Array(4).fill(keysSent[2]));
  await expect(row).toContainText('Credited €1.00');
  await row.getByRole('button', { name: /^Credit note on invoice of/ }).click();
  await dialog.getByRole('textbox', { name: 'Reason' }).fill('Dispute lost: not re-billed');
  await amount.fill('1.76');
  await dialog.getByRole('button', { name: 'Credit' }).click();
  await expect(dialog).toBeHidden();
  await expect(row).toContainText('Credited €2.76');

  await row.getByRole('button', { name: /^Bill again the dispute lost/ }).click();
  const again = page.getByRole('dialog', { name: /^Bill again the dispute lost/ });
  await expect(again).toContainText(
    "The €3.00 the company's bank took back (less what was credited) goes on its next invoice",
  );
  await expectAccessible(page, 'bill a lost dispute again');
  await again.getByRole('button', { name: 'Bill again' }).click();
  await expect(again).toBeHidden();
  await expect(row).toContainText(/Billed again €3\.00 on /);
  // Settled: nothing more to credit or bill on it.
  await expect(row.getByRole('button', { name: /^Credit note/ })).toBeHidden();
  await expect(row.getByRole('button', { name: /^Bill again the dispute lost/ })).toBeHidden();
  await expectFitsPhone(page, 'receivables', row.getByText('Credited €2.76'));
  // Still owed, now by the company's next invoice.
  expect((await unwrap(company.admin.GET('/v1/companies/me/billing'))).outstanding).toEqual([
    { currency: 'EUR', amountMinor: 300 },
  ]);

  // The company reads on its invoice what its bank took back and how it was settled: it said
  // "paid", with the amount owed again unexplained.
  const mine = await browser.newPage();
  await signInPage(mine, company.email, '/company/billing');
  const invoice = mine.getByRole('region', { name: 'Table of invoices' }).getByRole('row', {
    name: /paid/,
  });
  await expect(invoice).toContainText(
    'Your bank took back €5.76 of this payment (a dispute): owed again',
  );
  await expect(invoice).toContainText('€2.76 of it forgiven (a credit note)');
  await expect(invoice).toContainText(/€3\.00 of it billed again on your next invoice \(/);
  await expect(mine.getByText('€3.00 owed, not yet paid')).toBeVisible();
  await expectAccessible(mine, 'billing with a lost dispute');
  await mine.close();
});

/**
 * Goodwill given in Stripe's dashboard: finance refunds part of a paid invoice's charge. The
 * company reads on its invoice what went back to its card, finance the same on receivables,
 * and the company owes nothing again.
 */
test('a refund made in Stripe’s dashboard shows on the invoice, for the company and for finance', async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  const { company, name } = await invoicedCompany('Goodwill', 'paid');
  const refunded = await atFakeStripe(company, (id) => `invoices/${id}/refund?amount=200`);
  expect(refunded.status).toBe(200);
  await expect
    .poll(async () => (await unwrap(company.admin.GET('/v1/companies/me/invoices'))).items[0])
    .toMatchObject({ status: 'paid', refundedMinor: 200 });

  await signInPage(page, company.email, '/company/billing');
  const mine = page.getByRole('row', { name: /paid.*€2\.00 refunded to the card/ });
  await expect(mine).toBeVisible();
  await expectAccessible(page, 'invoice refunded in part');
  await expectFitsPhone(page, 'billing, a refunded invoice', mine);
  expect((await unwrap(company.admin.GET('/v1/companies/me/billing'))).outstanding).toEqual([]);

  const desk = await (await browser.newContext()).newPage();
  await signInPage(desk, await createStaff('finance'), '/finance/receivables');
  await desk
    .locator('label')
    .filter({ hasText: /^Paid$/ })
    .click();
  const all = desk.getByRole('region', { name: "Table of every company's invoices" });
  await expect(
    all.getByRole('row', { name: new RegExp(`${name}.*€2\\.00 refunded to the card`) }),
  ).toBeVisible();
});

/**
 * What the company owes follows its resolutions live: the billing page stayed as first read
 * (until the window was focused again) while its tickets were resolved.
 */
test('what a company owes moves on its billing page as its tickets are resolved', async ({
  page,
}) => {
  const company = await signUpCompany(`Live owed ${Math.random().toString(36).slice(2, 8)}`);
  await signInPage(page, company.email, '/company/billing');
  await expect(page.getByRole('status', { name: 'Live updates: Live' })).toBeVisible();
  await expect(page.getByText('Nothing is owed.')).toBeVisible();
  await resolvedTickets(company, await signUpAgent('Lou Live'), 1, 'Owed desk');
  await expect(page.getByText('€2.88 owed, not yet paid')).toBeVisible({
    timeout: 20_000,
  });
});
