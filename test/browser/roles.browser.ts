import { expect, test, type Page } from '@playwright/test';
import { createStaff, PASSWORD, signInPage, signUpAgent, signUpCompany } from './api';
import { expectAccessible } from './journeys';

/** Every page of the console, by the role it is for (a run's and a ticket's with any id). */
const PAGES: Record<string, string[]> = {
  agent: [
    '/agent/desk',
    '/agent/shifts',
    '/agent/seats',
    '/agent/earnings',
    '/agent/quality',
    '/agent/profile',
    '/agent/payouts',
    '/agent/tickets/x',
  ],
  company_admin: [
    '/company/queue',
    '/company/shifts',
    '/company/agents',
    '/company/integration',
    '/company/statement',
    '/company/billing',
    '/company/tickets/x',
  ],
  finance: [
    '/finance/runs',
    '/finance/runs/x',
    '/finance/adjustments',
    '/finance/receivables',
    '/finance/ledger',
  ],
  admin: ['/platform/agents', '/platform/skills', '/platform/reviews', '/platform/staff'],
};

/**
 * Visits every page not of `role`, then `/welcome` (home only for a role with no pages): each
 * says it is not this user's, and shows none of it.
 */
async function refusedEverywhereElse(page: Page, role: string): Promise<void> {
  const others = Object.entries(PAGES).flatMap(([owner, paths]) => (owner === role ? [] : paths));
  for (const path of [...others, '/welcome']) {
    await page.goto(path);
    await expect(page.getByText('This page is not for your role.'), path).toBeVisible();
    await expect(page.getByRole('heading', { level: 1 }), path).toHaveText('Not your page');
  }
  // Named as the agent journey's check of the same page: one screenshot of it in the docs.
  await expectAccessible(page, 'not your page');
  // And the way home goes to the role's own first page.
  await page.getByRole('link', { name: 'Go to your pages' }).click();
  await expect(page).toHaveURL(new RegExp(`${PAGES[role][0]}$`));
}

test.describe('no role reaches another role’s pages', () => {
  test('an agent', async ({ page }) => {
    const agent = await signUpAgent();
    await signInPage(page, agent.email);
    await expect(page).toHaveURL(/\/agent\/desk$/);
    await refusedEverywhereElse(page, 'agent');
  });

  test('a company admin', async ({ page }) => {
    const company = await signUpCompany(`Roles ${Math.random().toString(36).slice(2, 7)}`);
    await signInPage(page, company.email);
    await expect(page).toHaveURL(/\/company\/queue$/);
    await refusedEverywhereElse(page, 'company_admin');
  });

  test('finance', async ({ page }) => {
    await signInPage(page, await createStaff('finance'));
    await expect(page).toHaveURL(/\/finance\/runs$/);
    await refusedEverywhereElse(page, 'finance');
  });

  test('an admin', async ({ page }) => {
    await signInPage(page, await createStaff('admin'));
    await expect(page).toHaveURL(/\/platform\/agents$/);
    await refusedEverywhereElse(page, 'admin');
  });
});

/**
 * One browser, two tabs: the agent signs out in one and another agent signs in there. The
 * first tab follows the cookie to the new user, and shows none of the last one's data: its
 * profile form is the new agent's, so saving it cannot write the last one's name over it.
 */
test('a tab that follows the cookie to another user shows that user, not the last one', async ({
  page,
  context,
}) => {
  const first = await signUpAgent('Ana First');
  const second = await signUpAgent('Bo Second');
  await signInPage(page, first.email);
  await expect(page).toHaveURL(/\/agent\/desk$/);
  await page.goto('/agent/profile');
  await expect(page.getByLabel('Display name')).toHaveValue('Ana First');

  // The first tab cannot renew while the other signs out and in (its network fails those calls
  // for a moment), so it learns of the change only by renewing afterwards. Each failure answers
  // at once: a renewal held open would hold the session lock, which the sign-in waits for.
  let down = true;
  await page.route('**/v1/auth/session/refresh', (route) =>
    down ? route.fulfill({ status: 503, body: '' }) : route.continue(),
  );
  const other = await context.newPage();
  await other.goto('/agent/desk');
  await other.getByRole('button', { name: 'Sign out' }).click();
  await expect(other).toHaveURL(/\/sign-in/);
  await signInPage(other, second.email);
  await expect(other).toHaveURL(/\/agent\/desk$/);
  down = false;

  // The first tab's stream ended with the first login; its next renewal finds the second.
  await expect(page.getByLabel('Display name')).toHaveValue('Bo Second', { timeout: 30_000 });
  await expect(page.getByText('Ana First')).toHaveCount(0);
});

