import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { unwrap } from '../../src/client/client';
import { escalate, postShift, signInPage, signUpAgent, signUpCompany, sql } from './api';
import { expectAccessible, expectFitsPhone } from './journeys';

/**
 * Surge in the console: the company's shift says its surge; an agent who takes a ticket while
 * the queue runs long sees the surge in what resolving pays; the company sees what of the budget
 * is committed and cannot set the budget below it; the post form names a bad surge field.
 */
test('surge: the agent sees it on the ticket it took, the company its budget', async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  const company = await signUpCompany(`Surge ${Math.random().toString(36).slice(2, 8)}`);
  const agent = await signUpAgent('Sam Surge');
  const shift = await postShift(company, 3600, {
    title: 'Surge desk',
    surge: { maxMultiplierBps: 15_000, openTicketsPerAgent: 2, budgetMinor: 1000 },
  });
  await unwrap(
    agent.api.POST('/v1/shifts/{id}/claims', {
      params: { path: { id: shift.id }, header: { 'Idempotency-Key': randomUUID() } },
    }),
  );
  await sql(`UPDATE shifts SET starts_at = now() - interval '5 minutes' WHERE id = $1`, [shift.id]);
  await unwrap(agent.api.POST('/v1/shifts/{id}/check-in', { params: { path: { id: shift.id } } }));
  // Three open tickets for one agent: half way from the threshold (2) to twice it: ×1.25.
  for (let n = 1; n <= 3; n++) await escalate(company, `surge-${n}-${randomUUID()}`, `Refund ${n}`);

  await signInPage(page, agent.email, '/agent/desk');
  await page.getByRole('button', { name: 'Take next ticket' }).click();
  await expect(page).toHaveURL(/\/agent\/tickets\//);
  // €2.50 × 1.25 = €3.125: the extra is rounded down to whole cents.
  await expect(page.getByText('Pays €3.12 (surge ×1.25: +€0.62) when resolved')).toBeVisible();
  await expectAccessible(page, 'ticket with surge');
  await expectFitsPhone(
    page,
    'ticket with surge',
    page.getByText('Pays €3.12 (surge ×1.25: +€0.62) when resolved'),
  );
  await page.goto('/agent/desk');
  await expect(
    page.getByRole('article', { name: 'Refund 1' }).getByText(/€3\.12 \(surge ×1\.25: \+€0\.62\)/),
  ).toBeVisible();

  const desk = await (await browser.newContext()).newPage();
  await signInPage(desk, company.email, '/company/shifts');
  const card = desk.getByRole('article', { name: 'Surge desk' });
  await expect(
    card.getByText('Surge up to ×1.5 above 2 open tickets per agent, budget €10.00'),
  ).toBeVisible();
  await card.getByRole('button', { name: 'Seats and waitlist' }).click();
  await expect(
    card.getByText('Surge budget committed to claims and offers: €0.62 of €10.00'),
  ).toBeVisible();
  await expectAccessible(desk, 'shifts with surge');
  await expectFitsPhone(desk, 'shifts with surge', card.getByText(/^Surge budget committed/));
  await card.getByRole('button', { name: 'Change shift Surge desk' }).click();
  const dialog = desk.getByRole('dialog', { name: 'Change “Surge desk”' });
  // Amounts it cannot read are said in the form's words, and nothing is sent: "1,000" is
  // neither a thousand nor a price (the API would have answered for `amountMinor`).
  const budgetInput = dialog.getByRole('textbox', { name: 'Surge budget (EUR)' });
  const rateInput = dialog.getByRole('textbox', { name: 'Pay per resolved ticket (EUR)' });
  const rateBefore = await rateInput.inputValue();
  await budgetInput.fill('1,000');
  await rateInput.fill('');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await expect(budgetInput).toHaveAccessibleDescription(
    /at most 2 decimals: 1000 or 2.50, not 1,000/,
  );
  await expect(rateInput).toHaveAccessibleDescription(/Enter the pay per resolved ticket/);
  await expect(dialog.getByText('Not changed')).toBeHidden();
  await rateInput.fill(rateBefore);
  await expect(rateInput).not.toHaveAccessibleDescription(/Enter the pay/);
  await budgetInput.fill('0.50');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await expect(
    dialog.getByText('€0.62 of the surge budget is committed to claims and offers'),
  ).toBeVisible();
  await expectAccessible(desk, 'change a surge shift');
  await dialog.getByRole('textbox', { name: 'Surge budget (EUR)' }).fill('20');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await expect(dialog).toBeHidden();
  await expect(
    card.getByText('Surge up to ×1.5 above 2 open tickets per agent, budget €20.00'),
  ).toBeVisible();

  // The post form: surge on with no budget is refused under the budget's input, before sending;
  // a budget out of the API's bounds (zero) is said in money under the same input.
  const form = desk.getByRole('region', { name: 'Post a shift' });
  const postBudget = form.getByRole('textbox', { name: 'Surge budget (EUR)' });
  await form.getByRole('switch', { name: 'Surge pay when the queue runs long' }).check();
  await form.getByRole('button', { name: 'Post shift' }).click();
  await expect(postBudget).toHaveAccessibleDescription(/Enter the most the extras may add up to/);
  await postBudget.fill('0');
  await form.getByRole('button', { name: 'Post shift' }).click();
  // Said in money, before sending (it was the API's "budgetMinor must not be less than 1").
  await expect(postBudget).toHaveAccessibleDescription(/At least €0\.01/);
  // So are a multiplier and a threshold emptied, and early access half given (the API's
  // "maxMultiplierBps must not be less than 10001" and "earlyAccessMinQuality is required…").
  const top = form.getByRole('textbox', { name: 'Top multiplier (×)' });
  const perAgent = form.getByRole('textbox', { name: 'Open tickets per agent' });
  await top.fill('');
  await perAgent.fill('');
  await form.getByRole('textbox', { name: 'Early access (hours)' }).fill('4');
  const posts: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/v1/shifts')) posts.push(r.url());
  });
  await form.getByRole('button', { name: 'Post shift' }).click();
  await expect(top).toHaveAccessibleDescription(/Enter a multiplier above 1, up to 3/);
  await expect(perAgent).toHaveAccessibleDescription(/Enter a whole number from 1 to 1,000/);
  await expect(
    form.getByRole('textbox', { name: 'Early access score (%)' }),
  ).toHaveAccessibleDescription(/Enter the score early access needs, or empty its hours/);
  await expect(form.getByText(/maxMultiplierBps|openTicketsPerAgent|earlyAccess/)).toHaveCount(0);
  expect(posts).toEqual([]);
  await top.fill('1.5');
  await perAgent.fill('3');
  await form.getByRole('textbox', { name: 'Early access (hours)' }).fill('');
  // The cost says what surge can add, the fee on the extras too (it said the plain rate only):
  // €2.50 at ×1.5 is €3.75, with 15 % €4.31; a €50 budget is up to €57.50 billed.
  await postBudget.fill('50');
  await expect(
    form.getByText(
      'Each resolved ticket costs you €2.88: €2.50 to the agent and €0.38 platform fee (15 %). ' +
        'With surge, up to €4.31 each (€3.75 to the agent), the extras at most €50.00 in all ' +
        'plus the fee on them (about €57.50: the fee is rounded on each ticket).',
    ),
  ).toBeVisible();
});
