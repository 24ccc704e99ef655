import { randomUUID } from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import { unwrap } from '../../src/client/client';
import {
  checkedInOnLiveShift,
  createStaff,
  escalate,
  PASSWORD,
  postShift,
  resolvedTickets,
  signInApi,
  signInPage,
  signUpAgent,
  signUpCompany,
  sql,
} from './api';
import { expectAccessible, expectFitsPhone, openShiftCard } from './journeys';

/**
 * The rest of the agent's workspace, on a laptop: the waitlist of a full shift, a seat whose
 * check-in has not opened (the countdown) and its early cancellation, a pull shift's "Take next
 * ticket", a release (its field error first), a ticket withdrawn under the agent's eyes, a break
 * with the time left, and signing out.
 */
test('an agent on a pull shift: waitlist, countdown, claim-next, a break, a withdrawal', async ({
  page,
}) => {
  test.setTimeout(150_000);
  const companyName = `Globex ${Math.random().toString(36).slice(2, 8)}`;
  const company = await signUpCompany(companyName);
  // A pull shift starting in 40 s (check-in opens 15 minutes before in the test instance).
  await postShift(company, 40, { title: 'Pull desk', maxAwayMinutes: 15 });
  // In 4 hours: not yet open for check-in, and cancelling it is not late (2 h window).
  await postShift(company, 4 * 3600, { title: 'Evening desk' });
  // One seat, taken by someone else: the agent can only join its waitlist.
  const full = await postShift(company, 5 * 3600, { title: 'Night desk', seats: 1 });
  const other = await signUpAgent();
  await other.api.POST('/v1/shifts/{id}/claims', {
    params: { path: { id: full.id }, header: { 'Idempotency-Key': `k-${full.id}` } },
  });

  const agent = await signUpAgent();
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(agent.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/agent\/desk$/);

  await page.goto('/agent/shifts');
  const card = (title: string) => page.getByRole('article', { name: `${title} · ${companyName}` });
  // Each card once shown: they may be on a later page.
  const shown = (title: string) => openShiftCard(page, `${title} · ${companyName}`);
  await (await shown('Night desk')).getByRole('button', { name: 'Join the waitlist' }).click();
  await expect(card('Night desk').getByText('You are number 1 in line.')).toBeVisible();
  // Until when the line gives seats: the end less the seat's grace, in the agent's zone.
  await expect(
    card('Night desk').getByText(
      /goes to the first eligible agent until \w{3} \d+ \w{3}, \d\d:\d\d/,
    ),
  ).toBeVisible();
  await expectAccessible(page, 'shifts with a waitlist');
  // The place in line stays after a reload, and the agent can leave (and join again).
  await page.reload();
  await expect((await shown('Night desk')).getByText('You are number 1 in line.')).toBeVisible();
  await card('Night desk').getByRole('button', { name: 'Leave the waitlist' }).click();
  await expect(card('Night desk').getByText(/in line/)).toBeHidden();
  await card('Night desk').getByRole('button', { name: 'Join the waitlist' }).click();
  await expect(card('Night desk').getByText('You are number 1 in line.')).toBeVisible();
  await (await shown('Pull desk')).getByRole('button', { name: 'Claim a seat' }).click();
  await expect(card('Pull desk')).toBeHidden();
  await (await shown('Evening desk')).getByRole('button', { name: 'Claim a seat' }).click();
  await expect(card('Evening desk')).toBeHidden();

  await page.goto('/agent/seats');
  const evening = card('Evening desk');
  await expect(evening.getByText(/^Check-in opens in /)).toBeVisible();
  await expect(evening.getByRole('button', { name: 'Check in' })).toBeDisabled();
  await evening.getByRole('button', { name: 'Cancel seat' }).click();
  const dialog = page.getByRole('dialog', { name: 'Cancel this seat?' });
  await expect(dialog.getByText('This is a late cancellation')).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Cancel my seat' }).click();
  await expect(evening.getByText('Cancelled')).toBeVisible();
  // Its button went with the seat's state: the keyboard's focus stays near, not at the top.
  await expect
    .poll(() => page.evaluate<boolean>('document.activeElement !== document.body'))
    .toBe(true);
  await card('Pull desk').getByRole('button', { name: 'Check in' }).click();
  await expect(card('Pull desk').getByRole('button', { name: 'Check in' })).toBeHidden();

  await page.goto('/agent/desk');
  await waitForStart(page);
  const first = `conv-${Date.now()}-a`;
  const externalId = `conv-${Date.now()}-b`;
  await escalate(company, first, 'Refund for a cancelled order');
  await escalate(company, externalId, 'Wrong size delivered');
  await page.getByRole('button', { name: 'Take next ticket' }).click();
  await expect(page.getByRole('heading', { name: 'Refund for a cancelled order' })).toBeVisible();
  // The button went with the desk: focus is on the ticket's heading, not lost to the page.
  await expect(page.getByRole('heading', { level: 1 })).toBeFocused();

  // A long conversation: the newest messages show without asking (the API pages it oldest
  // first, 100 at most a page; the page showed the first 20 and hid the rest, live ones too).
  for (let n = 1; n <= 105; n += 1) {
    await company.bot.POST('/v1/escalations/{externalId}/messages', {
      params: { path: { externalId: first } },
      body: {
        messageId: `c-${n}`,
        body: `Customer line ${n}`,
        author: 'customer',
        at: new Date().toISOString(),
      },
    });
  }
  await expect(page.getByText('Customer line 105', { exact: true })).toBeVisible();
  // In a log (a polite live region, once loaded): a reply that comes while the agent waits is
  // read out.
  const log = page.getByRole('log', { name: 'Conversation' });
  await expect(log.getByText('Customer line 105', { exact: true })).toBeVisible();
  // Every page of it, the oldest too.
  await expect(log.getByText(/^Customer line \d+$/)).toHaveCount(105);
  await expect(log).toHaveAttribute('aria-live', 'polite');

  // A message whose answer was lost is sent again by the console itself: the customer gets it
  // once (same key), and the agent sees it sent, not "Not sent".
  let lost = false;
  await page.route('**/v1/tickets/*/messages', async (route) => {
    if (route.request().method() !== 'POST' || lost) return route.fallback();
    lost = true;
    await route.fetch(); // written by the API
    await route.abort('connectionreset');
  });
  await page.getByLabel('Message', { exact: true }).fill('Checking your order now.');
  await page.getByRole('button', { name: 'Send message' }).click();
  const conversation = page.getByRole('list', { name: 'Messages' });
  await expect(conversation.getByText('Checking your order now.', { exact: true })).toBeVisible();
  await expect(page.getByLabel('Message', { exact: true })).toHaveValue('');
  await page.unroute('**/v1/tickets/*/messages');
  const { data: held } = await company.bot.GET('/v1/escalations/{externalId}', {
    params: { path: { externalId: first } },
  });
  /** Every message the bot can read of the ticket, all pages. */
  const botReads = async () => {
    const bodies: string[] = [];
    let cursor: string | undefined;
    do {
      const read = await company.bot.GET('/v1/tickets/{id}/messages', {
        params: { path: { id: held!.id }, query: { limit: 100, cursor } },
      });
      bodies.push(...read.data!.items.map((m) => m.body));
      cursor = read.data!.nextCursor ?? undefined;
    } while (cursor);
    return bodies;
  };
  const bodies = await botReads();
  expect(bodies.filter((b) => b === 'Checking your order now.')).toHaveLength(1);

  // An internal note: shown to the agent as one, never handed to the bot.
  await page.locator('label', { hasText: 'Internal note' }).click();
  // Who reads it: whoever holds the ticket (the next agent too) and the company's admins.
  await expect(page.getByLabel('Note', { exact: true })).toHaveAccessibleDescription(
    /Agents who hold this ticket and the company’s admins read notes; the customer does not/,
  );
  await page.getByLabel('Note', { exact: true }).fill('Order 1182 was refunded twice.');
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByLabel('Note', { exact: true })).toHaveValue('');
  const note = conversation
    .getByRole('listitem')
    .filter({ hasText: 'Order 1182 was refunded twice.' });
  await expect(note.getByText('Internal note')).toBeVisible();
  const afterNote = await botReads();
  // Every page read (the message sent just before is on the last one), the note on none.
  expect(afterNote).toContain('Checking your order now.');
  expect(afterNote).not.toContain('Order 1182 was refunded twice.');

  // Released without a reason: the API's 400 shows under the field it names.
  await page.getByRole('tab', { name: 'Release' }).click();
  // Who reads it: the company and the next agent (its bot hears the release), not the customer.
  await expect(page.getByLabel('Reason for releasing')).toHaveAccessibleDescription(
    /company that posted the ticket read it; the customer does not/,
  );
  await page.getByRole('button', { name: 'Release ticket' }).click();
  await expect(page.getByLabel('Reason for releasing')).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('Reason for releasing').fill('Needs the fraud team');
  await page.getByRole('button', { name: 'Release ticket' }).click();
  await expect(page).toHaveURL(/\/agent\/desk$/);

  // The next one is the other ticket (a released one is not this agent's for 30 minutes).
  await page.getByRole('button', { name: 'Take next ticket' }).click();
  await expect(page).toHaveURL(/\/agent\/tickets\//);
  await expect(page.getByRole('heading', { name: 'Wrong size delivered' })).toBeVisible();

  // The customer leaves before the agent writes: the ticket goes, with a notice.
  await company.bot.POST('/v1/escalations/{externalId}/withdraw', {
    params: { path: { externalId } },
    body: { reason: 'The customer closed the chat' },
  });
  await expect(page.getByText('Ticket withdrawn')).toBeVisible();
  await expect(page.getByText('This ticket is not yours now')).toBeVisible();
  await expectAccessible(page, 'ticket withdrawn');

  // A break: no work comes, and the shift's cap counts down.
  await page.goto('/agent/desk');
  // One name in both states (a name changing with the state read "Away, switch, off").
  const available = page.getByRole('switch', { name: 'Available for offers' });
  await expect(available).toBeChecked();
  await available.click();
  await expect(available).not.toBeChecked();
  await expect(page.getByText('Away: on a break, no new offers come')).toBeVisible();
  await expect(page.getByText(/^Break left: .* of 15 min$/)).toBeVisible();
  await expectAccessible(page, 'desk on a break');
  await available.click();
  await expect(available).toBeChecked();

  // A reload whose refresh the API took but whose answer was lost (the page left, the network
  // dropped): the browser still holds the spent cookie, and the next load is let in with it
  // (REFRESH_TOKEN_REUSE_GRACE_SECONDS), not signed out as if the cookie had been stolen.
  const context = page.context();
  const spent = await context.cookies();
  await page.route(
    '**/v1/auth/session/refresh',
    async (route) => {
      await route.fetch(); // rotated by the API
      await context.clearCookies();
      await context.addCookies(spent); // the new cookie never reached the browser
      await route.abort('connectionreset');
    },
    { times: 1 },
  );
  // The page tries again (a second later): the spent cookie is let in, and the desk stays,
  // without a trip through the sign-in page.
  await page.reload();
  await expect(page).toHaveURL(/\/agent\/desk$/);
  await expect(page.getByRole('switch', { name: 'Available for offers' })).toBeVisible();
  await expect(page.getByText(/Your session could not be restored/)).toHaveCount(0);
  // A deploy's 502 on the load's first try: the next try restores the session.
  await page.route(
    '**/v1/auth/session/refresh',
    (route) => route.fulfill({ status: 502, contentType: 'text/html', body: '<html>502</html>' }),
    { times: 1 },
  );
  await page.reload();
  await expect(page.getByRole('switch', { name: 'Available for offers' })).toBeVisible();
  await expect(page.getByText(/Your session could not be restored/)).toHaveCount(0);

  // A sign-out the API did not take (a deploy, offline) leaves the login in the cookie: the
  // agent is told and stays signed in here, not shown a sign-in page that a reload undoes.
  await page.route('**/v1/auth/session/logout', (route) =>
    route.fulfill({ status: 503, contentType: 'application/json', body: '{}' }),
  );
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByText('Not signed out')).toBeVisible();
  await expect(page.getByText(/this browser is still signed in: try again/)).toBeVisible();
  await expect(page).toHaveURL(/\/agent\/desk/);
  await page.unroute('**/v1/auth/session/logout');
  await page.getByRole('alert').getByRole('button', { name: 'Dismiss' }).click();

  // Signing out ends the session: a reload does not bring it back.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.goto('/agent/desk');
  await expect(page).toHaveURL(/\/sign-in/);
});

