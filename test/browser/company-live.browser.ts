import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { unwrap } from '../../src/client/client';
import {
  checkedInOnLiveShift,
  postShift,
  resolvedTickets,
  signInPage,
  signUpAgent,
  signUpCompany,
  sql,
} from './api';
import { expectAccessible } from './journeys';

/**
 * The company's pages while others act: another admin, the company's other tab, agents taking
 * seats and resolving tickets. What a dialog or form says and sends follows what is so now.
 */

const unique = (name: string) => `${name} ${Math.random().toString(36).slice(2, 8)}`;

test('a review is written for the resolution shown: not pre-filled from a reopened one’s, and not over another admin’s', async ({
  page,
}) => {
  const company = await signUpCompany(unique('Hooli'));
  const agent = await signUpAgent('Rae Review');
  const [ticket] = await resolvedTickets(company, agent, 1, 'Hooli desk');
  const path = { params: { path: { id: ticket.id } } };
  await unwrap(
    company.admin.POST('/v1/tickets/{id}/review', {
      ...path,
      body: { score: 2, tags: ['tone'], note: 'Curt with the customer.' },
    }),
  );
  await unwrap(
    company.admin.POST('/v1/tickets/{id}/reopen', {
      ...path,
      body: { reason: 'Customer wrote back: still charged' },
    }),
  );
  await signInPage(page, company.email, `/company/tickets/${ticket.id}`);
  const feedback = page.getByRole('region', { name: 'Feedback' });
  await expect(feedback.getByText(/^Your review: 2 of 5 \(tone\)/)).toBeVisible();
  // Which resolution the review is of, by name: the header names whoever works it now.
  await expect(
    feedback.getByText(/^Your review is of Rae Review’s resolution of .+, reopened .+\.$/),
  ).toBeVisible();
  await expect(feedback.getByRole('textbox', { name: 'Note for the agent' })).toHaveValue(
    'Curt with the customer.',
  );
  await expect(page.getByRole('status', { name: 'Live updates: Live' })).toBeVisible();

  // Resolved again while the page is open: the new resolution has no review, and the form is
  // a new one (it kept the first review's score and note, ready to be saved against this one).
  await unwrap(agent.api.POST('/v1/tickets/{id}/claim', path));
  await unwrap(
    agent.api.POST('/v1/tickets/{id}/resolve', {
      ...path,
      body: { resolutionSummary: 'Refunded the second charge.' },
    }),
  );
  const save = feedback.getByRole('button', { name: 'Save review' });
  await expect(save).toBeVisible();
  await expect(feedback.getByText(/^Your review:/)).toHaveCount(0);
  await expect(
    feedback.getByText(/^To review: Rae Review’s resolution of (?!.*reopened).+\.$/),
  ).toBeVisible();
  await expect(feedback.getByRole('textbox', { name: 'Note for the agent' })).toHaveValue('');
  await expect(feedback.getByRole('checkbox', { name: 'Tone' })).not.toBeChecked();

  // Another admin reviews it first (nothing tells this page): the save is refused, said in the
  // console's words, and the review that stands is shown, ready to be changed.
  await unwrap(
    company.admin.POST('/v1/tickets/{id}/review', {
      ...path,
      body: { score: 4, tags: [], note: 'Good recovery.' },
    }),
  );
  await feedback.getByRole('textbox', { name: 'Note for the agent' }).fill('Slow to answer.');
  await save.click();
  const conflict = feedback.getByRole('status').filter({ hasText: 'Your review was not saved' });
  await expect(conflict).toContainText('Another review of this resolution was saved first');
  await expect(feedback.getByText(/^Your review: 4 of 5: “Good recovery.”/)).toBeVisible();
  await expect(feedback.getByRole('textbox', { name: 'Note for the agent' })).toHaveValue(
    'Good recovery.',
  );
  await expect(feedback.getByRole('button', { name: 'Change review' })).toBeVisible();
  await expectAccessible(page, 'a review saved first by another admin');

  // Reopened again, then withdrawn by the bot: the review still counts for the agent, so it
  // stays shown and may still be changed; the ticket is final, so no new one would be taken.
  await unwrap(
    company.admin.POST('/v1/tickets/{id}/reopen', { ...path, body: { reason: 'Again' } }),
  );
  await unwrap(
    company.bot.POST('/v1/escalations/{externalId}/withdraw', {
      params: { path: { externalId: ticket.externalId } },
      body: { reason: 'The customer closed the chat' },
    }),
  );
  await page.reload();
  await expect(page.getByText('withdrawn', { exact: true })).toBeVisible();
  await expect(feedback.getByText(/^Your review: 4 of 5: “Good recovery.”/)).toBeVisible();
  await expect(
    feedback.getByText(/^Your review is of Rae Review’s resolution of .+, reopened .+\.$/),
  ).toBeVisible();
  await feedback.locator('label').filter({ hasText: /^5$/ }).click();
  await feedback.getByRole('button', { name: 'Change review' }).click();
  await expect(feedback.getByText(/^Your review: 5 of 5: “Good recovery.”/)).toBeVisible();
});