/**
 * The next person at this browser starts at their own home: a sign-out kept the page in the
 * sign-in link (`?next=`), and signing in then led a company admin to "Not your page".
 */
test('a sign-out leaves no page for the next person, and another role’s page is not followed', async ({
  page,
}) => {
  const agent = await signUpAgent('Cy Leaving');
  await signInPage(page, agent.email, '/agent/seats');
  await expect(page).toHaveURL(/\/agent\/seats$/);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  const company = await signUpCompany(`Next ${Math.random().toString(36).slice(2, 8)}`);
  await signInPage(page, company.email, '/agent/seats'); // a link left by a session that ended
  await expect(page).toHaveURL(/\/company\/queue$/);
});

/**
 * No session: every page, and `/welcome`, sends the visitor to sign in with the page kept in
 * `next`. Nothing of the page shows (no page heading, no shell) and nothing is asked of the API
 * but the session's renewal, which answers that there is none. The first page is loaded as a
 * visitor's link would be (the session restored, then found missing); the others are reached
 * inside the console, as a link in it would: the same guard, without a load of the console
 * each (half a second apiece here, for 26 pages).
 */
test('an anonymous visitor is sent to sign in from every page, and sees none of it', async ({
  page,
}) => {
  const asked: string[] = [];
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/v1/') && !pathname.startsWith('/v1/auth/session/')) {
      asked.push(pathname);
    }
  });
  // `/account` is every signed-in role's (account.browser.ts), and nobody's without a session.
  for (const [n, path] of [...Object.values(PAGES).flat(), '/welcome', '/account'].entries()) {
    if (n === 0) await page.goto(path);
    else await navigateInConsole(page, path);
    await expect(page, path).toHaveURL(`/sign-in?next=${encodeURIComponent(path)}`);
    await expect(page.getByRole('heading', { level: 1 }), path).toHaveText('Sign in');
    await expect(page.getByRole('button', { name: 'Sign out' }), path).toHaveCount(0);
  }
  expect(asked).toEqual([]);
});

/** Goes to `path` in the console's router (what its links do), without loading the page. */
async function navigateInConsole(page: Page, path: string): Promise<void> {
  // A string: the tests compile without the DOM's types.
  await page.evaluate(
    `history.pushState(null, '', ${JSON.stringify(path)}); dispatchEvent(new PopStateEvent('popstate'))`,
  );
}

/** Signing in on the page the console sent them to takes the user to the page they asked for. */
test('a page opened before signing in is the one shown after', async ({ page }) => {
  const finance = await createStaff('finance');
  await page.goto('/finance/ledger');
  await expect(page).toHaveURL(`/sign-in?next=${encodeURIComponent('/finance/ledger')}`);
  await page.getByLabel('Email').fill(finance);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/finance\/ledger$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ledger');
});

/**
 * `/welcome` is home for a role the console has no pages for. None has today (the API's four
 * roles all have theirs), so the session here answers with a role the console does not know,
 * as it would after the API gained one: that user lands on `/welcome`, is pointed to the API,
 * has no navigation, is not let onto the pages of any role, and can sign out.
 */
test('a user of a role with no pages lands on /welcome, which points to the API', async ({
  page,
}) => {
  const agent = await signUpAgent();
  for (const call of ['login', 'refresh']) {
    await page.route(`**/v1/auth/session/${call}`, async (route) => {
      const response = await route.fetch();
      if (!response.ok()) return route.fulfill({ response });
      const session = (await response.json()) as { user: object };
      await route.fulfill({
        response,
        json: { ...session, user: { ...session.user, role: 'auditor' } },
      });
    });
  }
  await signInPage(page, agent.email);
  await expect(page).toHaveURL(/\/welcome$/);
  const heading = page.getByRole('heading', { level: 1 });
  await expect(heading).toHaveText('Not here yet');
  await expect(page.getByText('This console does not have pages for your role yet.')).toBeVisible();
  await expect(page.getByText(`You are signed in as ${agent.email} (auditor).`)).toBeVisible();
  const docs = page.getByRole('link', { name: '/docs' });
  expect((await page.request.get((await docs.getAttribute('href'))!)).ok()).toBe(true);
  await expect(page.getByRole('navigation')).toHaveCount(0);
  await expect(page.getByRole('status', { name: /^Live updates/ })).toHaveCount(0);
  await expectAccessible(page, 'not here yet');
  // Not even the pages of the role the account was made with.
  for (const path of ['/agent/desk', '/company/queue', '/finance/runs', '/platform/agents']) {
    await page.goto(path);
    await expect(heading, path).toHaveText('Not here yet');
  }
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
});