/** The desk turns live by itself once the shift starts (it re-reads the seat while not live). */
async function waitForStart(page: Page) {
  await expect(page.getByRole('button', { name: 'Take next ticket' })).toBeVisible({
    timeout: 60_000,
  });
}

/**
 * A computer whose clock is half an hour slow: the seat's check-in is open by the API's clock,
 * and the console says so (it compared the API's instants with the browser's clock, and kept
 * Check in disabled; offers ran out early the same way with a fast clock).
 */
test("a browser clock half an hour slow checks in by the API's clock", async ({ page }) => {
  const company = await signUpCompany(`Slowclock ${Math.random().toString(36).slice(2, 8)}`);
  // Starts in 10 minutes: check-in is open (15 minutes before in the test instance).
  const shift = await postShift(company, 600, { title: 'Early desk' });
  const agent = await signUpAgent();
  await agent.api.POST('/v1/shifts/{id}/claims', {
    params: { path: { id: shift.id }, header: { 'Idempotency-Key': `k-${shift.id}` } },
  });
  await page.clock.install({ time: Date.now() - 30 * 60_000 });
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(agent.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/agent\/desk$/);
  await page.goto('/agent/seats');
  const seat = page.getByRole('article', { name: /^Early desk · / });
  await expect(seat.getByRole('button', { name: 'Check in' })).toBeEnabled();
  await seat.getByRole('button', { name: 'Check in' }).click();
  await expect(seat.getByRole('button', { name: 'Check in' })).toBeHidden();
  // Checked in before the start: leaving is cancelling the seat, not checking out.
  await expect(seat.getByRole('button', { name: 'Check out' })).toHaveCount(0);
  await expect(seat.getByRole('button', { name: 'Cancel seat' })).toBeVisible();
});

/**
 * Checking out while the shift's seats can still be claimed is leaving early: the console asks
 * first, saying until when and what it costs, and the seat then shows as left early (it used to
 * count as a seat worked, however soon after the check-in).
 */
test('checking out early asks first and shows the seat left early', async ({ page }) => {
  const company = await signUpCompany(`Early out ${Math.random().toString(36).slice(2, 8)}`);
  const agent = await signUpAgent();
  // Begun five minutes ago, most of the hour to go.
  await checkedInOnLiveShift(company, agent, { title: 'Leaving desk' });
  await signInPage(page, agent.email, '/agent/seats');
  const seat = page.getByRole('article', { name: /^Leaving desk · / });
  await seat.getByRole('button', { name: 'Check out' }).click();
  const dialog = page.getByRole('dialog', { name: 'Leave the shift early?' });
  await expect(dialog.getByText(/checking out is leaving early/)).toBeVisible();
  await expect(dialog.getByText(/back to the queue/)).toHaveCount(0); // no ticket in hand
  await expectAccessible(page, 'leave a shift early');
  // Staying changes nothing.
  await dialog.getByRole('button', { name: 'Stay on shift' }).click();
  await expect(dialog).toBeHidden();
  await expect(seat.getByText('Checked in', { exact: true })).toBeVisible();
  await seat.getByRole('button', { name: 'Check out' }).click();
  await dialog.getByRole('button', { name: 'Leave early' }).click();
  await expect(
    page.getByText('Checked out early. Your seat went back to the shift.'),
  ).toBeVisible();
  await expect(seat.getByText('Left early', { exact: true })).toBeVisible();
  await page.getByRole('link', { name: 'Earnings' }).click();
  await expect(page.getByText('1 left early')).toBeVisible();
});

