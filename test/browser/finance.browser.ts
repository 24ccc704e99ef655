import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { unwrap, type HandoffClient } from '../../src/client/client';
import {
  client,
  createStaff,
  PASSWORD,
  payableAgent,
  signInApi,
  signInPage,
  signUpAgent,
  sql,
  uniqueEmail,
} from './api';
import { expectAccessible, expectFitsPhone } from './journeys';

/**
 * Finance's day: adjust two agents' balances (the larger one waits for a second finance user,
 * who approves it), draft a payout run (its drafter cannot approve it), a second finance user
 * approves and executes it, both watch it pay to the end, download its CSV, reconcile it with
 * Stripe to zero differences; the ledger balances and passes its integrity check.
 */
test('finance adjusts, drafts, approves as a second user, pays, downloads and reconciles', async ({
  page,
  browser,
}) => {
  const tag = Math.random().toString(36).slice(2, 7);
  const [alice, bob, rita, sam, uma, vic] = await Promise.all([
    createStaff('finance'),
    createStaff('finance'),
    payableAgent(`Rita ${tag}`),
    payableAgent(`Sam ${tag}`),
    payableAgent(`Uma ${tag}`),
    payableAgent(`Vic ${tag}`),
  ]);
  // Uma and Vic are credited over the API; Stripe will refuse their transfers (below).
  const aliceApi = await signInApi(alice);
  for (const agent of [uma, vic]) {
    await unwrap(
      aliceApi.POST('/v1/ledger/adjustments', {
        body: {
          reference: `bonus-${agent.id}`,
          agentId: agent.id,
          amountMinor: 3000,
          currency: 'EUR',
          reason: 'Holiday cover bonus',
        },
      }),
    );
  }

  await signInPage(page, alice);
  await expect(page).toHaveURL(/\/finance\/runs$/);
  await expectAccessible(page, 'payout runs');

  // Adjustments: errors under their fields, then a small credit (posted at once) and a large
  // one (above the approval amount: pending).
  await page.getByRole('link', { name: 'Adjustments' }).click();
  await page.getByRole('button', { name: 'Make the adjustment' }).click();
  await expect(page.getByRole('textbox', { name: 'Reason' })).toHaveAttribute(
    'aria-invalid',
    'true',
  );
  await expect(page.getByRole('textbox', { name: 'Amount' })).toHaveAttribute(
    'aria-invalid',
    'true',
  );
  // A search the API refused (a 429 here) says so: "No agent found" would send finance looking
  // for an agent who is there.
  await page.route('**/v1/agents?*', (route) =>
    route.fulfill({
      status: 429,
      contentType: 'application/json',
      body: JSON.stringify({
        error: { code: 'RATE_LIMITED', message: 'Too many requests: try again in 5 s.' },
      }),
    }),
  );
  const picker = page.getByRole('combobox', { name: 'Agent', exact: true });
  await picker.click();
  await picker.fill(`Uma ${tag}`);
  await expect(page.getByText('Search failed: Too many requests: try again in 5 s.')).toBeVisible();
  await expect(page.getByText('No agent found')).toHaveCount(0);
  await page.unroute('**/v1/agents?*');
  await picker.fill('');
  const adjust = async (name: string, amount: string, reason: string) => {
    const agent = page.getByRole('combobox', { name: 'Agent', exact: true });
    await agent.click();
    await agent.fill(name);
    await page.getByRole('option', { name: new RegExp(name) }).click();
    await page.getByRole('textbox', { name: 'Amount' }).fill(amount);
    await page.getByRole('textbox', { name: 'Reason' }).fill(reason);
    await page.getByRole('button', { name: 'Make the adjustment' }).click();
  };
  // An amount the console cannot read is said under it, in its words (not the API's
  // "amountMinor must be an integer number"), and nothing is sent.
  await adjust(`Rita ${tag}`, '1,000', 'Weekend cover bonus');
  await expect(
    page.getByText('Digits with at most 2 decimals: 1000 or 2.50, not 1,000'),
  ).toBeVisible();
  await expect(page.getByText(/amountMinor/)).toHaveCount(0);
  // Nothing, or nothing to move: said in money too (the API's "amountMinor should not be
  // equal to 0" showed).
  await page.getByRole('textbox', { name: 'Amount' }).fill('0');
  await page.getByRole('button', { name: 'Make the adjustment' }).click();
  await expect(page.getByText('At least €0.01')).toBeVisible();
  await page.getByRole('textbox', { name: 'Amount' }).fill('');
  await page.getByRole('button', { name: 'Make the adjustment' }).click();
  await expect(page.getByRole('textbox', { name: 'Amount' })).toHaveAccessibleDescription(
    'Enter an amount',
  );
  await expect(page.getByText(/amountMinor/)).toHaveCount(0);
  await page.getByRole('textbox', { name: 'Amount' }).fill('20');
  await page.getByRole('button', { name: 'Make the adjustment' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Posted' })).toBeVisible();
  await adjust(`Sam ${tag}`, '150', 'Missed pay for the 2 May shift');
  await expect(page.getByRole('status').filter({ hasText: 'Waiting for approval' })).toBeVisible();
  const queue = page.getByRole('region', { name: 'Table of adjustments' });
  const samRow = queue.getByRole('row', { name: new RegExp(`Sam ${tag}`) });
  // One's own: withdraw only.
  await expect(samRow.getByRole('button', { name: /^Withdraw/ })).toBeVisible();
  await expect(samRow.getByRole('button', { name: /^Approve/ })).toHaveCount(0);
  await expectAccessible(page, 'adjustments');

  // Bob, in his own browser, approves it.
  const bobContext = await browser.newContext();
  const bobPage = await bobContext.newPage();
  await signInPage(bobPage, bob, '/finance/adjustments');
  const bobQueue = bobPage.getByRole('region', { name: 'Table of adjustments' });
  await bobQueue
    .getByRole('row', { name: new RegExp(`Sam ${tag}`) })
    .getByRole('button', { name: /^Approve/ })
    .click();
  await expect(bobQueue.getByRole('row', { name: new RegExp(`Sam ${tag}`) })).toHaveCount(0);

  // Alice drafts a run; she cannot approve her own draft.
  await page.getByRole('link', { name: 'Payout runs' }).click();
  await page.getByRole('button', { name: 'Draft a run' }).click();
  await expect(page).toHaveURL(/\/finance\/runs\/[0-9a-f-]{36}$/);
  const runUrl = new URL(page.url()).pathname;
  const lines = page.getByRole('region', { name: 'Payout lines' });
  await expect(
    lines.getByRole('row', { name: new RegExp(`Rita ${tag}.*€20\\.00.*pending`) }),
  ).toBeVisible();
  await expect(
    lines.getByRole('row', { name: new RegExp(`Sam ${tag}.*€150\\.00.*pending`) }),
  ).toBeVisible();
  await expect(lines.getByText(rita.email)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Approve' })).toBeDisabled();
  await expect(
    page.getByText('You drafted this run: another finance user approves it.'),
  ).toBeVisible();
  await expectAccessible(page, 'payout run draft');

  // Meanwhile Stripe restricts Uma's and Vic's accounts (its event has not come yet).
  await uma.restrictTransfers(true);
  await vic.restrictTransfers(true);

  // Bob approves and executes; both pages follow it to the end.
  await bobPage.goto(runUrl);
  await bobPage.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByText('approved', { exact: true })).toBeVisible();
  // Cancelling asks first (it would throw the approval away); kept, the run stays approved.
  // Kept and "Not yet" send nothing.
  const runCalls: string[] = [];
  bobPage.on('request', (request) => {
    if (request.method() === 'POST' && /\/(cancel|execute)$/.test(request.url())) {
      runCalls.push(request.url());
    }
  });
  await bobPage.getByRole('button', { name: 'Cancel run' }).click();
  await bobPage
    .getByRole('dialog', { name: 'Cancel this payout run?' })
    .getByRole('button', { name: 'Keep the run' })
    .click();
  await expect(bobPage.getByRole('dialog')).toHaveCount(0);
  // Paying asks first too, saying what leaves: kept once, then paid.
  const execute = bobPage.getByRole('button', { name: /^Execute: pay \d+ lines?$/ });
  await execute.click();
  const pay = bobPage.getByRole('dialog', { name: 'Pay this run now?' });
  await expect(pay).toContainText(/Stripe transfers up to €\d+\.\d{2} to \d+ agents?: /);
  await pay.getByRole('button', { name: 'Not yet' }).click();
  await expect(bobPage.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByText('approved', { exact: true })).toBeVisible();
  await bobPage.reload(); // a call sent would have changed the run by now
  await expect(bobPage.getByText('approved', { exact: true })).toBeVisible();
  expect(runCalls).toEqual([]);
  await execute.click();
  // While the execution is on its way, the run's other actions wait (a cancel confirmed then
  // took over the shared state, and Execute could be pressed again).
  let answer = () => {};
  const held = new Promise<void>((resolve) => (answer = resolve));
  await bobPage.route(
    `**${runUrl.replace('/finance/runs', '/v1/payout-runs')}/execute`,
    async (r) => {
      await held;
      await r.fallback();
    },
  );
  await pay.getByRole('button', { name: 'Pay now' }).click();
  await expect(bobPage.getByRole('button', { name: 'Cancel run' })).toBeDisabled();
  answer();
  await expect(bobPage.getByText(/^(\d+) of \1 lines? settled \(100 %\)\.$/)).toBeVisible({
    timeout: 60_000,
  });
  await expect(page.getByText('completed with failures', { exact: true })).toBeVisible({
    timeout: 30_000,
  });
  await expect(lines.getByRole('row', { name: new RegExp(`Sam ${tag}.*paid`) })).toBeVisible();
  await bobContext.close();

  // The refused lines, with Stripe's reason: Vic's is abandoned (with a reason), Uma's is sent
  // again once Stripe lifts the restriction.
  for (const name of [`Uma ${tag}`, `Vic ${tag}`]) {
    await expect(
      lines.getByRole('row', {
        name: new RegExp(`${name}.*failed.*insufficient_capabilities_for_transfer`),
      }),
    ).toBeVisible();
  }
  // Had Stripe saved a server error under Vic's transfer (its outcome unknown for a day), the
  // line would say when it is sent again by itself, and offer no abandoning: a day cannot be
  // waited for here, so the line is put in that state and back.
  const vicLine = `SELECT id FROM payout_lines WHERE run_id = $1 AND agent_id = $2`;
  await sql(
    `UPDATE payout_lines SET failure_code = 'stripe_outcome_unknown', failure_permanent = false,
            resend_at = now() + interval '25 hours'
      WHERE id = (${vicLine})`,
    [runUrl.split('/').pop(), vic.id],
  );
  await page.reload();
  await expect(
    lines.getByRole('row', { name: new RegExp(`Vic ${tag}.*failed.*Sent again by itself`) }),
  ).toBeVisible();
  await expect(lines.getByRole('button', { name: `Abandon the line of Vic ${tag}` })).toHaveCount(
    0,
  );
  // Nor had its retries of Stripe's server errors run out: a transfer may exist; retry it.
  await sql(
    `UPDATE payout_lines SET failure_code = 'api_error', resend_at = NULL WHERE id = (${vicLine})`,
    [runUrl.split('/').pop(), vic.id],
  );
  await page.reload();
  await expect(
    lines.getByRole('row', { name: new RegExp(`Vic ${tag}.*failed.*retry the failed lines`) }),
  ).toBeVisible();
  await expect(lines.getByRole('button', { name: `Abandon the line of Vic ${tag}` })).toHaveCount(
    0,
  );
  await sql(
    `UPDATE payout_lines SET failure_code = 'insufficient_capabilities_for_transfer',
            failure_permanent = true, resend_at = NULL
      WHERE id = (${vicLine})`,
    [runUrl.split('/').pop(), vic.id],
  );
  await page.reload();
  await lines.getByRole('button', { name: `Abandon the line of Vic ${tag}` }).click();
  const dialog = page.getByRole('dialog', { name: 'Abandon this line' });
  await dialog.getByRole('button', { name: 'Abandon the line' }).click();
  await expect(dialog.getByRole('textbox', { name: 'Reason' })).toHaveAttribute(
    'aria-invalid',
    'true',
  );
  await dialog.getByRole('textbox', { name: 'Reason' }).fill('Vic closed this bank account');
  await expectAccessible(page, 'abandon line dialog');
  await dialog.getByRole('button', { name: 'Abandon the line' }).click();
  await expect(
    lines.getByRole('row', { name: new RegExp(`Vic ${tag}.*abandoned.*Vic closed this bank`) }),
  ).toBeVisible();
  await uma.restrictTransfers(false);
  await page.getByRole('button', { name: 'Retry 1 failed line' }).click();
  await expect(lines.getByRole('row', { name: new RegExp(`Uma ${tag}.*paid`) })).toBeVisible({
    timeout: 30_000,
  });

  // The CSV, as finance files it.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download CSV' }).click();
  const csv = await readFile((await (await download).path())!, 'utf8');
  expect(csv).toContain(rita.email);
  expect(csv).toContain(sam.email);

  // Reconciled with Stripe: every category counted, no difference.
  await page.getByRole('button', { name: 'Reconcile' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'No differences.' })).toBeVisible();
  for (const category of [
    'Amount differs: 0',
    'Reversal not booked: 0',
    'Missing at Stripe: 0',
    'Unexpected at Stripe: 0',
  ]) {
    await expect(page.getByText(category)).toBeVisible();
  }
  await expect(page.getByText(/^Matched: [1-9]\d*$/)).toBeVisible();
  await expectAccessible(page, 'payout run');

  // Money taken back from an agent who had none available: the agent owes it, which the trial
  // balance nets against the agents who are owed; the ledger page names the agent.
  const owes = await signUpAgent(`Otto ${tag}`);
  const { id: owesId } = await unwrap(owes.api.GET('/v1/me'));
  await unwrap(
    aliceApi.POST('/v1/ledger/adjustments', {
      body: {
        reference: `recover-${owesId}`,
        agentId: owesId,
        amountMinor: -450,
        currency: 'EUR',
        reason: 'Duplicate payment recovered',
      },
    }),
  );

  // The books balance.
  await page.getByRole('link', { name: 'Ledger' }).click();
  await expect(page.getByText('EUR sums to €0.00')).toBeVisible();
  const owing = page.getByRole('region', { name: 'Agents who owe', exact: true });
  await expect(owing.getByRole('row').filter({ hasText: `Otto ${tag}` })).toContainText('€4.50');
  await page.getByRole('button', { name: 'Check the ledger' }).click();
  await expect(page.getByText('The ledger is consistent')).toBeVisible();
  await expectAccessible(page, 'ledger');
});

/**
 * Two rows approved one after the other, the first answering last, with a refusal (withdrawn
 * meanwhile): the console said nothing of it (the second's success replaced it), and the first
 * row stayed pending as if nobody had pressed its button.
 */
test('two adjustments approved at once: the one refused says so, naming it', async ({ page }) => {
  const tag = Math.random().toString(36).slice(2, 8);
  const maker = await signInApi(await createStaff('finance'));
  const made: { id: string; reference: string }[] = [];
  for (const name of ['ann', 'ben']) {
    made.push(await pendingAdjustment(maker, `at-once-${name}-${tag}`));
  }
  const [first, second] = made;
  await signInPage(page, await createStaff('finance'), '/finance/adjustments');
  const queue = page.getByRole('region', { name: 'Table of adjustments' });
  const approve = (reference: string) =>
    queue.getByRole('button', { name: `Approve ${reference}` });
  await expect(approve(first.reference)).toBeVisible();
  const secondDone = page.waitForResponse((r) => r.url().endsWith(`${second.id}/approve`));
  await page.route(`**/v1/ledger/adjustments/${first.id}/approve`, async (route) => {
    await secondDone; // answers after the second
    await route.fulfill({
      status: 409,
      contentType: 'application/json',
      body: JSON.stringify({
        error: { code: 'ADJUSTMENT_STATE', message: 'This adjustment was withdrawn meanwhile' },
      }),
    });
  });
  await approve(first.reference).click();
  // While its approval is on its way, the row's other decision waits (a second one sent meanwhile
  // could only be refused).
  await expect(queue.getByRole('button', { name: `Reject ${first.reference}` })).toBeDisabled();
  await approve(second.reference).click();
  await expect(queue.getByRole('row', { name: new RegExp(second.reference) })).toHaveCount(0);
  const refused = page.getByRole('alert').filter({ hasText: 'withdrawn meanwhile' });
  await expect(refused).toBeVisible();
  await expect(refused).toContainText(first.reference);
  // It stays until dismissed (or the row is acted on again), however the list changes.
  await refused.getByRole('button', { name: 'Dismiss' }).click();
  await expect(refused).toHaveCount(0);
});

/**
 * An approval reaches the API but its answer is lost (a dropped connection): the console asks
 * again under the same key, gets the first answer, and says nothing failed. (It said "Not done"
 * while the list, read again, showed the adjustment posted.)
 */
test('an approval whose answer was lost is asked again under its key: posted once, no failure shown', async ({
  page,
}) => {
  const tag = Math.random().toString(36).slice(2, 8);
  const maker = await signInApi(await createStaff('finance'));
  const made = await pendingAdjustment(maker, `lost-${tag}`);
  await signInPage(page, await createStaff('finance'), '/finance/adjustments');
  const keys: (string | null)[] = [];
  let releaseRetry!: () => void;
  const retryHeld = new Promise<void>((release) => (releaseRetry = release));
  await page.route(`**/v1/ledger/adjustments/${made.id}/approve`, async (route) => {
    keys.push(await route.request().headerValue('Idempotency-Key'));
    if (keys.length > 1) {
      await retryHeld; // until the page was seen saying it asks again
      return route.fallback();
    }
    await route.fetch(); // approved by the API…
    await route.abort('connectionreset'); // …and the answer never arrives
  });
  const queue = page.getByRole('region', { name: 'Table of adjustments' });
  await queue.getByRole('button', { name: `Approve ${made.reference}` }).click();
  // Said while it waits (the row only showed busy), in a live region there before it spoke.
  await expect(page.getByRole('status').filter({ hasText: 'No answer yet' })).toHaveCount(1);
  await expect(
    page.locator('p').filter({ hasText: 'No answer yet: sending it again…' }),
  ).toBeVisible();
  releaseRetry();
  await expect(queue.getByRole('row', { name: new RegExp(made.reference) })).toHaveCount(0);
  await expect(page.getByText('No answer yet: sending it again…')).toHaveCount(0);
  await expect.poll(() => keys.length).toBe(2);
  expect(keys[1]).toBe(keys[0]);
  await expect(page.getByRole('alert').filter({ hasText: made.reference })).toHaveCount(0);
  const { items } = await unwrap(
    maker.GET('/v1/ledger/adjustments', { params: { query: { status: 'posted', limit: 100 } } }),
  );
  expect(items.filter((a) => a.reference === made.reference)).toHaveLength(1);
});

/**
 * The approver's last row in view was withdrawn by its maker meanwhile: its approval is refused,
 * the list comes back empty, and the refusal still shows. (The alerts lived in the table, which
 * went with its last row, so the row's going read exactly as an approval done.)
 */
test('a refused approval of the last adjustment in view still says so once the list is empty', async ({
  page,
}) => {
  const tag = Math.random().toString(36).slice(2, 8);
  const maker = await signInApi(await createStaff('finance'));
  const made = await pendingAdjustment(maker, `last-row-${tag}`);
  await signInPage(page, await createStaff('finance'), '/finance/adjustments');
  const approve = page.getByRole('button', { name: `Approve ${made.reference}` });
  await expect(approve).toBeVisible();
  await unwrap(
    maker.POST('/v1/ledger/adjustments/{id}/cancel', { params: { path: { id: made.id } } }),
  );
  // The queue as this approver's next read finds it: empty (other tests' pending ones aside).
  await page.route('**/v1/ledger/adjustments?*', (route) =>
    route.fulfill({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ items: [], nextCursor: null }),
    }),
  );
  await approve.click();
  await expect(page.getByText('No adjustment.')).toBeVisible();
  const refused = page.getByRole('alert').filter({ hasText: `Not done (approve)` });
  await expect(refused).toBeVisible();
  await expect(refused).toContainText(made.reference);
});

