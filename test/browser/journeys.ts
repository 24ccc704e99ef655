import AxeBuilder from '@axe-core/playwright';
import { expect, type Locator, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { unwrap } from '../../src/client/client';
import { escalate, offerState, PASSWORD, postPushShift, signUpCompany, uniqueEmail } from './api';

/**
 * axe-core's minified build, which AxeBuilder injects before each scan (its default is the
 * 1.5 MB unminified source, parsed again in the page on every one of ~75 scans).
 */
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The DOM's animations, as far as expectAccessible reads them (no DOM types here). */
interface AnimatedDocument {
  getAnimations(): {
    playState: string;
    effect: { getTiming(): { iterations?: number } } | null;
  }[];
}

/**
 * The open-shifts page's card named `name`, once shown, loading further pages until it is: the
 * journeys share one database side by side, and others' shifts starting sooner (or already
 * running) can fill the first page.
 */
export async function openShiftCard(page: Page, name: string | RegExp): Promise<Locator> {
  const card = page.getByRole('article', { name });
  const more = page.getByRole('button', { name: 'Load more shifts' });
  await expect(async () => {
    if ((await card.count()) === 0 && (await more.isVisible())) await more.click({ timeout: 1000 });
    await expect(card).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  return card;
}

/**
 * axe-core on the page as it is: no serious or critical violation. With CONSOLE_SCREENSHOTS set
 * (`npm run docs:screenshots`), the page is also saved there as `<name>.png` for docs/console.md.
 */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  const dir = process.env.CONSOLE_SCREENSHOTS;
  if (dir) {
    // From the top: a full-page shot of a scrolled page draws the fixed header mid-page.
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: `${dir}/${name.replace(/\W+/g, '-')}.png`, fullPage: true });
  }
  // A dialog still fading in has its text at part opacity, which axe reads as low contrast.
  // (Endless ones, a loader's spin, never finish: they are not waited for.)
  await page.waitForFunction(() =>
    (globalThis as unknown as { document: AnimatedDocument }).document
      .getAnimations()
      .every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity),
  );
  // Legacy mode runs axe.run in the page itself. The default (axe.runPartial in each frame,
  // then axe.finishRun in a new blank page) opened a page per scan: that doubled the cost of a
  // scan and made axe 40 % of the journeys' time. What legacy mode leaves out is cross-origin
  // frames, and the console has none.
  const { violations } = await new AxeBuilder({ page, axeSource: AXE_SOURCE })
    .setLegacyMode()
    .analyze();
  const bad = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${name}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => n.html.slice(0, 160)).join(' | ')}`,
    );
  expect(bad).toEqual([]);
}

/**
 * The page at a phone's width (375 px), then back to the laptop's: the document never scrolls
 * sideways (wide tables scroll inside their own region), `visible` is still on screen, and
 * axe-core still passes.
 */
export async function expectFitsPhone(
  page: Page,
  name: string,
  visible: ReturnType<Page['locator']>,
): Promise<void> {
  const laptop = page.viewportSize();
  await page.setViewportSize({ width: 375, height: 740 });
  try {
    await expect
      .poll(() => page.evaluate<number>('document.documentElement.scrollWidth'))
      .toBeLessThanOrEqual(375);
    await visible.scrollIntoViewIfNeeded();
    await expect(visible).toBeInViewport();
    await expectAccessible(page, `${name} on a phone`);
  } finally {
    if (laptop) await page.setViewportSize(laptop);
  }
}

/** Picks an option of a Mantine Select or MultiSelect by typing part of it. */
async function choose(page: Page, label: string, typed: string, option: string | RegExp) {
  const input = page.getByRole('combobox', { name: label, exact: true });
  await input.click();
  await input.fill(typed);
  await page.getByRole('option', { name: option }).first().click();
}

/**
 * The agent's whole day in the console: sign up, profile and skills, Stripe onboarding (the
 * fake's hosted page sends the browser back, as Stripe does), claim a seat on a push shift,
 * check in, receive the offer a bot's escalation makes, accept, talk with the customer (through
 * the bot), survive a reload, resolve, see the pending earning, read the ticket back from
 * it, and see the earning reversed live when the company reopens the ticket. Every page, tab
 * and dialog it opens is scanned with axe-core.
 */
export async function agentJourney(page: Page): Promise<void> {
  // Journeys run side by side on one instance: each company's name is its own.
  const companyName = `Acme ${Math.random().toString(36).slice(2, 8)}`;
  const company = await signUpCompany(companyName);
  // Starts in 40 s: seats can be checked into before (CHECK_IN_OPENS_MINUTES); offers come once
  // it has started (the router runs at the start).
  const shift = await postPushShift(company, 40);

  await page.goto('/sign-up');
  await expectAccessible(page, 'sign-up');
  await page.getByLabel('Email').fill(uniqueEmail('agent'));
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create my account' }).click();
  await expect(page).toHaveURL(/\/agent\/desk$/);

  // No shift for a profile without languages or skills: said in the console's words, with the
  // way to the profile (the API's hints name its routes).
  await page.goto('/agent/shifts');
  const none = page.getByRole('alert').filter({ hasText: 'No shift for you right now' });
  await expect(none).toContainText(
    'You have no skills: shifts that require one are hidden. Add yours on your profile.',
  );
  await expect(none).not.toContainText('/v1/');
  await none.getByRole('link', { name: 'your profile' }).first().click();
  await expect(page).toHaveURL(/\/agent\/profile$/);
  await expect(page.getByText('No shift can match you yet')).toBeVisible();
  await expectAccessible(page, 'profile');
  await page.getByLabel('Display name').fill('Sam Rivera');
  await choose(page, 'Time zone', 'Europe/Lis', 'Europe/Lisbon');
  await choose(page, 'Languages', 'Engl', /English/);
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByText('Profile saved')).toBeVisible();
  await page.getByRole('button', { name: 'Add a skill' }).click();
  await choose(page, 'Skill 1', 'Refu', 'Refunds');
  await page.getByRole('button', { name: 'Save skills' }).click();
  await expect(page.getByText('No shift can match you yet')).toBeHidden();
  // An edit in progress survives a refetch that brings the same data (back to the tab once the
  // profile is stale, 15 s): the forms were remounted on every refetch, dropping it.
  await page.getByLabel('Display name').fill('Sam R.');
  await page.waitForTimeout(15_500);
  const refetched = page.waitForResponse(
    (r) => r.url().endsWith('/v1/agents/me/profile') && r.request().method() === 'GET',
  );
  await page.evaluate("window.dispatchEvent(new Event('visibilitychange'))");
  await refetched;
  await expect(page.getByLabel('Display name')).toHaveValue('Sam R.');
  await page.getByLabel('Display name').fill('Sam Rivera');

  // Stripe onboarding: to Stripe's hosted page and back to the console's payouts page, which
  // shows the account once Stripe's account.updated has arrived.
  await page.getByRole('button', { name: 'Set up payouts with Stripe' }).click();
  await expect(page).toHaveURL(/\/agent\/payouts\?onboarding=return$/);
  await expect(page.getByText('Enabled', { exact: true })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByText('Stripe needs nothing more from you.')).toBeVisible();
  await expectAccessible(page, 'payouts return');
  // An expired link sends the agent to the same page with `refresh`.
  await page.goto('/agent/payouts?onboarding=refresh');
  await expect(page.getByText('The Stripe link expired')).toBeVisible();
  await expectAccessible(page, 'payouts link expired');

  await page.goto('/agent/shifts');
  const card = await openShiftCard(page, `Refunds desk · ${companyName}`);
  await expectAccessible(page, 'shifts');
  // The claim answered before leaving the page (a navigation could cut it off).
  const claimed = page.waitForResponse(
    (r) => r.request().method() === 'POST' && /\/v1\/shifts\/[^/]+\/claims$/.test(r.url()),
  );
  await card.getByRole('button', { name: 'Claim a seat' }).click();
  expect((await claimed).status()).toBe(201);

  await page.goto('/agent/seats');
  const seat = page.getByRole('article', { name: `Refunds desk · ${companyName}` });
  await expectAccessible(page, 'seats');
  // The shift starts within the late window: cancelling warns before it counts.
  await seat.getByRole('button', { name: 'Cancel seat' }).click();
  const dialog = page.getByRole('dialog', { name: 'Cancel this seat?' });
  await expect(dialog.getByText('This is a late cancellation')).toBeVisible();
  await expectAccessible(page, 'cancel seat dialog');
  await dialog.getByRole('button', { name: 'Keep my seat' }).click();
  await expect(dialog).toBeHidden();
  await seat.getByRole('button', { name: 'Check in' }).click();
  await expect(seat.getByRole('button', { name: 'Check in' })).toBeHidden();

  // Once the shift has started, the bot escalates: the router offers the ticket to this agent.
  await page.goto('/agent/desk');
  // Before it, checked in early: the desk says when it opens, not to go and check in.
  if (Date.parse(shift.startsAt) - Date.now() > 5_000) {
    await expect(
      page.getByText(/^On “Refunds desk” \(.*\): the desk opens when it starts/),
    ).toBeVisible();
    await expect(page.getByText('You are not checked in')).toHaveCount(0);
  }
  await expect
    .poll(() => Date.parse(shift.startsAt) - Date.now(), { timeout: 60_000, intervals: [1000] })
    .toBeLessThan(0);
  const externalId = `conv-${Date.now()}`;
  const ticket = await escalate(company, externalId, 'Charged twice for order 1042');
  const offer = page.getByRole('article', { name: /Charged twice for order 1042/ });
  await expect(offer)
    .toBeVisible({ timeout: 30_000 })
    .catch(async (e: Error) => {
      throw new Error(`${e.message}\nticket and offers: ${await offerState(externalId)}`);
    });
  // Said to a screen reader as it comes (a live region), with the time left to answer.
  await expect(page.getByTestId('offer-announcement')).toHaveText(
    /^New offer: Charged twice for order 1042\. \d+ seconds to answer\.$/,
  );
  await expect(page.getByTestId('offer-announcement')).toHaveAttribute('aria-live', 'assertive');
  // The desk opened before the start knows the shift is live now (no reload).
  await expect(page.getByText('You are not checked in')).toBeHidden();
  // A push shift: work comes as offers, so there is no claim-next.
  await expect(page.getByText('On this shift work comes to you as offers.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Take next ticket' })).toHaveCount(0);
  await expectAccessible(page, 'desk with an offer');
  // A refusal is an answer: the next accept goes under a new key. Under the offer id as its
  // key for good, a refusal at capacity came back every time, however many tickets were done.
  const keys: string[] = [];
  await page.route('**/v1/offers/*/accept', async (route) => {
    keys.push(route.request().headers()['idempotency-key']);
    if (keys.length > 1) return route.fallback();
    return route.fulfill({
      status: 409,
      contentType: 'application/json',
      body: JSON.stringify({
        error: { code: 'AGENT_AT_CAPACITY', message: 'You hold as many tickets as you may' },
      }),
    });
  });
  await offer.getByRole('button', { name: 'Accept' }).click();
  await expect(offer.getByText('You hold as many tickets as you may')).toBeVisible();
  await offer.getByRole('button', { name: 'Accept' }).click();
  await expect(page).toHaveURL(/\/agent\/tickets\//);
  await page.unroute('**/v1/offers/*/accept');
  expect(keys).toHaveLength(2);
  expect(keys[1]).not.toBe(keys[0]);
  await expectAccessible(page, 'ticket');
  // A summary begun, then a look at the other ways out: what was typed is still there after.
  await page.getByLabel('Resolution summary').fill('Refund of the second charge started');
  for (const tab of ['Release', 'Transfer']) {
    await page.getByRole('tab', { name: tab }).click();
    await expectAccessible(page, `ticket ${tab.toLowerCase()} tab`);
  }
  await page.getByRole('tab', { name: 'Resolve' }).click();
  await expect(page.getByLabel('Resolution summary')).toHaveValue(
    'Refund of the second charge started',
  );

  await page
    .getByLabel('Message', { exact: true })
    .fill('Hi, I am refunding the second charge now.');
  await page.getByRole('button', { name: 'Send message' }).click();
  // The bot sees it (its copy of the conversation), and the customer answers through the bot.
  await expect
    .poll(async () => {
      const { data } = await company.bot.GET('/v1/escalations/{externalId}', {
        params: { path: { externalId } },
      });
      if (!data) return [];
      const messages = await company.bot.GET('/v1/tickets/{id}/messages', {
        params: { path: { id: data.id } },
      });
      return (messages.data?.items ?? []).map((m) => m.body);
    })
    .toContain('Hi, I am refunding the second charge now.');
  await company.bot.POST('/v1/escalations/{externalId}/messages', {
    params: { path: { externalId } },
    body: {
      messageId: 'm-1',
      body: 'Thank you, that was quick!',
      author: 'customer',
      at: new Date().toISOString(),
    },
  });
  await expect(page.getByText('Thank you, that was quick!')).toBeVisible();

  // A reload keeps the session (the cookie) and the page.
  await page.reload();
  await expect(page.getByText('Thank you, that was quick!')).toBeVisible();

  await page.getByLabel('Resolution summary').fill('Refunded the duplicate charge.');
  // The bot's handoff lacked the order id: said on the way out, it reaches the company.
  await page.getByRole('radio', { name: 'No, something was missing' }).check();
  const missing = page.getByRole('combobox', { name: 'What was missing' });
  await missing.fill('order id');
  await missing.press('Enter');
  await expectAccessible(page, 'resolve with a handoff flag');
  await page.getByRole('button', { name: 'Resolve ticket' }).click();
  await expect
    .poll(async () => {
      const quality = await unwrap(company.admin.GET('/v1/companies/me/handoff-quality'));
      return quality.mostMissing.map((m) => m.item);
    })
    .toContain('order id');
  await page.goto('/agent/earnings');
  await expect(page.getByText('€2.50').first()).toBeVisible();
  await expectAccessible(page, 'earnings');
  // The earning links to its ticket, read back as resolved (no composer, no actions).
  await page
    .getByRole('link', { name: /^Ticket / })
    .first()
    .click();
  await expect(page.getByText('You resolved this ticket')).toBeVisible();
  await expect(page.getByText('Your summary: Refunded the duplicate charge.')).toBeVisible();
  await expect(page.getByText('Thank you, that was quick!')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Send message' })).toHaveCount(0);
  await expectAccessible(page, 'resolved ticket');

  // The company reopens it: the earnings page shows the reversal without a reload (the ledger's
  // job books it after the ticket's own event, and tells the agent with earning.reversed).
  await page.goto('/agent/earnings');
  await expect(page.getByText('€2.50').first()).toBeVisible();
  await unwrap(
    company.admin.POST('/v1/tickets/{id}/reopen', {
      params: { path: { id: ticket.id } },
      body: { reason: 'The customer was charged a third time' },
    }),
  );
  await expect(page.getByText('Reversed (ticket reopened)')).toBeVisible({ timeout: 15_000 });
}
