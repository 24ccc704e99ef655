import { expect, test } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import {
  checkedInOnLiveShift,
  createStaff,
  escalate,
  offerState,
  PASSWORD,
  payableAgent,
  postShift,
  seatOnStartedShift,
  signInApi,
  signInPage,
  signUpAgent,
  signUpCompany,
  sql,
  stubOffer,
  stubOffers,
} from './api';
import { unwrap } from '../../src/client/client';
import { agentJourney, expectAccessible } from './journeys';

test('an agent works a day from sign-up to a pending earning', async ({ page }) => {
  await agentJourney(page);
});

test('an agent whose Stripe account was closed links a new one; one rejected for fraud is sent to support, until an admin allows a new one', async ({
  page,
  browser,
}) => {
  const tag = Math.random().toString(36).slice(2, 7);
  const agent = await payableAgent(`Cleo ${tag}`);
  await agent.closeAccount('deauthorize');
  await signInPage(page, agent.email, '/agent/profile');
  const payouts = page.getByRole('region', { name: 'Payouts' });
  await expect(
    payouts.getByText('This Stripe account was disconnected from Handoff.'),
  ).toBeVisible();
  await expectAccessible(page, 'profile, payout account closed');
  // To Stripe's hosted page for the new account, and back: enabled again.
  await payouts.getByRole('button', { name: 'Link a new Stripe account' }).click();
  await expect(page).toHaveURL(/\/agent\/payouts\?onboarding=return$/);
  await expect(page.getByText('Enabled', { exact: true })).toBeVisible({ timeout: 15_000 });
  const relinked = await agent.api.GET('/v1/agents/me/payout-account');
  expect(relinked.data).toMatchObject({ payoutsEnabled: true, closedReason: null });

  await agent.closeAccount('reject-fraud');
  await page.goto('/agent/payouts');
  await expect(page.getByText('Handoff closed payouts to this Stripe account.')).toBeVisible();
  await expect(page.getByText('contact our support team')).toBeVisible();
  await expect(page.getByRole('button', { name: /Stripe/ })).toHaveCount(0);
  await expectAccessible(page, 'payouts, account rejected');

  // Support checks the person; an admin allows a new account, with a reason on record.
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signInPage(admin, await createStaff('admin'));
  await admin.getByRole('searchbox', { name: 'Search' }).fill(`cleo ${tag}`);
  await admin.getByRole('button', { name: `Payouts of Cleo ${tag}` }).click();
  const dialog = admin.getByRole('dialog', { name: `Payout account of Cleo ${tag}` });
  await expect(dialog.getByText(/rejected\.platform_fraud\. The agent cannot link/)).toBeVisible();
  await expect(dialog.getByRole('list', { name: 'Earlier accounts' })).toBeVisible();
  await dialog.getByRole('button', { name: 'Allow a new account' }).click();
  await expect(dialog.getByRole('textbox', { name: 'Reason' })).toHaveAttribute(
    'aria-invalid',
    'true',
  );
  await expect(dialog.getByText('reason must not be blank', { exact: true })).toBeVisible();
  await dialog.getByRole('textbox', { name: 'Reason' }).fill('Identity checked by phone');
  await expectAccessible(admin, 'admin, payout account');
  // Refused (the closing changed since it was read, say): the answer is shown, and a second
  // try goes through.
  await admin.route(
    '**/v1/agents/*/payout-account/allow-new-account',
    (route) =>
      route.fulfill({
        status: 409,
        contentType: 'application/json',
        body: JSON.stringify({
          error: { code: 'PAYOUT_ACCOUNT_STATE', message: 'The closing changed; read it again' },
        }),
      }),
    { times: 1 },
  );
  await dialog.getByRole('button', { name: 'Allow a new account' }).click();
  await expect(dialog.getByText('The closing changed; read it again')).toBeVisible();
  await dialog.getByRole('button', { name: 'Allow a new account' }).click();
  await expect(
    dialog.getByText(/A new account allowed .*: Identity checked by phone/),
  ).toBeVisible();
  await adminContext.close();

  await page.reload();
  await expect(page.getByRole('button', { name: 'Link a new Stripe account' })).toBeVisible();
});