/**
 * The access token runs out while the API cannot answer its renewal (a deploy's 502): the
 * console stays signed in and tries again, rather than showing a sign-in page that a reload
 * undoes (the cookie's login was fine all along), with the server's error page as the reason.
 */
test('a renewal the server could not answer keeps the user signed in until it renews', async ({
  page,
}) => {
  const agent = await signUpAgent();
  await page.clock.install();
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(agent.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/agent\/desk$/);
  let refused = 0;
  await page.route('**/v1/auth/session/refresh', (route) => {
    refused += 1;
    return route.fulfill({ status: 502, contentType: 'text/html', body: '<html>502</html>' });
  });
  // The token's hour (the test instance's; 15 minutes by default) runs out: its renewals, from
  // a minute ahead of the end, meet the 502 (how many fit in depends on the machine's speed).
  await page.clock.runFor('01:01:00');
  await expect.poll(() => refused).toBeGreaterThanOrEqual(1);
  await page.waitForTimeout(1_000); // the renewals under way settle (the page's clock stands)
  // One refused with the clock past the token's end (the old console signed out here)...
  const late = page.waitForResponse(
    (r) => r.url().endsWith('/v1/auth/session/refresh') && r.status() === 502,
  );
  await page.clock.runFor('00:20');
  await late;
  // ...and the console, still signed in, tries again.
  const after = refused;
  await page.clock.runFor('00:20');
  await expect.poll(() => refused).toBeGreaterThan(after);
  await expect(page).toHaveURL(/\/agent\/desk$/);
  await expect(page.getByText(/could not be renewed/)).toHaveCount(0);
  await page.unroute('**/v1/auth/session/refresh');
  const renewed = page.waitForResponse(
    (r) => r.url().endsWith('/v1/auth/session/refresh') && r.status() === 200,
  );
  await page.clock.runFor('00:20');
  await renewed;
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await expect(page).toHaveURL(/\/agent\/desk$/);
});

/**
 * A stream whose connection died without closing (a NAT dropped it, the laptop slept) sends
 * nothing more, not even the API's heartbeat: after 45 silent seconds the console gives it up
 * and opens another, rather than waiting on it for good while offers go unseen.
 */
test('an event stream silent past its heartbeats is opened again', async ({ page }) => {
  const agent = await signUpAgent();
  let opened = 0;
  await page.route('**/v1/events/stream', () => {
    opened += 1; // never answered: a connection that died on the way
  });
  await page.clock.install();
  await signInPage(page, agent.email);
  await expect(page).toHaveURL(/\/agent\/desk$/);
  await expect.poll(() => opened).toBe(1);
  await page.clock.runFor('00:30');
  expect(opened).toBe(1); // within the heartbeats' allowance: left alone
  await page.clock.runFor('00:20');
  // Given up at 45 s; opened again after the reconnect's short wait, which the page's clock
  // must pass too (a second at a time: far from the next 45 s).
  await expect
    .poll(async () => {
      await page.clock.runFor(1_000);
      return opened;
    })
    .toBeGreaterThanOrEqual(2);
});

/**
 * A stream that ended (a deploy, a balancer's cut) is opened again from where it stood: the
 * next request carries the last id seen as Last-Event-ID, so the API replays what was missed
 * instead of the page reading everything again or losing it.
 */
test('an event stream opened again resumes from the last event it saw', async ({ page }) => {
  const agent = await signUpAgent();
  const resumedFrom: (string | undefined)[] = [];
  await page.route('**/v1/events/stream', (route) => {
    resumedFrom.push(route.request().headers()['last-event-id']);
    if (resumedFrom.length > 1) return; // left open: the test has what it came for
    return route.fulfill({
      status: 200,
      contentType: 'text/event-stream',
      body:
        ': connected\n\nid: 41\n\n' +
        'id: 42\nevent: shift.changed\ndata: {"type":"shift.changed","data":{}}\n\n',
    });
  });
  await signInPage(page, agent.email);
  await expect(page).toHaveURL(/\/agent\/desk$/);
  await expect.poll(() => resumedFrom.length, { timeout: 15_000 }).toBe(2);
  expect(resumedFrom).toEqual([undefined, '42']);
});

/**
 * The stream ends at its token's expiry and the renewal then meets a deploy's 502: the console
 * is still signed in (the session tries again itself), so the stream is opened again after its
 * short wait. It stopped for good ("Offline", no offers) until a reload.
 */
test('an event stream whose renewal failed for a moment opens again', async ({ page }) => {
  const agent = await signUpAgent();
  await page.route(
    '**/v1/events/stream',
    (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/event-stream',
        body: ': connected\n\nevent: stream.end\ndata: {"reason":"token_expired"}\n\n',
      }),
    { times: 1 },
  );
  let refused = 0;
  await page.route(
    '**/v1/auth/session/refresh',
    async (route) => {
      // The sign-in page's own look for a session goes through; the stream's renewal meets a 502.
      if (refused++ === 0) return route.continue();
      return route.fulfill({ status: 502, contentType: 'text/html', body: '<html>502</html>' });
    },
    { times: 2 },
  );
  await signInPage(page, agent.email);
  await expect(page).toHaveURL(/\/agent\/desk$/);
  await expect.poll(() => refused).toBe(2);
  await expect(page.getByRole('status', { name: 'Live updates: Live' })).toBeVisible({
    timeout: 10_000,
  });
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
});

/**
 * A seat claim whose answer was lost every time the console asked (the network dropped them
 * after the API took the seat): claiming again sends the same Idempotency-Key and is answered
 * with that seat, not refused as already claimed and reported as "Could not claim".
 */
test('a claim retried after a lost answer gets its seat, not an error', async ({ page }) => {
  const company = await signUpCompany(`Lost answer ${Math.random().toString(36).slice(2, 8)}`);
  await postShift(company, 3600, { title: 'Lost answer desk' });
  const agent = await signUpAgent();
  await signInPage(page, agent.email);
  await expect(page).toHaveURL(/\/agent\/desk$/);
  await page.goto('/agent/shifts');
  const card = await openShiftCard(page, /Lost answer desk/);
  const keys: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().endsWith('/claims')) {
      keys.push(request.headers()['idempotency-key']);
    }
  });
  await page.route(
    '**/v1/shifts/*/claims',
    async (route) => {
      await route.fetch(); // the API takes the seat (then answers it as taken under its key)
      await route.abort('connectionreset'); // its answer never arrives
    },
    { times: 3 }, // the press and its two retries (1 s, 3 s)
  );
  await card.getByRole('button', { name: 'Claim a seat' }).click();
  // Shown, and said in a live region that was there before it (one added with its text is
  // often not read out).
  await expect(
    card.locator('p').filter({ hasText: 'No answer yet: sending it again…' }),
  ).toBeVisible();
  await expect(card.getByRole('status').filter({ hasText: 'No answer yet' })).toHaveCount(1);
  // Every answer lost: it may have been taken (it was), not "Could not claim".
  await expect(card.getByText('Not confirmed: it may have been done')).toBeVisible({
    timeout: 10_000,
  });
  await expect(card.getByText('Could not claim')).toHaveCount(0);
  await expect(card.getByText('No answer yet: sending it again…')).toHaveCount(0); // neither shown nor said any more
  await card.getByRole('button', { name: 'Claim a seat' }).click();
  await expect(page.getByText('Seat claimed: Lost answer desk')).toBeVisible();
  expect(keys).toEqual(Array(4).fill(keys[0])); // the press, its two retries, the next press
});

/**
 * The last seat taken by someone else after the list was read: the refusal reads the list
 * again, so the card offers the waitlist instead of the same refused claim.
 */