/**
 * An agent earned yen: finance finds JPY among every currency the API takes (only eight common
 * ones were offered, so such agents could never be paid from the console) and drafts its run.
 */
/**
 * A cutoff the clocks skip or repeat is said under the field, not sent an hour off: the run's
 * "as of" would not be the moment typed.
 */
test('a payout cutoff the clocks repeat is refused before drafting', async ({ browser }) => {
  const context = await browser.newContext({ timezoneId: 'Europe/Berlin' });
  const page = await context.newPage();
  try {
    await signInPage(page, await createStaff('finance'), '/finance/runs');
    let posted = false;
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/v1/payout-runs') posted = true;
    });
    const cutoff = page.getByLabel('Cutoff');
    await cutoff.fill('2026-10-25T02:30');
    await page.getByRole('button', { name: 'Draft a run' }).click();
    await expect(cutoff).toHaveAccessibleDescription(
      /2026-10-25 02:30 happens twice in Europe\/Berlin \(GMT\+2, then GMT\+1\)/,
    );
    await cutoff.fill('2026-03-29T02:30');
    await page.getByRole('button', { name: 'Draft a run' }).click();
    await expect(cutoff).toHaveAccessibleDescription(/2026-03-29 02:30 does not exist/);
    expect(posted).toBe(false);
  } finally {
    await context.close();
  }
});

