import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { unwrap } from '../../src/client/client';
import {
  createStaff,
  postShift,
  resolvedTickets,
  signInPage,
  signUpAgent,
  signUpCompany,
  sql,
} from './api';
import { expectAccessible, expectFitsPhone, openShiftCard } from './journeys';

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
  // The formula adds up as written: the mean to the 4 decimals the score is computed with (at
  // 2 it did not), and the score rounded down to a tenth of a percent above it.
  const formula = (await score.textContent())!.match(
    /\((\d\.\d{4}) \+ (\d+) × (\d\.\d{4})\) ÷ \((\d+) \+ \d+\) = (\d\.\d{4})/,
  );
  expect(formula).not.toBeNull();
  const [, sum, weight, mean, inputs, result] = formula!.map(Number);
  expect(Math.abs((sum + weight * mean) / (inputs + weight) - result)).toBeLessThan(0.0001);
  // The headline (the first such text: the per-company table may show the same figure).
  await expect(
    score.getByText(`${Math.floor(result * 1000 + 1e-9) / 10}%`, { exact: true }).first(),
  ).toBeVisible();
  const rows = page.getByRole('region', { name: 'Table of your ratings and reviews' });
  const review = rows.getByRole('row', { name: /Company review.*1 of 5.*Curt with the customer/ });
  await expect(review).toBeVisible();
  await expect(
    rows.getByRole('row', { name: /Customer.*5 of 5.*Lovely, thank you.*cannot be disputed/ }),
  ).toBeVisible();
  await expectAccessible(page, 'quality');
  await expectFitsPhone(page, 'quality', review);

  // Times in the agent's profile zone, as on every agent page (not the browser's).
  await expect(review).toContainText('Europe/Lisbon');
  await review.getByRole('button', { name: /^Dispute the review of .* Europe\/Lisbon$/ }).click();
  const dialog = page.getByRole('dialog', { name: /^Dispute the review of/ });
  await dialog.getByRole('button', { name: 'Dispute' }).click();
  // One message for a blank reason, not one per rule it breaks.
  await expect(dialog.getByText('reason must not be blank', { exact: true })).toBeVisible();
  // The company changes its review meanwhile: the dispute of the version shown is refused, the
  // list read again, and the next press disputes the review as it now reads (the dialog sent
  // its first copy again, refused for good).
  await unwrap(
    company.admin.PUT('/v1/tickets/{id}/review', {
      params: { path: { id: reviewed.id } },
      body: { score: 1, tags: ['tone'], note: 'Curt with the customer, twice' },
    }),
  );
  await dialog.getByRole('textbox', { name: 'Reason' }).fill('The customer thanked me twice');
  await dialog.getByRole('button', { name: 'Dispute' }).click();
  await expect(dialog.getByRole('alert')).toContainText('changed this review after you read it');
  await expect(review).toContainText('Curt with the customer, twice');
  await dialog.getByRole('button', { name: 'Dispute' }).click();
  await expect(dialog).toBeHidden();
  await expect(review).toContainText('Disputed, waiting for an admin');

  // An admin decides.
  const other = await browser.newContext();
  const desk = await other.newPage();
  await signInPage(desk, await createStaff('admin'), '/platform/reviews');
  const waiting = desk.getByRole('region', { name: 'Table of disputed reviews' });
  const row = waiting.getByRole('row', { name: /Quinn Rated.*The customer thanked me twice/ });
  await expect(row).toBeVisible();
  // What was resolved, beside the review and the reason.
  await expect(row).toContainText(/Refund \d+Resolved .*: Refunded\./);
  await expectAccessible(desk, 'review disputes');
  await row.getByRole('button', { name: /^Remove the review/ }).click();
  const decide = desk.getByRole('dialog', { name: 'Remove the review of Quinn Rated' });
  await decide.getByRole('textbox', { name: 'Note' }).fill('The transcript shows a kind exchange');
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
  await expect(review).toContainText(
    "Dispute won: the review was removed and no longer counts. The admin's note: The transcript shows a kind exchange",
  );
  await expect(review.getByRole('cell', { name: 'No', exact: true })).toBeVisible();
  await expect(score).toContainText('1 rating or review in the last 90 days');
});

/**
 * The other decision: an admin upholds a disputed review, with a reason; it leaves the pending
 * list for the upheld one, and the agent reads it upheld, still counting, with the admin's note.
 */
test('an admin upholds a disputed review: it keeps counting, and the agent reads why', async ({
  page,
  browser,
}) => {
  const company = await signUpCompany(`Upheld ${Math.random().toString(36).slice(2, 8)}`);
  const agent = await signUpAgent('Uma Upheld');
  const [ticket] = await resolvedTickets(company, agent, 1, 'Upheld desk');
  const review = await unwrap(
    company.admin.POST('/v1/tickets/{id}/review', {
      params: { path: { id: ticket.id }, header: { 'Idempotency-Key': randomUUID() } },
      body: { score: 2, tags: ['accuracy'], note: 'Quoted the wrong refund window' },
    }),
  );
  await unwrap(
    agent.api.POST('/v1/reviews/{id}/dispute', {
      params: { path: { id: review.id }, header: { 'Idempotency-Key': randomUUID() } },
      body: { reason: 'The policy changed that week' },
    }),
  );

  const other = await browser.newContext();
  const desk = await other.newPage();
  await signInPage(desk, await createStaff('admin'), '/platform/reviews');
  const table = desk.getByRole('region', { name: 'Table of disputed reviews' });
  const row = table.getByRole('row', { name: /Uma Upheld.*The policy changed that week/ });
  await row.getByRole('button', { name: /^Uphold the review of Uma Upheld/ }).click();
  const decide = desk.getByRole('dialog', { name: 'Uphold the review of Uma Upheld' });
  await expect(decide.getByText(/keeps counting in the agent’s score/)).toBeVisible();
  await decide.getByRole('textbox', { name: 'Note' }).fill('The old window applied to it');
  await decide.getByRole('button', { name: 'Uphold' }).click();
  await expect(decide).toBeHidden();
  await expect(row).toBeHidden();
  await desk
    .locator('label')
    .filter({ hasText: /^Upheld$/ })
    .click();
  await expect(
    table.getByRole('row', { name: /Uma Upheld.*upheld: The old window applied to it/ }),
  ).toBeVisible();
  await expectAccessible(desk, 'review disputes upheld');
  await other.close();

  await signInPage(page, agent.email, '/agent/quality');
  const rows = page.getByRole('region', { name: 'Table of your ratings and reviews' });
  const mine = rows.getByRole('row', { name: /Company review.*2 of 5.*wrong refund window/ });
  await expect(mine).toContainText(
    "Dispute lost: the review stands and counts. The admin's note: The old window applied to it",
  );
  await expect(mine.getByRole('cell', { name: 'Yes', exact: true })).toBeVisible();
});