test('a claim refused because the last seat went meanwhile turns the card to the waitlist', async ({
  page,
}) => {
  const companyName = `Last seat ${Math.random().toString(36).slice(2, 8)}`;
  const company = await signUpCompany(companyName);
  const shift = await postShift(company, 3 * 3600, { title: 'Last seat desk', seats: 1 });
  const agent = await signUpAgent();
  await signInPage(page, agent.email);
  await expect(page).toHaveURL(/\/agent\/desk$/);
  await page.goto('/agent/shifts');
  const card = await openShiftCard(page, `Last seat desk · ${companyName}`);
  await expect(card.getByText('1 seat left')).toBeVisible();
  const other = await signUpAgent();
  await other.api.POST('/v1/shifts/{id}/claims', {
    params: { path: { id: shift.id }, header: { 'Idempotency-Key': `k-${shift.id}` } },
  });
  await card.getByRole('button', { name: 'Claim a seat' }).click();
  await expect(card.getByText('Every seat on this shift is taken')).toBeVisible();
  await expect(card.getByText('Full', { exact: true })).toBeVisible();
  await card.getByRole('button', { name: 'Join the waitlist' }).click();
  await expect(card.getByText('You are number 1 in line.')).toBeVisible();
  await expect(card.getByText('Every seat on this shift is taken')).toBeHidden();
});

/**
 * The company moved the shift after the list was read (no seat was taken, so it may): the claim
 * names the shift as the card showed it and is refused, saying the new hours in the agent's
 * words; the card then shows them, and a second press claims the shift as it is.
 */
test('a claim of a shift the company moved since it was shown is refused, naming the new hours', async ({
  page,
}) => {
  const companyName = `Moved ${Math.random().toString(36).slice(2, 8)}`;
  const company = await signUpCompany(companyName);
  const shift = await postShift(company, 26 * 3600, { title: 'Moved desk' });
  const agent = await signUpAgent();
  await signInPage(page, agent.email, '/agent/shifts');
  const card = await openShiftCard(page, `Moved desk · ${companyName}`);
  const start = new Date(Date.now() + 3 * 3600_000);
  await unwrap(
    company.admin.PATCH('/v1/shifts/{id}', {
      params: { path: { id: shift.id } },
      body: {
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 2 * 3600_000).toISOString(),
      },
    }),
  );
  await card.getByRole('button', { name: 'Claim a seat' }).click();
  await expect(
    card.getByText(
      /^The company changed this shift since you saw it: it now runs .+ at €2\.50 a ticket\. Read it again, then claim\.$/,
    ),
  ).toBeVisible();
  await card.getByRole('button', { name: 'Claim a seat' }).click();
  await expect(page.getByText('Seat claimed: Moved desk')).toBeVisible();
});

/**
 * A skill the agent holds that an admin retired since: the profile read the taxonomy without
 * retired skills, so it showed an empty field the agent could clear and save away.
 */
test('a skill the agent holds that an admin retired since shows on its profile, marked retired', async ({
  page,
}) => {
  const { admin, code, agent } = await agentWithNewSkill('legacy', 'Legacy plans', 4);
  await unwrap(admin.DELETE('/v1/skills/{code}', { params: { path: { code } } }));
  await signInPage(page, agent.email);
  await expect(page).toHaveURL(/\/agent\/desk$/);
  await page.goto('/agent/profile');
  const skills = page
    .getByRole('region', { name: 'Skills' })
    .getByRole('combobox', { name: /^Skill \d+$/ });
  await expect(skills).toHaveCount(2);
  await expect
    .poll(async () => [await skills.nth(0).inputValue(), await skills.nth(1).inputValue()].sort())
    .toEqual(['Legacy plans (retired)', 'Refunds']);
});

/** A refused seat cancellation, dialog closed and opened again: it starts clean. */
test('the cancel-seat dialog opened again does not show the last attempt’s error', async ({
  page,
}) => {
  const company = await signUpCompany(`Cancel ${Math.random().toString(36).slice(2, 8)}`);
  const shift = await postShift(company, 3 * 3600, { title: 'Second thoughts desk' });
  const agent = await signUpAgent();
  await unwrap(
    agent.api.POST('/v1/shifts/{id}/claims', {
      params: { path: { id: shift.id }, header: { 'Idempotency-Key': `seat-${shift.id}` } },
    }),
  );
  await signInPage(page, agent.email, '/agent/seats');
  const seat = page.getByRole('article', { name: /^Second thoughts desk · / });
  await page.route(
    '**/v1/shifts/*/claims/me',
    (route) =>
      route.fulfill({
        status: 409,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'CONFLICT', message: 'Refused for this test' } }),
      }),
    { times: 1 },
  );
  await seat.getByRole('button', { name: 'Cancel seat' }).click();
  const dialog = page.getByRole('dialog', { name: 'Cancel this seat?' });
  await dialog.getByRole('button', { name: /^Cancel (my seat|anyway)$/ }).click();
  await expect(dialog.getByText('Refused for this test')).toBeVisible();
  await dialog.getByRole('button', { name: 'Keep my seat' }).click();
  await expect(dialog).toBeHidden();
  await seat.getByRole('button', { name: 'Cancel seat' }).click();
  await expect(dialog.getByRole('button', { name: 'Keep my seat' })).toBeVisible();
  await expect(dialog.getByText('Refused for this test')).toHaveCount(0);

  // Its answer lost, the cancel is being sent again when the agent thinks better of it: "Keep
  // my seat" stops it there (no retry goes out after), and the seat is read again as it is.
  let sent = 0;
  await page.route('**/v1/shifts/*/claims/me', async (route) => {
    sent += 1;
    await route.abort('connectionreset'); // never reaches the API
  });
  await dialog.getByRole('button', { name: /^Cancel (my seat|anyway)$/ }).click();
  await expect(dialog.getByRole('status').filter({ hasText: 'No answer yet' })).toHaveCount(1);
  await expect(
    dialog.locator('p').filter({ hasText: 'No answer yet: sending it again…' }),
  ).toBeVisible();
  // A slow page may have sent the first retry (1 s after the failure) before the press: none
  // goes out after it.
  const sentBeforeKeep = sent;
  await dialog.getByRole('button', { name: 'Keep my seat' }).click();
  await expect(dialog).toBeHidden();
  await page.waitForTimeout(4_000); // past both retries' times (1 s, then 3 s)
  expect(sent).toBe(sentBeforeKeep);
  await expect(seat).toBeVisible();
  await expect(seat.getByRole('button', { name: 'Cancel seat' })).toBeVisible();

  // "Keep my seat" pressed while the retry was already on its way, which went through: the
  // agent is told the seat was cancelled all the same, and the card says so.
  await page.unroute('**/v1/shifts/*/claims/me');
  sent = 0;
  let kept!: () => void;
  const keptPressed = new Promise<void>((resolve) => (kept = resolve));
  await page.route('**/v1/shifts/*/claims/me', async (route) => {
    sent += 1;
    if (sent === 1) return route.abort('connectionreset'); // never reaches the API
    await keptPressed; // the retry, held until the agent pressed "Keep my seat"
    return route.fallback();
  });
  await seat.getByRole('button', { name: 'Cancel seat' }).click();
  await dialog.getByRole('button', { name: /^Cancel (my seat|anyway)$/ }).click();
  await expect.poll(() => sent).toBe(2);
  await dialog.getByRole('button', { name: 'Keep my seat' }).click();
  kept();
  await expect(page.getByText(/^Seat cancelled\./)).toBeVisible();
  await expect(seat.getByText('Cancelled', { exact: true })).toBeVisible();
  await expect(seat.getByRole('button', { name: 'Cancel seat' })).toHaveCount(0);
  await expect(dialog).toBeHidden();
});

/**
 * A transfer whose answer was lost, sent again, is answered as the first (its key is the
 * submission's): the agent is told the ticket went, not "not claimed by you" as when it went
 * without a key. Before it, the break switch keeps the keyboard's focus while it saves.
 */
