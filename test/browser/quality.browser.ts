import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { unwrap } from '../../src/client/client';
import { createStaff, resolvedTickets, signInPage, signUpAgent, signUpCompany } from './api';
import { expectAccessible, expectFitsPhone } from './journeys';

/**
 * Quality in the console: an agent reads its score (the formula with its own numbers), the
 * customer's rating and the company's review of its work, and disputes the review; an admin
 * finds the dispute waiting and removes the review; the agent sees it no longer counts and
 * its score back to the rating alone.
 */
test('an agent disputes a review, an admin removes it, the score follows', async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  const company = await signUpCompany(`Reviewer ${Math.random().toString(36).slice(2, 8)}`);
  const agent = await signUpAgent('Quinn Rated');
  const [rated, reviewed] = await resolvedTickets(company, agent, 2, 'Quality desk');
  await unwrap(
    company.bot.POST('/v1/escalations/{externalId}/rating', {
      params: { path: { externalId: rated.externalId } },
      body: { csat: 5, comment: 'Lovely, thank you' },
    }),
  );
  await unwrap(
    company.admin.POST('/v1/tickets/{id}/review', {
      params: { path: { id: reviewed.id }, header: { 'Idempotency-Key': randomUUID() } },
      body: { score: 1, tags: ['tone'], note: 'Curt with the customer' },
    }),
  );

  await signInPage(page, agent.email, '/agent/quality');
  const score = page.getByRole('region', { name: 'Quality score' });
  await expect(score).toContainText('2 ratings and reviews in the last 90 days');
  await expect(score).toContainText('Middle tier');
  const rows = page.getByRole('region', { name: 'Table of your ratings and reviews' });
  const review = rows.getByRole('row', { name: /Company review.*1 of 5.*Curt with the customer/ });
  await expect(review).toBeVisible();
  await expect(
    rows.getByRole('row', { name: /Customer.*5 of 5.*Lovely, thank you.*cannot be disputed/ }),
  ).toBeVisible();
  await expectAccessible(page, 'quality');
  await expectFitsPhone(page, 'quality', review);

  await review.getByRole('button', { name: /^Dispute the review of/ }).click();
  const dialog = page.getByRole('dialog', { name: /^Dispute the review of/ });
  await dialog.getByRole('button', { name: 'Dispute' }).click();
  await expect(dialog.getByText('reason must not be blank')).toBeVisible();
  await dialog.getByRole('textbox', { name: 'Reason' }).fill('The customer thanked me twice');
  await dialog.getByRole('button', { name: 'Dispute' }).click();
  await expect(dialog).toBeHidden();
  await expect(review).toContainText('Disputed, waiting for an admin');

  // An admin decides.
  const other = await browser.newContext();
  const desk = await other.newPage();
  await signInPage(desk, await createStaff('admin'), '/platform/reviews');
  const waiting = desk.getByRole('region', { name: 'Table of disputed reviews' });
  const row = waiting.getByRole('row', { name: /The customer thanked me twice/ });
  await expect(row).toBeVisible();
  await expectAccessible(desk, 'review disputes');
  await row.getByRole('button', { name: /^Remove the review/ }).click();
  const decide = desk.getByRole('dialog', { name: 'Remove the review' });
  await decide
    .getByRole('textbox', { name: 'Reason' })
    .fill('The transcript shows a kind exchange');
  await decide.getByRole('button', { name: 'Remove' }).click();
  await expect(decide).toBeHidden();
  await expect(row).toBeHidden();
  await desk
    .locator('label')
    .filter({ hasText: /^Removed$/ })
    .click();
  await expect(
    waiting.getByRole('row', { name: /removed: The transcript shows a kind exchange/ }),
  ).toBeVisible();
  await other.close();

  // The agent: the review no longer counts; the score is made of the rating alone.
  await page.reload();
  await expect(review).toContainText('Dispute removed: The transcript shows a kind exchange');
  await expect(review.getByRole('cell', { name: 'No', exact: true })).toBeVisible();
  await expect(score).toContainText('1 rating or review in the last 90 days');
});