test('cancelling a shift says what it does to the seats as they are when asked, a running one apart', async ({
  page,
}) => {
  const company = await signUpCompany(unique('Pied Piper'));
  const later = await postShift(company, 6 * 3600, { title: 'Evening cover' });
  const worker = await signUpAgent('Wes Working');
  await checkedInOnLiveShift(company, worker, { title: 'Morning cover' });
  await signInPage(page, company.email, '/company/shifts');
  const evening = page.getByRole('article', { name: 'Evening cover' });
  await expect(evening.getByText('0 of 5 seats filled')).toBeVisible();

  // An agent takes a seat after the list was read (no event tells the company's page).
  const taker = await signUpAgent('Tia Taker');
  await unwrap(
    taker.api.POST('/v1/shifts/{id}/claims', {
      params: { path: { id: later.id }, header: { 'Idempotency-Key': randomUUID() } },
    }),
  );
  await evening.getByRole('button', { name: 'Cancel shift Evening cover' }).click();
  const dialog = page.getByRole('dialog', { name: 'Cancel “Evening cover”' });
  // It said "Nobody holds a seat yet", from the list as first read.
  await expect(dialog.getByText(/^The agent holding a seat is released/)).toBeVisible();
  await dialog.getByRole('button', { name: 'Keep the shift' }).click();
  await expect(dialog).toBeHidden();

  // Running, with the agent checked in: its seat ends early and its tickets go back.
  const morning = page.getByRole('article', { name: 'Morning cover' });
  await morning.getByRole('button', { name: 'Cancel shift Morning cover' }).click();
  const running = page.getByRole('dialog', { name: 'Cancel “Morning cover”' });
  await expect(
    running.getByText(/^The agent checked in has its seat ended now: the time worked counts/),
  ).toBeVisible();
  await expect(running).toContainText(
    'the tickets being worked go back to the queue after a short grace',
  );
  await expectAccessible(page, 'cancelling a running shift');
  await running.getByRole('button', { name: 'Cancel the shift' }).click();
  await expect(running).toBeHidden();
  await expect(morning).toBeHidden();
  const seats = await unwrap(worker.api.GET('/v1/agents/me/claims'));
  expect(seats.items[0]).toMatchObject({ status: 'completed', endedBy: 'company' });
});

/**
 * A resolution past its reopen and review windows: the ticket's page says until when it could be
 * reopened or reviewed, rather than forms the API refuses (REOPEN_WINDOW_CLOSED,
 * FEEDBACK_WINDOW_CLOSED) once filled in. Inside the window it says until when.
 */
test('a resolution past its reopen and review windows says so, with no form to fill in', async ({
  page,
}) => {
  const company = await signUpCompany(`Late Reopen ${randomUUID().slice(0, 6)}`);
  const agent = await signUpAgent('Rey Resolver');
  const [late, recent] = await resolvedTickets(company, agent, 2, 'Reopen window desk');
  await sql(`UPDATE tickets SET resolved_at = now() - interval '91 days' WHERE id = $1`, [late.id]);
  await sql(
    `UPDATE ticket_claims SET resolved_at = now() - interval '91 days' WHERE ticket_id = $1`,
    [late.id],
  );
  await signInPage(page, company.email, `/company/tickets/${late.id}`);
  const reopen = page.getByRole('region', { name: 'Reopen' });
  await expect(
    reopen.getByText(/^It could be reopened until .*: that window has closed\.$/),
  ).toBeVisible();
  await expect(reopen.getByRole('button', { name: 'Reopen ticket' })).toHaveCount(0);
  // Nor can it be reviewed any more (90 days): said, not a form refused once filled in.
  const feedback = page.getByRole('region', { name: 'Feedback' });
  await expect(
    feedback.getByText(/^This resolution could be reviewed until .*: that window has closed\.$/),
  ).toBeVisible();
  await expect(feedback.getByRole('button', { name: 'Save review' })).toHaveCount(0);
  await expectAccessible(page, 'a ticket past its reopen window');
  await page.goto(`/company/tickets/${recent.id}`);
  await expect(
    reopen.getByText(/You can reopen it until .*: it goes back to the queue/),
  ).toBeVisible();
  await expect(reopen.getByRole('button', { name: 'Reopen ticket' })).toBeVisible();
  await expect(feedback.getByRole('button', { name: 'Save review' })).toBeVisible();
});