test('a transfer whose answer was lost, sent again, is told as done', async ({ page }) => {
  const company = await signUpCompany(`Transfers ${Math.random().toString(36).slice(2, 8)}`);
  const agent = await signUpAgent();
  await checkedInOnLiveShift(company, agent, { title: 'Transfer desk', maxAwayMinutes: 15 });
  await escalate(company, `conv-${Date.now()}`, 'Needs a payments specialist');
  // No live event tells the page the ticket went (the stream is down with the answer): only
  // the retry's answer can.
  await page.route('**/v1/events/stream*', (route) => route.abort('connectionreset'));
  await signInPage(page, agent.email, '/agent/desk');

  // The switch is disabled while it saves; the keyboard's focus stays on it, not on the page.
  const toggle = page.getByRole('switch', { name: 'Available for offers' });
  await toggle.focus();
  await page.keyboard.press('Space');
  await expect(toggle).not.toBeChecked();
  await expect(toggle).toBeFocused();
  await page.keyboard.press('Space');
  await expect(toggle).toBeChecked();
  await expect(toggle).toBeFocused();

  await page.getByRole('button', { name: 'Take next ticket' }).click();
  await expect(page.getByRole('heading', { name: 'Needs a payments specialist' })).toBeVisible();
  await page.getByRole('tab', { name: 'Transfer' }).click();
  await expect(page.getByLabel('Note for the next agent')).toHaveAccessibleDescription(
    /company that posted the ticket reads it too; the customer does not/,
  );
  await page.getByLabel('Note for the next agent').fill('Needs someone who can refund over €100.');
  let lost = false;
  await page.route('**/v1/tickets/*/transfer', async (route) => {
    if (lost) return route.fallback();
    lost = true;
    await route.fetch(); // transferred by the API
    await route.abort('connectionreset');
  });
  // Asked again by the console itself, under the same key: told as transferred.
  await page.getByRole('button', { name: 'Transfer ticket' }).click();
  await expect(page.getByText('Ticket transferred with your note.')).toBeVisible();
  await expect(page).toHaveURL(/\/agent\/desk$/);
});

/**
 * A resolve whose answer was lost is asked again by the console itself, saying so meanwhile,
 * and told as done. The same summary sent again was answered as the first even without a key;
 * the key (the press's) is for the retry that comes after the company reopened the ticket and
 * the agent took it again, which without it resolved the new claim (tickets.e2e shows that
 * case). The summary is the one pressed, though the agent edits it while the retry waits.
 */
test('a resolve whose answer was lost, sent again, is told as done', async ({ page }) => {
  const company = await signUpCompany(`Resolves ${Math.random().toString(36).slice(2, 8)}`);
  const agent = await signUpAgent();
  await checkedInOnLiveShift(company, agent, { title: 'Resolve desk' });
  await escalate(company, `conv-${Date.now()}`, 'Refund the second charge');
  // No live event tells the page the ticket was resolved: only the retry's answer can.
  await page.route('**/v1/events/stream*', (route) => route.abort('connectionreset'));
  await signInPage(page, agent.email, '/agent/desk');
  await page.getByRole('button', { name: 'Take next ticket' }).click();
  await expect(page.getByRole('heading', { name: 'Refund the second charge' })).toBeVisible();
  await page.getByRole('tab', { name: 'Resolve' }).click();
  await page.getByLabel('Resolution summary').fill('Refunded the duplicate charge.');
  const sent: { key: string; body: unknown }[] = [];
  let releaseRetry!: () => void;
  const retryHeld = new Promise<void>((release) => (releaseRetry = release));
  await page.route('**/v1/tickets/*/resolve', async (route) => {
    sent.push({
      key: (await route.request().headerValue('idempotency-key')) ?? '',
      body: route.request().postDataJSON(),
    });
    if (sent.length === 1) {
      await route.fetch(); // resolved by the API
      return route.abort('connectionreset');
    }
    await retryHeld; // the retry waits until the page was seen saying so
    return route.fallback();
  });
  await page.getByRole('button', { name: 'Resolve ticket' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'No answer yet' })).toHaveCount(1);
  await expect(
    page.locator('p').filter({ hasText: 'No answer yet: sending it again…' }),
  ).toBeVisible();
  await expect(page.getByRole('button', { name: 'Resolve ticket' })).toHaveAttribute(
    'data-loading',
    'true',
  );
  await page.getByLabel('Resolution summary').fill('Edited while it was sent');
  await expectAccessible(page, 'resolve asked again');
  releaseRetry();
  await expect(
    page.getByText('Ticket resolved. Its pay is pending in your earnings.'),
  ).toBeVisible();
  await expect(page).toHaveURL(/\/agent\/desk$/);
  expect(sent).toHaveLength(2);
  expect(sent[1]).toEqual(sent[0]);
  expect(sent[0].body).toEqual({ resolutionSummary: 'Refunded the duplicate charge.' });
  await expect(page.getByText('Not resolved')).toHaveCount(0);
});

/**
 * A ticket transferred from one agent to another: the second reads the first's message as
 * another agent's (it read "You") and the transfer note as another agent's note; a word too long
 * for a phone's line (a link, an order reference) in the bot's handoff wraps instead of widening
 * the page.
 */
test('a transferred ticket shows the earlier agent’s messages as theirs, and wraps long words', async ({
  page,
}) => {
  const company = await signUpCompany(`Handover ${Math.random().toString(36).slice(2, 8)}`);
  const first = await signUpAgent('Ana First');
  const second = await signUpAgent('Ben Second');
  await checkedInOnLiveShift(company, first, { title: 'First desk' });
  await checkedInOnLiveShift(company, second, { title: 'Second desk' });
  const long = `https://shop.example/orders/${'A1B2C3D4'.repeat(12)}`;
  const ticket = await unwrap(
    company.bot.POST('/v1/escalations', {
      body: {
        externalId: `conv-${randomUUID()}`,
        subject: 'Handed over',
        summary: `The customer pasted ${long} twice.`,
        language: 'en',
        priority: 'normal',
        requiredSkills: [{ skill: 'refunds', minLevel: 2 }],
        transcript: [{ role: 'customer', text: long, at: new Date().toISOString() }],
        botAttempts: [`Opened ${long}`],
      },
    }),
  );
  const onTicket = { params: { path: { id: ticket.id } } };
  await unwrap(first.api.POST('/v1/tickets/{id}/claim', onTicket));
  await unwrap(
    first.api.POST('/v1/tickets/{id}/messages', {
      ...onTicket,
      body: { body: 'Looking into your order now.', visibility: 'customer' },
    }),
  );
  await unwrap(
    first.api.POST('/v1/tickets/{id}/transfer', {
      ...onTicket,
      body: {
        note: 'Needs a second pair of eyes.',
        requiredSkills: [{ skill: 'refunds', minLevel: 2 }],
      },
    }),
  );
  await unwrap(second.api.POST('/v1/tickets/{id}/claim', onTicket));

  await signInPage(page, second.email, `/agent/tickets/${ticket.id}`);
  const conversation = page.getByRole('region', { name: 'Conversation' });
  await expect(conversation.getByText('Looking into your order now.')).toBeVisible();
  await expect(conversation).toContainText('Another agent');
  await expect(conversation).toContainText('Note by another agent');
  await expect(conversation.getByText(/^You\b/)).toHaveCount(0);
  await expectFitsPhone(page, 'a ticket with a long link', conversation);
});

/**
 * Claims closed on a shift while its card was on screen: the refusal takes the card out of the
 * list (the re-read no longer has it), and its alert went with it; it is said in a notice now.
 */