test('finance drafts a payout run in a currency beyond the common ones (JPY)', async ({ page }) => {
  const tag = Math.random().toString(36).slice(2, 7);
  const agent = await payableAgent(`Yui ${tag}`);
  const maker = await signInApi(await createStaff('finance'));
  await unwrap(
    maker.POST('/v1/ledger/adjustments', {
      body: {
        reference: `yen-${tag}`,
        agentId: agent.id,
        amountMinor: 1500,
        currency: 'JPY',
        reason: 'Tokyo desk cover',
      },
    }),
  );
  await signInPage(page, await createStaff('finance'), '/finance/runs');
  const currency = page.getByRole('combobox', { name: 'Currency' });
  await currency.click();
  await currency.fill('JP');
  await page.getByRole('option', { name: 'JPY' }).click();
  await page.getByRole('button', { name: 'Draft a run' }).click();
  await expect(page).toHaveURL(/\/finance\/runs\/[0-9a-f-]{36}$/);
  const lines = page.getByRole('region', { name: 'Payout lines' });
  await expect(
    lines.getByRole('row', { name: new RegExp(`Yui ${tag}.*¥1,500.*pending`) }),
  ).toBeVisible();
  // Leave no JPY run open for a retry of this test.
  await unwrap(
    maker.POST('/v1/payout-runs/{id}/cancel', {
      params: { path: { id: new URL(page.url()).pathname.split('/').pop()! } },
    }),
  );
});

