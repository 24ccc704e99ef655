import { expect, test } from '@playwright/test';
import { unwrap } from '../../src/client/client';
import { createStaff, signInApi, signInPage, signUpAgent } from './api';
import { expectAccessible } from './journeys';

/**
 * A platform admin: finds an agent and suspends it (the reason required) then reinstates it;
 * adds a skill, retires it (it leaves the list everyone picks from) and reinstates it; sees the
 * staff and opens the queue dashboard with the pass the console gets for this browser.
 */
test('an admin suspends and reinstates an agent, retires a skill, opens the queue dashboard', async ({
  page,
}) => {
  const tag = Math.random().toString(36).slice(2, 7);
  const admin = await createStaff('admin');
  const agent = await signUpAgent();
  await unwrap(agent.api.PATCH('/v1/agents/me/profile', { body: { displayName: `Lee ${tag}` } }));

  await signInPage(page, admin);
  await expect(page).toHaveURL(/\/platform\/agents$/);
  await page.getByRole('searchbox', { name: 'Search' }).fill(`lee ${tag}`);
  const table = page.getByRole('region', { name: 'Agents' });
  const row = table.getByRole('row', { name: new RegExp(`Lee ${tag}`) });
  await expect(row).toHaveCount(1);
  await expect(row.getByText(agent.email)).toBeVisible();
  await expectAccessible(page, 'admin agents');
  // Each row's buttons name its agent by email too: display names need not be unique.
  await expect(
    row.getByRole('button', { name: `Suspend Lee ${tag} (${agent.email})`, exact: true }),
  ).toBeVisible();
  await row.getByRole('button', { name: `Suspend Lee ${tag}` }).click();
  const dialog = page.getByRole('dialog', { name: `Suspend Lee ${tag}` });
  await dialog.getByRole('button', { name: 'Suspend' }).click();
  await expect(dialog.getByRole('textbox', { name: 'Reason' })).toHaveAttribute(
    'aria-invalid',
    'true',
  );
  await dialog.getByRole('textbox', { name: 'Reason' }).fill('Repeated no-shows this month');
  await expectAccessible(page, 'suspend dialog');
  await dialog.getByRole('button', { name: 'Suspend' }).click();
  await expect(row.getByText('Repeated no-shows this month')).toBeVisible();
  const profile = await unwrap(agent.api.GET('/v1/agents/me/profile'));
  expect(profile.suspendedAt).not.toBeNull();
  await row.getByRole('button', { name: `Reinstate Lee ${tag}` }).click();
  await expect(row.getByText('active', { exact: true })).toBeVisible();

  // The taxonomy: add, retire (no longer offered), reinstate.
  await page.getByRole('link', { name: 'Skills' }).click();
  await page.getByRole('textbox', { name: 'Code' }).fill('Bad Code');
  await page.getByRole('button', { name: 'Add skill' }).click();
  await expect(page.getByRole('textbox', { name: 'Code' })).toHaveAttribute('aria-invalid', 'true');
  const code = `loyalty_${tag}`;
  await page.getByRole('textbox', { name: 'Code' }).fill(code);
  await page.getByRole('textbox', { name: 'Name' }).fill(`Loyalty ${tag}`);
  await page.getByRole('button', { name: 'Add skill' }).click();
  const skill = page.getByRole('row', { name: new RegExp(code) });
  await expect(skill.getByText('in use')).toBeVisible();
  await skill.getByRole('button', { name: `Retire Loyalty ${tag}` }).click();
  await expect(skill.getByText(/^retired /)).toBeVisible();
  const offered = await unwrap(agent.api.GET('/v1/skills'));
  expect(offered.map((s) => s.code)).not.toContain(code);
  await expectAccessible(page, 'skills');
  await skill.getByRole('button', { name: `Reinstate Loyalty ${tag}` }).click();
  await expect(skill.getByText('in use')).toBeVisible();

  // Staff, and the queue dashboard through the pass.
  await page.getByRole('link', { name: 'Staff and queues' }).click();
  await expect(page.getByRole('row', { name: new RegExp(admin) })).toBeVisible();
  await page.getByRole('button', { name: 'Get a pass to the queue dashboard' }).click();
  const [dashboard] = await Promise.all([
    page.context().waitForEvent('page'),
    page.getByRole('link', { name: 'open the queue dashboard' }).click(),
  ]);
  await expect(dashboard).toHaveTitle('Handoff queues');
  await expectAccessible(page, 'staff and queues');
});

/**
 * Two skills retired at once, the first refused after the second answered: the refusal still
 * shows, naming the first skill. (One mutation served every row: the second's success replaced
 * the first's failure, and the first row stayed in use as if nobody had pressed it.)
 */