test('a seat claim refused as the shift left the list says why, though the card goes', async ({
  page,
}) => {
  const companyName = `Closing ${Math.random().toString(36).slice(2, 8)}`;
  const company = await signUpCompany(companyName);
  const shift = await postShift(company, 1800, { title: 'Closing desk' });
  const agent = await signUpAgent();
  // This company's shifts only, from a page as long as the API gives: the suite's other shifts,
  // open to every agent, could push this one off the console's first page.
  await page.route('**/v1/shifts/open?*', async (route) => {
    const url = new URL(route.request().url());
    url.searchParams.set('limit', '100');
    const answer = await route.fetch({ url: url.toString() });
    const listed = (await answer.json()) as { items: { companyName: string }[] };
    const items = listed.items.filter((item) => item.companyName === companyName);
    await route.fulfill({ response: answer, json: { ...listed, items, nextCursor: null } });
  });
  await signInPage(page, agent.email, '/agent/shifts');
  const card = page.getByRole('article', { name: `Closing desk · ${companyName}` });
  await expect(card.getByRole('button', { name: 'Claim a seat' })).toBeVisible();
  // Cancelled as the press goes out: a re-read before it (the event stream's first, say) still
  // lists the shift, and the one after the refusal does not.
  await page.route(`**/v1/shifts/${shift.id}/claims`, async (route) => {
    await unwrap(
      company.admin.POST('/v1/shifts/{id}/cancel', {
        params: { path: { id: shift.id } },
        body: { reason: 'Demand moved to the weekend.' },
      }),
    );
    await route.continue();
  });
  await card.getByRole('button', { name: 'Claim a seat' }).click();
  await expect(card).toHaveCount(0);
  await expect(page.getByText(`Could not claim: Closing desk`)).toBeVisible();
});

/** Take next refused as off shift, with no seat near: it says so, not "has not started". */
test('take next refused with no live shift says the agent is not on one', async ({ page }) => {
  const company = await signUpCompany(`Off shift ${Math.random().toString(36).slice(2, 8)}`);
  const agent = await signUpAgent();
  await checkedInOnLiveShift(company, agent, { title: 'Ending desk' });
  await signInPage(page, agent.email, '/agent/desk');
  // The shift has just ended (the desk still offers the button until it reads again).
  await page.route('**/v1/agents/me/tickets/claim-next', (route) =>
    route.fulfill({
      status: 409,
      contentType: 'application/json',
      body: JSON.stringify({
        error: {
          code: 'NOT_ELIGIBLE',
          message: 'You cannot take this ticket',
          details: { reasons: [{ code: 'NOT_ON_SHIFT' }] },
        },
      }),
    }),
  );
  await page.getByRole('button', { name: 'Take next ticket' }).click();
  const why = page.getByRole('list', { name: 'Why you cannot take a ticket' });
  await expect(why).toContainText('You are not on a live shift');
});

/**
 * A ticket needing a skill retired after it was posted: the transfer form showed that skill's
 * field blank (the picker listed skills in use only); it shows it, marked retired.
 */
test('the transfer form shows a needed skill retired since, marked retired', async ({ page }) => {
  const { admin, code, agent } = await agentWithNewSkill('sunset', 'Sunset plans', 3);
  const company = await signUpCompany(`Retired ${Math.random().toString(36).slice(2, 8)}`);
  await checkedInOnLiveShift(company, agent, { title: 'Sunset desk' });
  const ticket = await unwrap(
    company.bot.POST('/v1/escalations', {
      body: {
        externalId: `conv-${randomUUID()}`,
        subject: 'An old plan',
        summary: 'A customer on a plan no longer sold.',
        language: 'en',
        priority: 'normal',
        requiredSkills: [{ skill: code, minLevel: 2 }],
        transcript: [{ role: 'customer', text: 'My old plan?', at: new Date().toISOString() }],
      },
    }),
  );
  await unwrap(agent.api.POST('/v1/tickets/{id}/claim', { params: { path: { id: ticket.id } } }));
  await unwrap(admin.DELETE('/v1/skills/{code}', { params: { path: { code } } }));
  await signInPage(page, agent.email, `/agent/tickets/${ticket.id}`);
  await page.getByRole('tab', { name: 'Transfer' }).click();
  await expect(page.getByRole('combobox', { name: 'Needed skill 1' })).toHaveValue(
    'Sunset plans (retired)',
  );
});

/**
 * A profile saved from the keyboard: the form is remounted with what the API holds, and its Save
 * button with it; the focus went to the page's start, and now to the new Save button.
 */