/**
 * A run of 120 lines (seeded, as a completed run looks): the page reads the run without its
 * lines and the lines 50 at a time, largest first, then the rest on request; a status shows
 * only its lines. (A 50,000-line run was read whole every 1.5 s while it paid.)
 */
test('a large run shows its lines 50 at a time, largest first, and by status', async ({ page }) => {
  const tag = Math.random().toString(36).slice(2, 7);
  const finance = await createStaff('finance');
  const runId = randomUUID();
  await sql(
    `INSERT INTO payout_runs (id, currency, cutoff, created_by, stripe_mode, status, executed_at,
                              completed_at)
     SELECT $1, 'EUR', now(), id, 'fake', 'completed', now(), now() FROM users WHERE email = $2`,
    [runId, finance],
  );
  // Line i pays €10 + i (every fourth held below the minimum), for agent "Lina <tag> i".
  await sql(
    `WITH ids AS (SELECT gen_random_uuid() AS id, i FROM generate_series(1, 120) AS i),
          u AS (INSERT INTO users (id, email, password_hash, role)
                SELECT id, 'lina-' || $2 || '-' || i || '@example.test', 'x', 'agent' FROM ids),
          a AS (INSERT INTO agents (user_id, display_name)
                SELECT id, 'Lina ' || $2 || ' ' || i FROM ids)
     INSERT INTO payout_lines (run_id, agent_id, stripe_account_id, amount_minor, transfer_minor,
                               currency, status, held_reason, idempotency_key,
                               stripe_transfer_id, attempts, paid_at)
     SELECT $1, id, 'acct_' || md5(id::text), 1000 + i * 100,
            CASE WHEN i % 4 = 0 THEN NULL ELSE 1000 + i * 100 END, 'EUR',
            CASE WHEN i % 4 = 0 THEN 'held' ELSE 'paid' END,
            CASE WHEN i % 4 = 0 THEN 'below_minimum' END, 'payout-line-' || id,
            CASE WHEN i % 4 = 0 THEN NULL ELSE 'tr_' || md5(id::text) END,
            CASE WHEN i % 4 = 0 THEN 0 ELSE 1 END,
            CASE WHEN i % 4 = 0 THEN NULL ELSE now() END
       FROM ids`,
    [runId, tag],
  );
  const runReads: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === `/v1/payout-runs/${runId}`) runReads.push(r.url());
  });
  await signInPage(page, finance, `/finance/runs/${runId}`);
  const lines = page.getByRole('region', { name: 'Payout lines' });
  const rows = lines.getByRole('row');
  await expect(rows).toHaveCount(51); // the header and 50 lines
  await expect(rows.nth(1)).toContainText(`Lina ${tag} 120`);
  await expect(rows.nth(1)).toContainText('€130.00');
  await expect(rows.nth(50)).toContainText(`Lina ${tag} 71`);
  await page.getByRole('button', { name: 'Load more lines' }).click();
  await expect(rows).toHaveCount(101);
  await page.getByRole('button', { name: 'Load more lines' }).click();
  await expect(rows).toHaveCount(121);
  await expect(rows.nth(120)).toContainText(`Lina ${tag} 1`);
  await expect(page.getByRole('button', { name: 'Load more lines' })).toHaveCount(0);
  // By status: the 30 held ones, in one page.
  const status = page.getByRole('combobox', { name: 'Line status' });
  await status.click();
  await page.getByRole('option', { name: 'held' }).click();
  await expect(rows).toHaveCount(31);
  await expect(lines.getByRole('row', { name: /\bpaid\b/ })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Load more lines' })).toHaveCount(0);
  await expectAccessible(page, 'payout run lines');
  // The run itself was read without its lines.
  expect(runReads.length).toBeGreaterThan(0);
  expect(runReads.every((url) => new URL(url).searchParams.get('lines') === 'none')).toBe(true);
});