/**
 * Pay per hour in the agent's pages: a seat worked for an hour (two tickets at €2.50) shows
 * €5.00 an hour once completed, and the company's next shift an estimate from that history.
 */
test('a completed seat shows its hourly pay; an open shift its estimate', async ({ page }) => {
  const company = await signUpCompany(`Hourly ${Math.random().toString(36).slice(2, 8)}`);
  const agent = await signUpAgent('Pat Hourly');
  await resolvedTickets(company, agent, 2, 'Hourly desk');
  const [seat] = (
    await unwrap(
      agent.api.GET('/v1/agents/me/claims', { params: { query: { status: 'checked_in' } } }),
    )
  ).items;
  // An hour worked: checked in when the seat began an hour ago; the shift ends in 20 minutes,
  // past the close of claims and half of it, so the check-out completes the seat (not leaving
  // early).
  await sql(
    `UPDATE shifts SET starts_at = now() - interval '1 hour', ends_at = now() + interval '20 minutes'
      WHERE id = $1`,
    [seat.shiftId],
  );
  await sql(
    `UPDATE shift_claims SET checked_in_at = now() - interval '1 hour',
            period = tstzrange(now() - interval '1 hour', now() + interval '20 minutes', '[)')
      WHERE id = $1`,
    [seat.id],
  );
  await unwrap(
    agent.api.POST('/v1/shifts/{id}/check-out', { params: { path: { id: seat.shiftId } } }),
  );
  await postShift(company, 30 * 3600, { title: 'Hourly desk again' });

  await signInPage(page, agent.email, '/agent/seats');
  await expect(
    page
      .getByRole('article', { name: /Hourly desk · / })
      .getByText(/Earned €5\.00 in 1\.0 h worked: €5\.00 an hour/),
  ).toBeVisible();
  await page.goto('/agent/shifts');
  const again = await openShiftCard(page, /Hourly desk again/);
  await expect(
    again.getByText(/about €5\.00 an hour \(an estimate from this company's last 1 agent-hours\)/),
  ).toBeVisible();
});

/**
 * The company reviews a resolution on the ticket's page: it sees the customer's rating, writes
 * a score with tags and a note, and can still change it (within 7 days, not disputed).
 */
test('a company reads the rating and reviews the resolution on the ticket page', async ({
  page,
}) => {
  const company = await signUpCompany(`Reviewing ${Math.random().toString(36).slice(2, 8)}`);
  const agent = await signUpAgent('Robin Reviewed');
  const [ticket] = await resolvedTickets(company, agent, 1, 'Review desk', {
    complete: false,
    missing: ['order id'],
  });
  await unwrap(
    company.bot.POST('/v1/escalations/{externalId}/rating', {
      params: { path: { externalId: ticket.externalId } },
      body: { csat: 5, comment: 'Great help' },
    }),
  );
  await signInPage(page, company.email, `/company/tickets/${ticket.id}`);
  const feedback = page.getByRole('region', { name: 'Feedback' });
  await expect(feedback).toContainText('The customer rated it 5 of 5: “Great help”.');
  await feedback.locator('label').filter({ hasText: /^4$/ }).click();
  await feedback.getByRole('checkbox', { name: 'Accuracy' }).check();
  await feedback.getByRole('textbox', { name: 'Note for the agent' }).fill('Solid fix');
  await feedback.getByRole('button', { name: 'Save review' }).click();
  await expect(feedback).toContainText('Your review: 4 of 5 (accuracy): “Solid fix”');
  await expect(feedback.getByRole('button', { name: 'Change review' })).toBeVisible();
  await expectAccessible(page, 'ticket feedback');

  // The agent's score, as the company sees it; the bot's handoff, as agents judged it.
  await page.goto('/company/agents');
  await page.getByRole('button', { name: 'Quality of Robin Reviewed' }).click();
  const modal = page.getByRole('dialog', { name: 'Quality of Robin Reviewed' });
  await expect(modal).toContainText(
    /Quality score \d+(\.\d)?% \(middle tier\), from ratings and reviews in the last 90 days/,
  );
  await expect(modal).toContainText(/From your customers and reviews: \d+(\.\d)?% over 2/);
  await expectAccessible(page, 'agent quality for a company');
  await page.keyboard.press('Escape');
  await page.goto('/company/integration');
  const handoff = page.getByRole('region', { name: 'Handoff quality' });
  await expect(handoff).toContainText(
    "Of your bot's 1 escalations in the last 90 days, 1 (100%) had trouble",
  );
  await expect(handoff).toContainText('1 (100%) flagged incomplete by the agent (1 judged)');
  await expect(handoff).toContainText('Most often missing: order id (1).');
});