test('a profile saved from the keyboard keeps the focus on its Save button', async ({ page }) => {
  const agent = await signUpAgent();
  await signInPage(page, agent.email, '/agent/profile');
  await page.getByRole('textbox', { name: 'Display name' }).fill('Jo Park-Lee');
  await page.getByRole('button', { name: 'Save profile' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByText('Profile saved')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Save profile' })).toBeFocused();
});

/**
 * On a pull shift the desk lists the tickets waiting that the agent could take, best first, and
 * the agent may take one of them rather than the next: it opens, and leaves the list.
 */
test('an agent on a pull shift picks a waiting ticket rather than the next', async ({ page }) => {
  const company = await signUpCompany(`Pick ${Math.random().toString(36).slice(2, 8)}`);
  const agent = await signUpAgent();
  await checkedInOnLiveShift(company, agent, { title: 'Picking desk' });
  await escalate(company, `conv-${randomUUID()}`, 'First in line');
  await escalate(company, `conv-${randomUUID()}`, 'Second in line');
  await signInPage(page, agent.email, '/agent/desk');
  const waiting = page.getByRole('region', { name: 'Waiting tickets' });
  await expect(waiting.getByRole('article')).toHaveCount(2);
  await expect(waiting.getByRole('article').first()).toHaveAccessibleName('First in line');
  await expectAccessible(page, 'desk with waiting tickets');
  await waiting.getByRole('button', { name: 'Take Second in line' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Second in line' })).toBeVisible();
  await page.getByRole('link', { name: 'Desk' }).click();
  await expect(waiting.getByRole('article')).toHaveCount(1);
  await expect(waiting.getByRole('article')).toHaveAccessibleName('First in line');
  await expect(page.getByRole('region', { name: 'My tickets' })).toContainText('Second in line');
  // More waiting than the ten shown: it says so (the list just ended at ten), and fits a phone.
  const more = waiting.getByText(/^More tickets are waiting than the 10 best shown here/);
  await expect(more).toHaveCount(0);
  for (let n = 1; n <= 10; n++) await escalate(company, `conv-${randomUUID()}`, `Later ${n}`);
  await page.reload();
  await expect(waiting.getByRole('article')).toHaveCount(10);
  await expect(more).toBeVisible();
  await expectFitsPhone(page, 'desk with more waiting tickets', more);
});

/**
 * A company revokes the certification of an agent holding a seat on its certified-only shift:
 * the seat ends with it, and the agent is told at once (it went without a word before).
 */
test('an agent whose certification a company revokes is told, and its seat goes', async ({
  page,
}) => {
  const companyName = `Certified ${Math.random().toString(36).slice(2, 8)}`;
  const company = await signUpCompany(companyName);
  const agent = await signUpAgent();
  const { agentId } = await unwrap(agent.api.GET('/v1/agents/me/profile'));
  const certification = { params: { path: { agentId } } };
  await unwrap(company.admin.PUT('/v1/companies/me/certified-agents/{agentId}', certification));
  const shift = await postShift(company, 3 * 3600, {
    title: 'Certified desk',
    requiresCertification: true,
  });
  await unwrap(
    agent.api.POST('/v1/shifts/{id}/claims', {
      params: { path: { id: shift.id }, header: { 'Idempotency-Key': randomUUID() } },
    }),
  );
  await signInPage(page, agent.email, '/agent/seats');
  const card = page.getByRole('article', { name: `Certified desk · ${companyName}` });
  await expect(card.getByRole('button', { name: 'Cancel seat' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Live updates: Live' })).toBeVisible();
  await unwrap(company.admin.DELETE('/v1/companies/me/certified-agents/{agentId}', certification));
  await expect(page.getByText(`${companyName} revoked your certification.`)).toBeVisible();
  await expect(card.getByRole('button', { name: 'Cancel seat' })).toHaveCount(0);
});

/** A skill an admin adds (named `prefix_…`), and a new agent holding it at `level` and refunds. */
async function agentWithNewSkill(prefix: string, name: string, level: number) {
  const admin = await signInApi(await createStaff('admin'));
  const code = `${prefix}_${Math.random().toString(36).slice(2, 8)}`;
  await unwrap(admin.POST('/v1/skills', { body: { code, name } }));
  const agent = await signUpAgent();
  await unwrap(
    agent.api.PUT('/v1/agents/me/skills', {
      body: {
        skills: [
          { skill: 'refunds', level: 3 },
          { skill: code, level },
        ],
      },
    }),
  );
  return { admin, code, agent };
}

test('a resolution the company reopened reads as reopened, its pay reversed, and then withdrawn', async ({
  page,
}) => {
  const company = await signUpCompany(`Vandelay ${Math.random().toString(36).slice(2, 8)}`);
  const agent = await signUpAgent('Rex Reopened');
  const [ticket] = await resolvedTickets(company, agent, 1, 'Vandelay desk');
  await unwrap(
    company.admin.POST('/v1/tickets/{id}/reopen', {
      params: { path: { id: ticket.id } },
      body: { reason: 'Customer wrote back: still charged' },
    }),
  );
  await signInPage(page, agent.email, `/agent/tickets/${ticket.id}`);
  // It was a green "You resolved this ticket" over a reversed pay.
  const notice = page
    .getByRole('alert')
    .filter({ hasText: 'The company reopened your resolution' });
  await expect(notice).toContainText('which reversed its pay of €2.50');
  await expect(page.getByText('You resolved this ticket')).toHaveCount(0);
  await expectAccessible(page, 'a reopened resolution');
  // The customer leaves the reopened ticket: it is not paid as the agent's resolution.
  await unwrap(
    company.bot.POST('/v1/escalations/{externalId}/withdraw', {
      params: { path: { externalId: ticket.externalId } },
      body: { reason: 'The customer closed the chat' },
    }),
  );
  await page.reload();
  await expect(notice).toContainText('Later the customer left: the ticket was withdrawn.');
  await expect(notice).not.toContainText('paid as resolved');
});

/**
 * Early access ending opens a shift to the agent, and no event says so: the open shifts are
 * read again at that instant (they waited for a focus change or a reload).
 */
test('the open shifts are read again when early access ends', async ({ page }) => {
  const companyName = `Early ${Math.random().toString(36).slice(2, 8)}`;
  const company = await signUpCompany(companyName);
  // One the agent cannot take (a language it lacks): the answer is given its early access.
  await postShift(company, 30 * 3600, { title: 'Early desk', languages: ['de'] });
  const agent = await signUpAgent();
  const openToAllAt = new Date(Date.now() + 6_000).toISOString();
  let reads = 0;
  await page.route('**/v1/shifts/open?*', async (route) => {
    reads++;
    const answer = await route.fetch();
    const body = await answer.json();
    for (const shift of body.ineligible ?? []) {
      shift.reasons = [{ code: 'EARLY_ACCESS', minQuality: 0.8, quality: 0.5, openToAllAt }];
    }
    await route.fulfill({ response: answer, json: body });
  });
  await signInPage(page, agent.email, '/agent/shifts');
  await expect(page.getByText(/^Early access for a quality score of /).first()).toBeVisible();
  const before = reads;
  await expect.poll(() => reads, { timeout: 20_000 }).toBeGreaterThan(before);
  // The second re-read (30 s after) must not meet a closing page mid-route.
  await page.unrouteAll({ behavior: 'ignoreErrors' });
});

/**
 * A message whose answers were all lost, sent again after a detour to the desk (its draft kept):
 * the next press goes under the first key, so the customer never reads it twice. (The key was
 * the page's, lost on leaving it: this test passed only because it came back before the desk
 * rendered, the ticket's page still mounted. The key is kept with the draft now.)
 */
test('a message sent again after a detour to another page goes under its first key', async ({
  page,
}) => {
  const { agent, ticket } = await holdingATicket('Detour');
  const keys: string[] = [];
  await page.route(
    '**/v1/tickets/*/messages',
    async (route) => {
      if (route.request().method() !== 'POST') return route.fallback();
      keys.push(route.request().headers()['idempotency-key']);
      await route.fetch(); // written by the API
      await route.abort('connectionreset'); // its answer never arrives
    },
    { times: 3 }, // the press and its two retries (1 s, 3 s)
  );
  await signInPage(page, agent.email, `/agent/tickets/${ticket!.id}`);
  await page.getByLabel('Message', { exact: true }).fill('Your refund left today.');
  await page.getByRole('button', { name: 'Send message' }).click();
  await expect(page.getByText(/could not be reached/)).toBeVisible({ timeout: 15_000 });
  await page.getByRole('link', { name: 'Desk' }).first().click();
  await expect(page).toHaveURL(/\/agent\/desk$/);
  // The desk shown: the ticket's page really left. (Without this wait the page stayed mounted
  // while the desk's code loaded, and the key a page keeps was never put to the test.)
  await expect(page.getByRole('heading', { name: 'Desk', level: 1 })).toBeVisible();
  await expect(page.getByLabel('Message', { exact: true })).toHaveCount(0);
  await page.goBack();
  await expect(page.getByLabel('Message', { exact: true })).toHaveValue('Your refund left today.');
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/messages')) {
      keys.push(r.headers()['idempotency-key']);
    }
  });
  await page.getByRole('button', { name: 'Send message' }).click();
  await expect(page.getByLabel('Message', { exact: true })).toHaveValue('');
  expect(keys).toEqual(Array(4).fill(keys[0]));
  const { items } = await unwrap(
    agent.api.GET('/v1/tickets/{id}/messages', { params: { path: { id: ticket!.id } } }),
  );
  expect(items.filter((m) => m.body === 'Your refund left today.')).toHaveLength(1);
});

/**
 * Opening a held ticket tells the API the agent is on it at once, and so does its tab shown
 * again: the first "still on it" went 5 minutes after, so a ticket held 27 minutes from the desk
 * and then opened to write a long reply was taken back at minute 30.
 */
test('opening a held ticket, or showing its tab again, counts as activity at once', async ({
  page,
}) => {
  const company = await signUpCompany(`Reading Co ${randomUUID().slice(0, 6)}`);
  const agent = await signUpAgent('Rae Reader');
  await checkedInOnLiveShift(company, agent, { title: 'Reading desk' });
  await escalate(company, `conv-${Date.now()}-reading`, 'Long transcript to read');
  const ticket = await unwrap(
    agent.api.POST('/v1/agents/me/tickets/claim-next', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
    }),
  );
  const beats: number[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().endsWith(`/tickets/${ticket!.id}/heartbeat`)) {
      beats.push(Date.now());
    }
  });
  await signInPage(page, agent.email, `/agent/tickets/${ticket!.id}`);
  await expect(page.getByText('Long transcript to read').first()).toBeVisible();
  await expect.poll(() => beats.length).toBe(1);
  // Its tab hidden and shown again a minute later (at most one beat a minute: flips in a row
  // send one).
  const shown = () => page.evaluate("document.dispatchEvent(new Event('visibilitychange'))");
  await shown();
  await page.clock.install();
  await page.clock.fastForward(61_000);
  await shown();
  await expect.poll(() => beats.length).toBe(2);
  await shown();
  await page.waitForTimeout(500);
  expect(beats).toHaveLength(2);
});

/**
 * A ticket the handling time took back (nothing done on it for the handle timeout) leaves the
 * desk with a notice saying why: it went from My tickets without a word.
 */
test('a ticket taken back for no activity leaves the desk, and the agent is told why', async ({
  page,
}) => {
  const company = await signUpCompany(`Idle Co ${randomUUID().slice(0, 6)}`);
  const agent = await signUpAgent('Ida Idle');
  await checkedInOnLiveShift(company, agent, { title: 'Idle desk' });
  await escalate(company, `conv-${Date.now()}-idle`, 'Order never arrived');
  const ticket = await unwrap(
    agent.api.POST('/v1/agents/me/tickets/claim-next', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
    }),
  );
  await signInPage(page, agent.email, '/agent/desk');
  await expect(page.getByRole('status', { name: 'Live updates: Live' })).toBeVisible();
  const mine = page.getByRole('region', { name: 'My tickets' });
  await expect(mine.getByText('Order never arrived')).toBeVisible();
  // Idle for two hours, and a timer due now (the claim's own waits in Redis for its time).
  await sql(`UPDATE tickets SET last_activity_at = now() - interval '2 hours' WHERE id = $1`, [
    ticket!.id,
  ]);
  await sql(`INSERT INTO outbox (job_name, payload) VALUES ('ticket.handle-timeout', $1::jsonb)`, [
    JSON.stringify({ claimId: ticket!.claimId }),
  ]);
  await expect(
    page.getByText(
      'Ticket “Order never arrived” went back to the queue: nothing was done on it for the ' +
        'handling time (a message counts, and so does having it open on screen).',
    ),
  ).toBeVisible({ timeout: 20_000 });
  await expect(mine.getByText('Order never arrived')).toBeHidden();
});