/**
 * A run left executing (seeded: executing for 11 minutes, its one line then paid): the page offers
 * to send its stuck lines again, which here completes it. (The page said "paying…" for good and
 * only curl could finish it, while it kept the next run of its currency from being drafted.)
 * While its line is being sent, and not for long, it offers nothing: judged by the run's age, the
 * button showed right after a retry, with every line just sent again.
 */
test('a run left executing is finished from its page by sending its stuck lines again', async ({
  page,
}) => {
  const { finance, runId } = await seededExecutingRun('ISK', 'stuck');
  await signInPage(page, finance, `/finance/runs/${runId}`);
  await expect(page.getByText(/0 of 1 line settled/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Send stuck lines again' })).toHaveCount(0);
  // Paid, and the run left executing (its job died before completing it).
  await sql(
    `UPDATE payout_lines SET status = 'paid', stripe_transfer_id = 'tr_' || md5(id::text),
            paid_at = now() WHERE run_id = $1`,
    [runId],
  );
  await page.getByRole('button', { name: 'Send stuck lines again' }).click();
  await expect(page.getByText('completed', { exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Send stuck lines again' })).toHaveCount(0);
  await expect(page.getByText('That did not work')).toHaveCount(0);
});

/**
 * A run seeded executing for 11 minutes (its own `currency`: one open run per currency), with
 * one line being sent for a minute, to a seeded agent named after `label`.
 */
async function seededExecutingRun(currency: string, label: string) {
  const tag = Math.random().toString(36).slice(2, 7);
  const finance = await createStaff('finance');
  const runId = randomUUID();
  await sql(
    `INSERT INTO payout_runs (id, currency, cutoff, created_by, stripe_mode, status, executed_at)
     SELECT $1, $3, now() - interval '12 minutes', id, 'fake', 'executing',
            now() - interval '11 minutes'
       FROM users WHERE email = $2`,
    [runId, finance, currency],
  );
  await sql(
    `WITH u AS (INSERT INTO users (id, email, password_hash, role)
                VALUES (gen_random_uuid(), lower($4) || '-' || $2 || '@example.test', 'x', 'agent')
                RETURNING id),
          a AS (INSERT INTO agents (user_id, display_name) SELECT id, $4 || ' ' || $2 FROM u)
     INSERT INTO payout_lines (run_id, agent_id, stripe_account_id, amount_minor, transfer_minor,
                               currency, status, idempotency_key, attempts, updated_at)
     SELECT $1, id, 'acct_' || md5(id::text), 5000, 5000, $3, 'processing',
            'payout-line-' || id, 1, now() - interval '1 minute'
       FROM u`,
    [runId, tag, currency, label],
  );
  return { finance, runId };
}

/**
 * A run paying, read every 1.5 s, its totals changing at each read, on a link where its lines
 * take longer than that to come: each change waits for the lines' read under way, then reads
 * them again. Each cancelled the read under way, and the lines never came again.
 */
test('the lines of a paying run follow it on a link slower than its re-reads', async ({ page }) => {
  const { finance, runId } = await seededExecutingRun('HUF', 'Slowlink');
  let runReads = 0;
  await page.route(
    (url: URL) => url.pathname === `/v1/payout-runs/${runId}`,
    async (route) => {
      const answer = await route.fetch();
      const run = await answer.json();
      runReads += 1; // a line settles at each read, as far as the page can tell
      run.totals.inFlightLines = 1;
      run.totals.paidMinor = runReads;
      await route.fulfill({ response: answer, json: run });
    },
  );
  let linesRead = 0;
  await page.route(
    (url: URL) => url.pathname === `/v1/payout-runs/${runId}/lines`,
    async (route) => {
      const answer = await route.fetch();
      const page1 = await answer.json();
      linesRead += 1;
      const n = linesRead;
      if (n > 1) await new Promise((done) => setTimeout(done, 2_500)); // the slow link
      for (const line of page1.items) line.agentDisplayName = `Read ${n}`;
      await route.fulfill({ response: answer, json: page1 }).catch(() => undefined);
    },
  );
  await signInPage(page, finance, `/finance/runs/${runId}`);
  const lines = page.getByRole('region', { name: 'Payout lines', exact: true });
  await expect(lines.getByText('Read 1')).toBeVisible();
  await expect(lines.getByText(/^Read ([2-9]|\d\d+)$/)).toBeVisible({ timeout: 15_000 });
  // The page keeps polling: the stubs' reads under way as the test ends are let go quietly
  // (one answered after its page closed failed the test).
  await page.unrouteAll({ behavior: 'ignoreErrors' });
});

/**
 * A write-off refused because the invoice was paid meanwhile (answered here as the API would):
 * the re-read takes the invoice out of the "Past due" list, and the dialog, which lives in its
 * row, went with it, the reason typed and the refusal too. It stays now, saying why, and the
 * list is read again once it is closed.
 */
test('a refused write-off keeps its dialog and says why, though its invoice leaves the list', async ({
  page,
}) => {
  const invoice = {
    id: randomUUID(),
    companyId: randomUUID(),
    companyName: 'Paid Meanwhile Ltd',
    currency: 'EUR',
    billingPeriod: 'weekly',
    status: 'past_due',
    bookedMinor: 576,
    carriedInMinor: 0,
    totalMinor: 576,
    carriedOutMinor: 0,
    attemptCount: 2,
    refundedMinor: 0,
    disputedMinor: null,
    creditedMinor: 0,
    rebilledMinor: 0,
    disputeId: null,
    disputeStatus: null,
    rebilledAt: null,
    holdWaivedAt: null,
    holdWaivedReason: null,
    periodStartsAt: '2026-11-23T00:00:00.000Z',
    periodEndsAt: '2026-11-30T00:00:00.000Z',
    timeZone: 'UTC',
    number: 'HND-0042',
    hostedInvoiceUrl: null,
    nextPaymentAttemptAt: null,
    lastPaymentError: 'Your card was declined.',
    paidAt: null,
    lines: [],
  };
  let paid = false;
  await page.route('**/v1/invoices?*', (route) =>
    route.request().method() === 'GET'
      ? route.fulfill({ json: { items: paid ? [] : [invoice], nextCursor: null } })
      : route.fallback(),
  );
  await page.route(`**/v1/invoices/${invoice.id}/write-off`, (route) => {
    paid = true;
    return route.fulfill({
      status: 409,
      json: {
        error: {
          code: 'INVOICE_STATE',
          message: 'The invoice is paid: there is nothing to write off',
          requestId: 'req-test',
        },
      },
    });
  });
  await signInPage(page, await createStaff('finance'), '/finance/receivables');
  await page
    .locator('label')
    .filter({ hasText: /^Past due$/ })
    .click();
  const all = page.getByRole('region', { name: "Table of every company's invoices" });
  await all.getByRole('button', { name: /^Write off invoice of Paid Meanwhile Ltd/ }).click();
  const dialog = page.getByRole('dialog', { name: /^Write off the invoice of Paid Meanwhile Ltd/ });
  await dialog.getByRole('textbox', { name: 'Reason' }).fill('Company dissolved');
  await dialog.getByRole('button', { name: 'Write off' }).click();
  await expect(
    dialog.getByText('The invoice is paid: there is nothing to write off'),
  ).toBeVisible();
  await expect(dialog.getByRole('textbox', { name: 'Reason' })).toHaveValue('Company dissolved');
  // Closed: the list is read again, without the invoice paid meanwhile.
  await dialog.getByRole('button', { name: 'Keep collecting' }).click();
  await expect(dialog).toBeHidden();
  await expect(all.getByText('Paid Meanwhile Ltd')).toHaveCount(0);
});

/**
 * The integrity check names each kind of finding; here an earning never released and a
 * company's receivables no invoice billed, beside a list cut at 500 (mocked): only the full list
 * says "500+".
 */
test('the integrity check says when earnings were never released, and which list was cut', async ({
  page,
}) => {
  const resolvedAt = new Date(Date.now() - 7_200_000).toISOString();
  await page.route('**/v1/ledger/integrity', (r) =>
    r.fulfill({
      json: {
        ok: false,
        checkedAt: new Date().toISOString(),
        reopenedClaimsNotReversed: [],
        resolvedClaimsNotBooked: Array.from({ length: 500 }, () => ({
          claimId: randomUUID(),
          ticketId: randomUUID(),
          agentId: randomUUID(),
          companyId: randomUUID(),
          amountMinor: 288,
          currency: 'EUR',
          resolvedAt,
        })),
        earningsNotReleased: [
          {
            claimId: randomUUID(),
            ticketId: randomUUID(),
            agentId: randomUUID(),
            amountMinor: 500,
            currency: 'EUR',
            dueAt: new Date(Date.now() - 3_600_000).toISOString(),
          },
        ],
        receivablesNotInvoiced: [
          {
            companyId: '9c4e1a7b-2d3f-4e5a-8b6c-7d8e9f0a1b2c',
            companyName: 'Stuck GmbH',
            currency: 'EUR',
            entries: 3,
            amountMinor: 864,
            oldestAt: new Date(Date.now() - 45 * 86_400_000).toISOString(),
          },
        ],
        pendingBalancesNotMatchingEarnings: [
          {
            agentId: '3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b',
            currency: 'EUR',
            ledgerPendingMinor: 1000,
            earningsPendingMinor: 500,
          },
        ],
        truncated: true,
        unbalancedCurrencies: [],
      },
    }),
  );
  await signInPage(page, await createStaff('finance'), '/finance/ledger');
  await page.getByRole('button', { name: 'Check the ledger' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'The ledger needs attention' });
  await expect(alert).toContainText(
    '1 earning is still pending after the reopen window ended, and cannot be paid out.',
  );
  await expect(alert).toContainText('500+ resolved tickets were never booked');
  // A company whose billing keeps failing: what is left unbilled, and since when.
  await expect(alert).toContainText(
    /Stuck GmbH \(9c4e1a7b\) has 3 billable entries \(€8\.64\) no invoice billed, the oldest booked .*: its billing keeps failing\./,
  );
  // An agent whose pending balance and pending earnings disagree: both sums, and where to look.
  await expect(alert).toContainText(
    "Agent 3f2b8c1e's pending balance is €10.00 in the ledger, but its pending earnings sum to €5.00.",
  );
  await expectFitsPhone(page, 'ledger needing attention', alert.getByText(/Stuck GmbH/));
});

/**
 * One's own pending adjustment is withdrawn, not approved: its maker sees only Withdraw on it,
 * and once withdrawn it leaves the approval queue for the withdrawn ones, where nobody can act
 * on it any more.
 */
test('a finance user withdraws their own pending adjustment', async ({ page }) => {
  const tag = Math.random().toString(36).slice(2, 8);
  const email = await createStaff('finance');
  const maker = await signInApi(email);
  const made = await pendingAdjustment(maker, `withdrawn-${tag}`, 'Bonus sent by mistake');
  expect(made.status).toBe('pending');
  await signInPage(page, email, '/finance/adjustments');
  const queue = page.getByRole('region', { name: 'Table of adjustments' });
  const row = queue.getByRole('row', { name: new RegExp(made.reference) });
  await expect(row.getByRole('button', { name: `Approve ${made.reference}` })).toHaveCount(0);
  // By keyboard: the row leaves the pending list, and focus stays where it was (the table, or
  // its section once the table is gone) instead of falling back to the page or its top. On a
  // slow network: the answer comes 6 s after the press, past a window counted from the press.
  await page.route(`**/v1/ledger/adjustments/${made.id}/cancel`, async (route) => {
    await new Promise((done) => setTimeout(done, 6_000));
    await route.continue();
  });
  await row.getByRole('button', { name: `Withdraw ${made.reference}` }).focus();
  await page.keyboard.press('Enter');
  await expect(row).toHaveCount(0);
  await expect
    .poll(() =>
      // A string: the suite's TypeScript has no DOM types.
      page.evaluate<boolean>(
        `(() => { const at = document.activeElement;
                  return at !== null && at.closest('section, [role="region"]') !== null; })()`,
      ),
    )
    .toBe(true);
  await page.getByRole('combobox', { name: 'Status' }).click();
  await page.getByRole('option', { name: 'Withdrawn' }).click();
  const withdrawn = queue.getByRole('row', { name: new RegExp(made.reference) });
  await expect(withdrawn).toContainText('Withdrawn');
  await expect(withdrawn.getByRole('button')).toHaveCount(0);
});

test('a pending adjustment past its expiry shows as expired, with nothing to decide', async ({
  page,
}) => {
  const tag = Math.random().toString(36).slice(2, 8);
  const maker = await signInApi(await createStaff('finance'));
  const made = await pendingAdjustment(maker, `lapsed-${tag}`);
  // Lapsed a minute ago; its expiry job (due in seven days) has not run to say so.
  await sql(
    `UPDATE ledger_adjustments SET expires_at = now() - interval '1 minute' WHERE id = $1`,
    [made.id],
  );
  await signInPage(page, await createStaff('finance'), '/finance/adjustments');
  const table = page.getByRole('region', { name: 'Table of adjustments' });
  const row = table.getByRole('row', { name: new RegExp(made.reference) });
  // Not waiting for approval any more (it stayed there until its job ran): among the expired.
  await expect(page.getByRole('combobox', { name: 'Status' })).toHaveValue('Waiting for approval');
  await expect(table.or(page.getByText(/^No adjustment/))).toBeVisible();
  await expect(row).toHaveCount(0);
  await page.getByRole('combobox', { name: 'Status' }).click();
  await page.getByRole('option', { name: 'Expired' }).click();
  await expect(row).toContainText('Expired');
  await expect(row.getByRole('button')).toHaveCount(0);
});

/** 150 € to a new agent, made by `maker`: over the threshold, so it waits for approval. */
async function pendingAdjustment(maker: HandoffClient, reference: string, reason = 'Missed pay') {
  const reg = await unwrap(
    client().POST('/v1/auth/register', {
      body: { email: uniqueEmail('agent'), password: PASSWORD, role: 'agent' },
    }),
  );
  return unwrap(
    maker.POST('/v1/ledger/adjustments', {
      body: { reference, agentId: reg.user.id, amountMinor: 15000, currency: 'EUR', reason },
    }),
  );
}

/**
 * A run's page says what its buttons will do to money: a retry sends only the failed lines it
 * can (one Stripe's answer sends again by itself at its time is left: "Retry 2 failed lines"
 * sent one, or none and nothing said), and an Execute beyond the platform's Stripe balance says
 * that the lines it cannot cover are held (it promised the whole total).
 */
test('a run says what a retry sends and what the platform balance can pay', async ({ page }) => {
  const tag = Math.random().toString(36).slice(2, 7);
  const finance = await createStaff('finance');
  const runId = randomUUID();
  // Its own currency: one open run per currency, and other tests draft EUR, JPY and ISK.
  await sql(
    `INSERT INTO payout_runs (id, currency, cutoff, created_by, stripe_mode, status, executed_at,
                              completed_at)
     SELECT $1, 'CZK', now() - interval '2 hours', id, 'fake', 'completed_with_failures',
            now() - interval '1 hour', now() - interval '50 minutes'
       FROM users WHERE email = $2`,
    [runId, finance],
  );
  // Two failed lines: one whose retries ran out, one Stripe's answer sends again in an hour.
  await sql(
    `WITH u AS (INSERT INTO users (id, email, password_hash, role)
                SELECT gen_random_uuid(), 'failed-' || n || '-' || $2 || '@example.test', 'x', 'agent'
                  FROM generate_series(1, 2) n RETURNING id, email),
          a AS (INSERT INTO agents (user_id, display_name)
                SELECT id, 'Failed ' || email FROM u RETURNING user_id)
     INSERT INTO payout_lines (run_id, agent_id, stripe_account_id, amount_minor, transfer_minor,
                               currency, status, idempotency_key, attempts, failure_code,
                               failure_message, resend_at)
     SELECT $1, u.id, 'acct_' || md5(u.id::text), 5000, 5000, 'CZK', 'failed',
            'payout-line-' || u.id, 3, 'api_error', 'Stripe answered 500',
            CASE WHEN u.email LIKE 'failed-2-%' THEN now() + interval '1 hour' END
       FROM u`,
    [runId, tag],
  );
  await signInPage(page, finance, `/finance/runs/${runId}`);
  await expect(page.getByRole('button', { name: 'Retry 1 failed line' })).toBeVisible();
  await expect(
    page.getByText(/^1 failed line is sent again by itself when Stripe allows/),
  ).toBeVisible();
  await expectAccessible(page, 'a run with a failed line waiting for its resend');

  // An approved run whose total is beyond the platform's balance (as the API would say it).
  const approved = randomUUID();
  const checker = await createStaff('finance');
  await sql(
    `INSERT INTO payout_runs (id, currency, cutoff, created_by, approved_by, stripe_mode, status,
                              approved_at)
     SELECT $1, 'DKK', now() - interval '1 hour', u.id, v.id, 'fake', 'approved', now()
       FROM users u, users v
      WHERE u.email = $2 AND v.email = $3`,
    [approved, checker, finance],
  );
  await sql(
    `WITH u AS (INSERT INTO users (id, email, password_hash, role)
                VALUES (gen_random_uuid(), 'payable-' || $2 || '@example.test', 'x', 'agent')
                RETURNING id),
          a AS (INSERT INTO agents (user_id, display_name) SELECT id, 'Payable ' || $2 FROM u)
     INSERT INTO payout_lines (run_id, agent_id, stripe_account_id, amount_minor, currency,
                               status, idempotency_key)
     SELECT $1, id, 'acct_' || md5(id::text), 500000, 'DKK', 'pending', 'payout-line-' || id
       FROM u`,
    [approved, tag],
  );
  const runRead = (url: URL) => url.pathname === `/v1/payout-runs/${approved}`;
  await page.route(runRead, async (route) => {
    const answer = await route.fetch();
    const run = await answer.json();
    await route.fulfill({ response: answer, json: { ...run, platformBalanceMinor: 200000 } });
  });
  await page.goto(`/finance/runs/${approved}`);
  await expect(page.getByText(/Stripe balance available DKK\s2,000\.00/)).toBeVisible();
  await page.getByRole('button', { name: /^Execute: pay 1 line/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Pay this run now?' });
  await expect(dialog).toContainText(
    'the lines it cannot cover are held (insufficient platform balance), and only the others are paid',
  );
  await dialog.getByRole('button', { name: 'Not yet' }).click();
  // Not left open: one open run per currency.
  await sql(`UPDATE payout_runs SET status = 'cancelled', cancelled_at = now() WHERE id = $1`, [
    approved,
  ]);
});

/**
 * An adjustment that reaches the API while every answer is lost (the connection drops each
 * time): the console may not say "No adjustment made" (finance would make it again), but that
 * it may have been done; and the page is read again, where it shows.
 */
test('an adjustment whose every answer was lost says it may have been made, and shows it', async ({
  page,
}) => {
  const tag = Math.random().toString(36).slice(2, 8);
  await payableAgent(`Lou ${tag}`);
  await signInPage(page, await createStaff('finance'), '/finance/adjustments');
  let sent = 0;
  await page.route('**/v1/ledger/adjustments', async (route) => {
    if (route.request().method() !== 'POST') return route.fallback();
    sent += 1;
    await route.fetch(); // made by the API (the retries are answered with the first)…
    await route.abort('connectionreset'); // …and no answer arrives
  });
  const picker = page.getByRole('combobox', { name: 'Agent', exact: true });
  await picker.click();
  await picker.fill(`Lou ${tag}`);
  // Choosing writes the option's label into the box: no search goes out for it.
  const option = page.getByRole('option', { name: new RegExp(`Lou ${tag}`) });
  await expect(option).toBeVisible(); // the typed search answered
  const searches: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/v1/agents?')) searches.push(r.url());
  });
  await option.click();
  await page.waitForTimeout(1_000); // past the search's 250 ms debounce
  expect(searches).toEqual([]);
  await page.getByRole('textbox', { name: 'Amount' }).fill('150');
  await page.getByRole('textbox', { name: 'Reason' }).fill('Missed pay for the 3 May shift');
  await page.getByRole('button', { name: 'Make the adjustment' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Not confirmed: it may have been done' });
  await expect(alert).toBeVisible({ timeout: 15_000 });
  expect(sent).toBe(3);
  await expect(page.getByText('No adjustment made')).toHaveCount(0);
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  const queue = page.getByRole('region', { name: 'Table of adjustments' });
  await expect(queue.getByRole('row', { name: new RegExp(`Lou ${tag}`) })).toHaveCount(1);
});

/** A status filter that matches no run says so: "No run yet" read as if none was ever drafted. */
test('the runs filtered to a status none has say so, not that there is no run', async ({
  page,
}) => {
  await page.route('**/v1/payout-runs?*', (route) =>
    new URL(route.request().url()).searchParams.has('status')
      ? route.fulfill({ json: { items: [], nextCursor: null } })
      : route.fallback(),
  );
  await signInPage(page, await createStaff('finance'), '/finance/runs');
  await page.getByRole('combobox', { name: 'Status' }).click();
  await page.getByRole('option', { name: 'Cancelled' }).click();
  await expect(page.getByText('No run with this status.')).toBeVisible();
  await expect(page.getByText('No run yet.')).toHaveCount(0);
  await page.unrouteAll({ behavior: 'ignoreErrors' });
});