test('two skills retired at once: the one refused says so, naming it', async ({ page }) => {
  const tag = Math.random().toString(36).slice(2, 7);
  const admin = await createStaff('admin');
  const api = await signInApi(admin);
  const [first, second] = [`first_${tag}`, `second_${tag}`];
  for (const code of [first, second]) {
    await unwrap(
      api.POST('/v1/skills', {
        params: { header: { 'Idempotency-Key': crypto.randomUUID() } },
        body: { code, name: `Skill ${code}` },
      }),
    );
  }
  await signInPage(page, admin, '/platform/skills');
  const retire = (code: string) =>
    page.getByRole('button', { name: `Retire Skill ${code} (${code})`, exact: true });
  await expect(retire(first)).toBeVisible();
  const secondDone = page.waitForResponse(
    (r) => r.url().endsWith(`/v1/skills/${second}`) && r.request().method() === 'DELETE',
  );
  await page.route(`**/v1/skills/${first}`, async (route) => {
    await secondDone; // answers after the second
    await route.fulfill({
      status: 409,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'CONFLICT', message: 'Retry it in a moment' } }),
    });
  });
  await retire(first).click();
  await retire(second).click();
  await expect(
    page.getByRole('row', { name: new RegExp(second) }).getByText(/^retired /),
  ).toBeVisible();
  const refused = page.getByRole('alert').filter({ hasText: `Not retired: ${first}` });
  await expect(refused).toBeVisible();
  await expect(refused).toContainText('Retry it in a moment');

  // Retired, then a failure lost the answer (ANSWER_LOST, as the API answers a keyed write
  // saved before a 5xx): said as done in yellow, still naming its row, and the list is read
  // again (the row shows retired) without a live event to say so.
  await page.unroute(`**/v1/skills/${first}`);
  await page.route(`**/v1/skills/${first}`, async (route) => {
    await route.fetch();
    await route.fulfill({
      status: 409,
      json: {
        error: {
          code: 'ANSWER_LOST',
          message:
            'This request was carried out, but a failure after it lost its answer: read the current state rather than sending it again',
          details: { idempotencyKey: route.request().headers()['idempotency-key'] },
          requestId: 'req-lost',
        },
      },
    });
  });
  await refused.getByRole('button', { name: 'Dismiss' }).click();
  await retire(first).click();
  await expect(
    page.getByRole('alert').filter({ hasText: `Done, but its answer was lost: ${first}` }),
  ).toBeVisible();
  await expect(
    page.getByRole('row', { name: new RegExp(first) }).getByText(/^retired /),
  ).toBeVisible();
});

/**
 * A keyboard user adds a skill: the button is busy (disabled) while it saves, and the focus
 * comes back to it after, instead of falling to the page's start.
 */
test('the focus stays on a button pressed from the keyboard while it was busy', async ({
  page,
}) => {
  const tag = Math.random().toString(36).slice(2, 7);
  await signInPage(page, await createStaff('admin'), '/platform/skills');
  await page.getByRole('textbox', { name: 'Code' }).fill(`kbd_${tag}`);
  await page.getByRole('textbox', { name: 'Name' }).fill(`Keyboard ${tag}`);
  let answer = () => {};
  const held = new Promise<void>((resolve) => (answer = resolve));
  await page.route('**/v1/skills', async (route) => {
    if (route.request().method() === 'POST') await held;
    await route.fallback();
  });
  const add = page.getByRole('button', { name: 'Add skill' });
  await add.focus();
  await page.keyboard.press('Enter');
  await expect(add).toBeDisabled();
  answer();
  await expect(page.getByRole('row', { name: new RegExp(`kbd_${tag}`) })).toBeVisible();
  await expect(add).toBeEnabled();
  await expect(add).toBeFocused();
});

/**
 * The queue dashboard's pass ended while the page stayed open: the page said it still lasted
 * and had no way to get another but leaving the page. It says it ended, and offers a new one.
 */
test('a queue dashboard pass that has ended can be renewed from the page', async ({ page }) => {
  await signInPage(page, await createStaff('admin'), '/platform/staff');
  // The pass as it comes back once its time is up (QUEUE_DASHBOARD_SESSION_MINUTES).
  let answers = 0;
  await page.route('**/v1/admin/queue-dashboard/session', async (route) => {
    answers += 1;
    if (answers > 1) return route.fallback();
    const answer = await route.fetch();
    const pass = (await answer.json()) as { expiresAt: string };
    await route.fulfill({
      response: answer,
      json: { ...pass, expiresAt: new Date(Date.now() - 60_000).toISOString() },
    });
  });
  await page.getByRole('button', { name: 'Get a pass to the queue dashboard' }).click();
  await expect(page.getByText(/^Your pass ended .*: get a new one\.$/)).toBeVisible();
  await expect(page.getByRole('link', { name: 'open the queue dashboard' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Get a new pass' }).click();
  await expect(page.getByRole('link', { name: 'open the queue dashboard' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Get a new pass' })).toBeVisible();
});

/** The agent search takes no more than the API's 100 characters: past them the list failed. */
test('a pasted agent search longer than the API takes is cut to its bound', async ({ page }) => {
  await signInPage(page, await createStaff('admin'), '/platform/agents');
  const search = page.getByRole('searchbox', { name: 'Search' });
  await search.fill('x'.repeat(150));
  await expect(search).toHaveValue('x'.repeat(100));
  await expect(page.getByText('No agent matches.')).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
});
