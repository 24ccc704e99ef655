import { expect, test } from '@playwright/test';
import { createStaff, PASSWORD, signInPage, signUpAgent, signUpCompany, sql } from './api';
import { expectAccessible, expectFitsPhone } from './journeys';

const NEW_PASSWORD = 'a longer horse, stapled twice';

/**
 * An agent changes their password on the account page: a wrong current one and a new one typed
 * twice differently are said by their fields, and change nothing; the change ends every other
 * browser's session while this tab stays signed in (it signs in again with the new password),
 * and the new password is the one that signs in from then on.
 */
test('an agent changes their password: other browsers are signed out, this tab stays', async ({
  page,
  browser,
}) => {
  const agent = await signUpAgent('Pia Password');
  const elsewhere = await browser.newContext();
  const other = await elsewhere.newPage();
  await signInPage(other, agent.email, '/agent/seats');
  await expect(other).toHaveURL(/\/agent\/seats$/);

  await signInPage(page, agent.email);
  await page.getByRole('link', { name: 'Account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByText(`Signed in as ${agent.email}.`)).toBeVisible();
  const form = page.getByRole('region', { name: 'Password' });
  const current = form.getByLabel('Current password');
  const next = form.getByLabel('New password', { exact: true });
  const again = form.getByLabel('New password again');
  const submit = form.getByRole('button', { name: 'Change password' });

  await current.fill('not my password');
  await next.fill(NEW_PASSWORD);
  await again.fill(`${NEW_PASSWORD}!`);
  await submit.click();
  await expect(again).toHaveAccessibleDescription(/Not the same as the new password/);
  await again.fill(NEW_PASSWORD);
  await submit.click();
  await expect(current).toHaveAccessibleDescription(/not the password of this account/);
  await expectAccessible(page, 'account with a wrong current password');
  await expectFitsPhone(page, 'account', form);

  await current.fill(PASSWORD);
  await submit.click();
  await expect(
    page.getByText('Password changed. Every other sign-in of this account has ended.'),
  ).toBeVisible();
  await expect(current).toHaveValue('');
  // This tab kept its session (a reload restores it from the new cookie)…
  await page.reload();
  await expect(page.getByText(`Signed in as ${agent.email}.`)).toBeVisible();
  // …the other browser's ended: its next renewal is refused, and it is sent to sign in.
  await other.reload();
  await expect(other).toHaveURL(/\/sign-in/);
  await elsewhere.close();

  // The new password signs in; the old one no longer does.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Email').fill(agent.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText(/Email or password is incorrect/)).toBeVisible();
  await page.getByLabel('Password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/agent\/desk$/);
});

/** Staff have the page too (every role does), from their navigation. */
test('finance reaches the account page from its navigation', async ({ page }) => {
  await signInPage(page, await createStaff('finance'));
  await expect(page).toHaveURL(/\/finance\/runs$/);
  await page.getByRole('link', { name: 'Account' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Account');
  await expect(page.getByRole('button', { name: 'Change password' })).toBeVisible();
});

/**
 * The navigation works on either side of the width where it turns into a burger (768 px, a
 * small tablet, a laptop at 200 %): at 768 px it once showed, inert, with no burger to open it.
 */
test('the navigation works at the width where it becomes a burger, and just below', async ({
  page,
}) => {
  await page.setViewportSize({ width: 768, height: 900 });
  await signInPage(page, await createStaff('finance'));
  await expect(page).toHaveURL(/\/finance\/runs$/);
  await expect(page.getByRole('button', { name: 'Open navigation' })).toBeHidden();
  await page.getByRole('link', { name: 'Account' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Account');
  await page.setViewportSize({ width: 767, height: 900 });
  await page.getByRole('button', { name: 'Open navigation' }).click();
  await page.getByRole('link', { name: 'Ledger' }).click();
  await expect(page).toHaveURL(/\/finance\/ledger$/);
});

/**
 * A step that hands out lasting access (here an API key) wants a recent sign-in: past
 * RECENT_SIGN_IN_MINUTES the console asks for the password, then the step goes on by itself.
 * Cancelled, the step says it was not done, in the console's words; a wrong password is said by
 * its field.
 */
test('creating an API key long after signing in asks for the password, then creates it', async ({
  page,
}) => {
  const company = await signUpCompany('Prompt Co');
  await signInPage(page, company.email, '/company/integration');
  await expect(page).toHaveURL(/\/company\/integration$/);
  // The sign-in was 11 minutes ago (the limit is 10): the reload's renewal says so.
  await sql(
    `UPDATE refresh_tokens SET authenticated_at = now() - interval '11 minutes'
      WHERE user_id = (SELECT id FROM users WHERE email = $1)`,
    [company.email],
  );
  await page.reload();
  const name = page.getByLabel('Key name');
  await name.fill('Night bot');
  const create = page.getByRole('button', { name: 'Create key' });
  await create.click();
  const prompt = page.getByRole('dialog', { name: 'Confirm it is you' });
  await expect(prompt).toBeVisible();
  await prompt.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'No key created' })).toContainText(
    'This needs your password again',
  );

  await create.click();
  await prompt.getByRole('textbox', { name: 'Password' }).fill('not my password');
  await prompt.getByRole('button', { name: 'Confirm' }).click();
  await expect(prompt.getByRole('textbox', { name: 'Password' })).toHaveAccessibleDescription(
    /not the password of this account/,
  );
  await expectAccessible(page, 'password asked again');
  await prompt.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
  await prompt.getByRole('button', { name: 'Confirm' }).click();
  await expect(prompt).toHaveCount(0);
  await expect(page.getByText('Key “Night bot” created')).toBeVisible();
  await expect(page.getByRole('alert').filter({ hasText: 'No key created' })).toHaveCount(0);
});