test('a company admin cannot reach the agent pages; anonymous visitors are sent to sign in', async ({
  page,
}) => {
  await page.goto('/agent/desk');
  await expect(page).toHaveURL(/\/sign-in/);
  await expectAccessible(page, 'sign-in');
  const company = await signUpCompany('Wrong Role Ltd');
  const me = await company.admin.GET('/v1/me');
  await page.getByLabel('Email').fill(me.data!.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Not back where it came from (/agent/desk, not for its role): home.
  await expect(page).toHaveURL(/\/company\/queue$/);
  await page.goto('/agent/desk');
  await expect(page.getByText('This page is not for your role.')).toBeVisible();
  await expectAccessible(page, 'not your page');
  for (const path of [
    '/agent/desk',
    '/agent/shifts',
    '/agent/seats',
    '/agent/earnings',
    '/agent/profile',
  ]) {
    await page.goto(path);
    await expect(page.getByText('This page is not for your role.')).toBeVisible();
    await expect(page.getByRole('heading', { name: 'My tickets' })).toHaveCount(0);
  }
});

test('one origin: the console at every non-API path, the API and missing files as before', async ({
  request,
}) => {
  for (const path of ['/', '/agent/desk', '/sign-in', '/agent/tickets/whatever']) {
    const res = await request.get(path);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('text/html');
    expect(res.headers()['cache-control']).toBe('no-cache');
  }
  for (const path of ['/v1/nothing-here', '/assets/missing-chunk.js', '/metrics']) {
    const res = await request.get(path);
    expect(res.status()).toBe(404);
    expect((await res.json()).error.code).toBe('NOT_FOUND');
  }
  expect((await request.get('/health')).status()).toBe(200);
  // Built files are immutable (their names change with their content).
  const index = await (await request.get('/')).text();
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(index)![1];
  const asset = await request.get(script);
  expect(asset.status()).toBe(200);
  expect(asset.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
});

test('an agent is told at once that the company cancelled a shift it had a seat on, and the seat shows it', async ({
  page,
}) => {
  const company = await signUpCompany('Cancelling Co');
  const shift = await postShift(company, 3600, { title: 'Evening refunds' });
  const agent = await signUpAgent('Rui Costa');
  await unwrap(agent.api.POST('/v1/shifts/{id}/claims', { params: { path: { id: shift.id } } }));
  await signInPage(page, agent.email, '/agent/seats');
  await expect(page.getByRole('heading', { name: 'My seats' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Live updates: Live' })).toBeVisible();
  await unwrap(
    company.admin.POST('/v1/shifts/{id}/cancel', {
      params: { path: { id: shift.id } },
      body: { reason: 'Volume dropped' },
    }),
  );
  await expect(page.getByText('A shift was cancelled')).toBeVisible();
  await expect(
    page.getByText(
      '“Evening refunds” was cancelled by the company (“Volume dropped”): your seat is released, with no mark on your record.',
    ),
  ).toBeVisible();
  await expect(page.getByText('Cancelled', { exact: true }).first()).toBeVisible();
  await expectAccessible(page, 'seats, a shift cancelled');
});

/**
 * A seat not checked into by its deadline: nothing tells the page, so at the deadline it stops
 * offering Cancel (the API refuses it then) and reads the seats again once the platform has
 * marked the no-show.
 */
test('a seat past its check-in deadline stops offering Cancel and turns into a no-show on the page', async ({
  page,
}) => {
  const company = await signUpCompany('Deadline Co');
  const agent = await signUpAgent('Nia Late');
  const shift = await seatOnStartedShift(company, agent, { title: 'Missed desk' });
  await signInPage(page, agent.email, '/agent/seats');
  const seat = page.getByRole('article', { name: /Missed desk/ });
  await expect(seat.getByRole('button', { name: 'Cancel seat' })).toBeVisible();
  // Once the page is up (a slow sign-in must not pass the deadline first): the deadline fifteen
  // seconds away, with a no-show check due then (the first went to the queue with the old
  // deadline's delay), and the page read again.
  await sql(
    `UPDATE shift_claims SET check_in_deadline = now() + interval '15 seconds' WHERE shift_id = $1`,
    [shift.id],
  );
  await sql(
    `INSERT INTO outbox (job_name, payload, run_at)
     SELECT 'shift-claim.no-show-check', jsonb_build_object('claimId', id), now() + interval '15 seconds'
       FROM shift_claims WHERE shift_id = $1`,
    [shift.id],
  );
  await page.reload();
  await expect(seat.getByRole('button', { name: 'Cancel seat' })).toBeVisible();
  await expect(seat.getByRole('button', { name: 'Cancel seat' })).toHaveCount(0, {
    timeout: 20_000,
  });
  await expect(seat.getByText('The check-in deadline has passed')).toBeVisible();
  // No reload: read again after the deadline, the seat says what it is now.
  await expect(seat.getByText('No-show', { exact: true })).toBeVisible({ timeout: 45_000 });
});

/**
 * An admin suspends the agent while its seats page is open: the stream is cut, and the console,
 * reconnected, is told and reads its seats again (they stood claimed, with buttons the API then
 * refused, until a reload).
 */
test('an agent suspended while its seats page is open is told, and the seat shows cancelled', async ({
  page,
}) => {
  const company = await signUpCompany('Suspending Co');
  const agent = await signUpAgent('Sol Suspended');
  const shift = await postShift(company, 3 * 3600, { title: 'Tomorrow desk' });
  await unwrap(
    agent.api.POST('/v1/shifts/{id}/claims', {
      params: { path: { id: shift.id }, header: { 'Idempotency-Key': randomUUID() } },
    }),
  );
  const { id } = await unwrap(agent.api.GET('/v1/me'));
  await signInPage(page, agent.email, '/agent/seats');
  const seat = page.getByRole('article', { name: /Tomorrow desk/ });
  await expect(seat.getByRole('button', { name: 'Cancel seat' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Live updates: Live' })).toBeVisible();
  const admin = await signInApi(await createStaff('admin'));
  await unwrap(
    admin.POST('/v1/agents/{id}/suspend', {
      params: { path: { id } },
      body: { reason: 'Checking a complaint' },
    }),
  );
  await expect(page.getByText('Your account was suspended')).toBeVisible({ timeout: 20_000 });
  await expect(
    page.getByText(/An admin suspended your account \(“Checking a complaint”\)/),
  ).toBeVisible();
  await expect(seat.getByText('Cancelled', { exact: true })).toBeVisible();
  await expect(seat.getByRole('button', { name: 'Cancel seat' })).toHaveCount(0);
});

/**
 * A break taken near the end of one shift carries onto the next seat checked into early. Once
 * the first shift is over the desk has no live seat to come back on: it says the break still
 * runs and ends it there, before the next shift starts (the agent found out only at the start).
 */
test('an agent checked in early ends a break carried over from the shift before, before it starts', async ({
  page,
}) => {
  const company = await signUpCompany('Back to Back Co');
  const agent = await signUpAgent('Bea Break');
  const first = await checkedInOnLiveShift(company, agent, { title: 'Early desk' });
  const next = await postShift(company, 4 * 3600, { title: 'Late desk' });
  await unwrap(
    agent.api.POST('/v1/shifts/{id}/claims', {
      params: { path: { id: next.id }, header: { 'Idempotency-Key': randomUUID() } },
    }),
  );
  // The first ends in two minutes, the next starts ten minutes from now: check-in is open.
  const move = async (shiftId: string, from: string, to: string) => {
    await sql(
      `UPDATE shifts SET starts_at = now() + $2::interval, ends_at = now() + $3::interval
        WHERE id = $1`,
      [shiftId, from, to],
    );
    await sql(
      `UPDATE shift_claims SET period = tstzrange(now() + $2::interval, now() + $3::interval, '[)'),
              check_in_deadline = least(check_in_deadline, now() + $3::interval)
        WHERE shift_id = $1`,
      [shiftId, from, to],
    );
  };
  await move(first.id, '-2 hours', '2 minutes');
  await move(next.id, '10 minutes', '130 minutes');
  await unwrap(agent.api.PUT('/v1/agents/me/availability', { body: { status: 'away' } }));
  await unwrap(agent.api.POST('/v1/shifts/{id}/check-in', { params: { path: { id: next.id } } }));
  await move(first.id, '-2 hours', '-1 minute'); // the first is over
  const nextSeat = async () =>
    (
      await unwrap(
        agent.api.GET('/v1/agents/me/claims', { params: { query: { status: 'checked_in' } } }),
      )
    ).items.find((seat) => seat.shiftId === next.id)!;
  expect((await nextSeat()).availability).toBe('away');

  await signInPage(page, agent.email, '/agent/desk');
  await expect(page.getByText('You are checked in')).toBeVisible();
  await expect(page.getByText(/on a break carried over from your last shift/)).toBeVisible();
  await expectAccessible(page, 'desk, checked in early with a break carried over');
  await page.getByRole('button', { name: 'End the break' }).click();
  await expect(page.getByText(/on a break carried over/)).toHaveCount(0);
  await expect(page.getByText('You are checked in')).toBeVisible();
  expect((await nextSeat()).availability).toBe('available');
});

/**
 * A shift the agent waited for changes hours before anyone held its seat: the line is emptied
 * (its agents joined for other terms), and the agent is told at once rather than finding its
 * place gone.
 */
test('an agent waiting for a seat is told when the company changed the shift and emptied its line', async ({
  page,
}) => {
  const company = await signUpCompany('Rescheduling Co');
  const shift = await postShift(company, 3 * 3600, { title: 'Night returns', seats: 1 });
  const holder = await signUpAgent('Ana Holder');
  const agent = await signUpAgent('Rui Waiting');
  const path = { params: { path: { id: shift.id } } };
  await unwrap(holder.api.POST('/v1/shifts/{id}/claims', path));
  await unwrap(agent.api.POST('/v1/shifts/{id}/waitlist', path));
  // No longer eligible (another language), so the seat given back passes it over.
  await unwrap(
    agent.api.PUT('/v1/agents/me/profile', {
      body: { displayName: 'Rui Waiting', timeZone: 'Europe/Lisbon', languages: ['fr'] },
    }),
  );
  await unwrap(holder.api.DELETE('/v1/shifts/{id}/claims/me', path));
  await signInPage(page, agent.email, '/agent/seats');
  await expect(page.getByRole('status', { name: 'Live updates: Live' })).toBeVisible();
  const later = Date.now() + 26 * 3600_000;
  await unwrap(
    company.admin.PATCH('/v1/shifts/{id}', {
      ...path,
      body: {
        startsAt: new Date(later).toISOString(),
        endsAt: new Date(later + 3600_000).toISOString(),
      },
    }),
  );
  await expect(page.getByText('Your place in line is gone')).toBeVisible();
  await expect(
    page.getByText(
      '“Night returns”, which you were waiting for, was changed by the company, so its waitlist was emptied. See it in Open shifts and join again if it still suits you.',
    ),
  ).toBeVisible();
});

/**
 * Back on the onboarding page without an account (a link kept from an abandoned sign-up): it
 * offers to go on to Stripe and asks for the account once, not every 3 s while it stays open.
 */
test('the onboarding page of an agent without an account asks for it once', async ({ page }) => {
  const agent = await signUpAgent('Noa Account');
  let asked = 0;
  page.on('request', (request) => {
    if (request.method() === 'GET' && request.url().endsWith('/v1/agents/me/payout-account')) {
      asked++;
    }
  });
  await signInPage(page, agent.email, '/agent/payouts?onboarding=return');
  await expect(page.getByRole('button', { name: 'Continue on Stripe' })).toBeVisible();
  // Two polling periods.
  await page.waitForTimeout(6_500);
  expect(asked).toBe(1);
});

test('an offer declined does not make the one before it be announced as new', async ({ page }) => {
  const agent = await signUpAgent('Ola Offers');
  const older = stubOffer('Parcel lost in transit', 20);
  const newer = stubOffer('Charged twice', 5);
  let listed = [older, newer];
  await stubOffers(page, () => listed);
  await page.route(`**/v1/offers/${newer.id}/decline`, (route) => {
    listed = [older];
    return route.fulfill({ json: { ...newer, status: 'declined', ticket: undefined } });
  });
  await signInPage(page, agent.email, '/agent/desk');
  const said = page.getByTestId('offer-announcement');
  await expect(said).toHaveText(/^New offer: Charged twice\. \d+ seconds to answer\.$/);
  const card = page.getByRole('article', { name: 'Offer: Charged twice' });
  await card.getByRole('button', { name: 'Decline' }).click();
  // The reason is typed at once; no empty decline goes (a double press sent one).
  await expect(card.getByLabel('Why are you declining?')).toBeFocused();
  await expect(card.getByRole('button', { name: 'Decline offer' })).toBeDisabled();
  await card.getByLabel('Why are you declining?').fill('Not my area');
  await card.getByRole('button', { name: 'Decline offer' }).click();
  await expect(card).toBeHidden();
  // The older offer was on screen all along: no news, so nothing new is said.
  await expect(page.getByRole('article', { name: 'Offer: Parcel lost in transit' })).toBeVisible();
  await expect(said).not.toHaveText(/Parcel lost in transit/);
});

test('an agent declines a real offer, saying why: the offer goes, and the ticket waits, open', async ({
  page,
}) => {
  const company = await signUpCompany(`Customs Co ${randomUUID().slice(0, 6)}`);
  const agent = await signUpAgent('Dee Decline');
  await checkedInOnLiveShift(company, agent, { routing: 'push', title: 'Offers desk' });
  await signInPage(page, agent.email, '/agent/desk');
  const externalId = `conv-${Date.now()}-decline`;
  await escalate(company, externalId, 'Parcel stuck at customs');
  const card = page.getByRole('article', { name: 'Offer: Parcel stuck at customs' });
  await expect(card)
    .toBeVisible({ timeout: 30_000 })
    .catch(async (e: Error) => {
      throw new Error(`${e.message}\nticket and offers: ${await offerState(externalId)}`);
    });
  await card.getByRole('button', { name: 'Decline' }).click();
  await card.getByLabel('Why are you declining?').fill('No customs experience');
  await card.getByRole('button', { name: 'Decline offer' }).click();
  await expect(card).toBeHidden();
  const [ticket] = JSON.parse(await offerState(externalId)) as {
    status: string;
    offers: { status: string }[];
  }[];
  // Back with nobody (the only agent said no), the one offer declined; none pending for it.
  expect(ticket.status).toBe('open');
  expect(ticket.offers).toEqual([expect.objectContaining({ status: 'declined' })]);
  const pending = await unwrap(agent.api.GET('/v1/agents/me/offers', {}));
  expect(pending.items.map((o) => o.ticket?.subject)).not.toContain('Parcel stuck at customs');
});