/** Begun 14 minutes ago, checked in then, ending in two: checking out now completes the seat. */
async function endingInTwoMinutes(shift: { id: string }): Promise<void> {
  await sql(
    `UPDATE shifts SET starts_at = now() - interval '14 minutes',
            ends_at = now() + interval '2 minutes' WHERE id = $1`,
    [shift.id],
  );
  await sql(
    `UPDATE shift_claims
        SET period = tstzrange(now() - interval '14 minutes', now() + interval '2 minutes', '[)'),
            checked_in_at = now() - interval '14 minutes'
      WHERE shift_id = $1`,
    [shift.id],
  );
}

/**
 * A check-out keeps its button busy until the seats are read again: a second press in between
 * went under a new key and showed "Cannot check out: the seat is completed" beside "Checked out".
 */
test('a second press of Check out while the seats are read again sends nothing', async ({
  page,
}) => {
  const company = await signUpCompany(`Double out ${randomUUID().slice(0, 6)}`);
  const agent = await signUpAgent('Dee Double');
  await endingInTwoMinutes(await checkedInOnLiveShift(company, agent, { title: 'Double desk' }));
  await signInPage(page, agent.email, '/agent/seats');
  const seat = page.getByRole('article', { name: /^Double desk · / });
  await expect(seat.getByText('Checked in', { exact: true })).toBeVisible();
  let checkOuts = 0;
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/check-out')) checkOuts++;
  });
  // The seats' re-read is slow.
  await page.route('**/v1/agents/me/claims*', async (route) => {
    await new Promise((done) => setTimeout(done, 2_000));
    await route.fallback();
  });
  const answered = page.waitForResponse((r) => r.url().endsWith('/check-out'));
  await seat.getByRole('button', { name: 'Check out' }).click();
  await answered;
  await seat.getByRole('button', { name: 'Check out' }).click({ force: true, timeout: 1_000 });
  await expect(seat.getByText('Completed', { exact: true })).toBeVisible();
  expect(checkOuts).toBe(1);
  await expect(seat.getByRole('alert')).toHaveCount(0);
  await page.unrouteAll({ behavior: 'ignoreErrors' }); // a later re-read may be mid-delay
});

/**
 * Checking out at a shift's end with a ticket in hand asks first, saying the ticket goes back
 * to the queue (it went a few minutes later, unannounced); leaving early says so only when a
 * ticket is held.
 */
test('checking out with a ticket in hand says it goes back to the queue', async ({ page }) => {
  const company = await signUpCompany(`Ending Co ${randomUUID().slice(0, 6)}`);
  const agent = await signUpAgent('Eli Ending');
  await endingInTwoMinutes(await checkedInOnLiveShift(company, agent, { title: 'Ending desk' }));
  await escalate(company, `conv-${Date.now()}-ending`, 'Refund still pending');
  await unwrap(
    agent.api.POST('/v1/agents/me/tickets/claim-next', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
    }),
  );
  await signInPage(page, agent.email, '/agent/seats');
  const seat = page.getByRole('article', { name: /^Ending desk · / });
  await seat.getByRole('button', { name: 'Check out' }).click();
  const dialog = page.getByRole('dialog', { name: 'Check out with a ticket in hand?' });
  await expect(
    dialog.getByText(
      /^The ticket you hold of Ending Co \w+ goes back to the queue a few minutes after you check out, unless resolved first\.$/,
    ),
  ).toBeVisible();
  await expectAccessible(page, 'check out with a ticket in hand');
  await dialog.getByRole('button', { name: 'Stay on shift' }).click();
  await expect(seat.getByText('Checked in', { exact: true })).toBeVisible();
  await seat.getByRole('button', { name: 'Check out' }).click();
  await dialog.getByRole('button', { name: 'Check out' }).click();
  await expect(seat.getByText('Checked in', { exact: true })).toBeHidden();
});

/**
 * What the agent wrote in the other ways out, and its answers about the bot's handoff, are kept
 * while it is on another page, as the summary and the message were: a reason for releasing or
 * a note for the next agent, begun and left for the desk, was gone on coming back.
 */
test('a release reason, a transfer (note and skills) and the handoff answers outlast a visit to the desk', async ({
  page,
}) => {
  const { agent, ticket } = await holdingATicket('Drafts');
  await signInPage(page, agent.email, `/agent/tickets/${ticket!.id}`);
  await page.getByRole('radio', { name: 'No, something was missing' }).check();
  const missing = page.getByRole('combobox', { name: 'What was missing' });
  await missing.fill('order id');
  await missing.press('Enter');
  await page.getByRole('tab', { name: 'Release' }).click();
  await page.getByLabel('Reason for releasing').fill('Needs a Dutch speaker');
  await page.getByRole('tab', { name: 'Transfer' }).click();
  await page.getByLabel('Note for the next agent').fill('Customer wants a callback');
  await page.getByRole('combobox', { name: 'Minimum level of skill 1' }).click();
  await page.getByRole('option', { name: '4', exact: true }).click();
  await page.getByRole('link', { name: 'Desk' }).first().click();
  await expect(page).toHaveURL(/\/agent\/desk$/);
  // The desk shown: the ticket's page really left (not kept while the desk's code loads).
  await expect(page.getByRole('heading', { name: 'Desk', level: 1 })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Finish' })).toHaveCount(0);
  await page.goBack();
  await page.getByRole('tab', { name: 'Resolve' }).click();
  await expect(page.getByRole('radio', { name: 'No, something was missing' })).toBeChecked();
  await expect(page.getByText('order id', { exact: true })).toBeVisible();
  await page.getByRole('tab', { name: 'Release' }).click();
  await expect(page.getByLabel('Reason for releasing')).toHaveValue('Needs a Dutch speaker');
  await page.getByRole('tab', { name: 'Transfer' }).click();
  await expect(page.getByLabel('Note for the next agent')).toHaveValue('Customer wants a callback');
  await expect(page.getByRole('combobox', { name: 'Minimum level of skill 1' })).toHaveValue('4');
});

/** An agent checked in on a live pull shift of a new company, holding a ticket of its bot. */
async function holdingATicket(name: string) {
  const company = await signUpCompany(`${name} Co ${randomUUID().slice(0, 6)}`);
  const agent = await signUpAgent(`${name} Agent`);
  await checkedInOnLiveShift(company, agent, { title: `${name} desk` });
  await escalate(company, `conv-${Date.now()}-${name}`, 'Where is my refund');
  const ticket = await unwrap(
    agent.api.POST('/v1/agents/me/tickets/claim-next', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
    }),
  );
  return { agent, ticket: ticket! };
}
