import type { Job } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { FakeStripe } from '../src/modules/stripe/fake-stripe.server';
import { PayoutLineBooking } from '../src/modules/payouts/payout-line-booking.service';
import { MAX_LINE_RESENDS, PayoutLineHandler } from '../src/modules/payouts/payout-line.handler';
import { PayoutRunEvents } from '../src/modules/payouts/payout-run-events';
import { StripeEventHandler } from '../src/modules/payouts/stripe-event.handler';
import { StripeEventsService } from '../src/modules/payouts/stripe-events.service';
import type Stripe from 'stripe';
import { postStripeEvent } from './support/billing';
import { createStaff, registerAgent, SignedIn } from './support/factories';
import { fund, onboarded } from './support/money';
import { waitForLockWaiters, withRowsHeld } from './support/row-locks';
import { waitFor } from './support/wait-for';
import { ensureKilled, runBuilt, Spawned } from './support/processes';
import { TEST_REDIS_URL } from './support/services';
import { createTestApp, TestApp, TEST_JWT_SECRET, TEST_SECRETS_KEY } from './support/test-app';

const LINES = 60;

// The worker runs as its own process (the built entry point), so it can be SIGKILLed.
describe('payout run survives a worker killed mid-run', () => {
  const fake = new FakeStripe();
  let t: TestApp;
  let stripeEnv: Record<string, string>;
  const workers: Spawned[] = [];
  beforeAll(async () => {
    const port = await fake.start();
    stripeEnv = {
      STRIPE_SECRET_KEY: 'sk_test_fake',
      STRIPE_WEBHOOK_SECRET: 'whsec_platform',
      STRIPE_CONNECT_WEBHOOK_SECRET: 'whsec_connect',
      STRIPE_API_BASE: `http://127.0.0.1:${port}`,
    };
    t = await createTestApp({ env: stripeEnv });
  });
  afterAll(async () => {
    ensureKilled(...workers);
    await t.close();
    await fake.stop();
  });

  const worker = () => {
    const w = runBuilt('worker.js', {
      ...stripeEnv,
      DATABASE_URL: t.env.DATABASE_URL!,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: t.env.QUEUE_PREFIX,
      JWT_SECRET: TEST_JWT_SECRET,
      STRIPE_RATE_PER_SECOND: '10',
      JOB_LOCK_MS: '2000',
      OUTBOX_POLL_MS: '100',
      LOG_LEVEL: 'info',
    });
    workers.push(w);
    return w;
  };
  const paidLines = async (runId: string) =>
    (
      await t.db.query(
        `SELECT count(*)::int AS n FROM payout_lines WHERE run_id = $1 AND status = 'paid'`,
        [runId],
      )
    )[0].n as number;

  /**
   * A drafted run of one line (an onboarded agent with `amountMinor` available); `execute`
   * approves and executes it, and no worker runs here, so its line stays pending.
   */
  const oneLineRun = async (currency: string, amountMinor: number) => {
    const agent = await registerAgent(t);
    const account = await onboarded(t, fake, agent.id);
    await fund(t, agent.id, amountMinor, currency);
    const maker: SignedIn = await createStaff(t, 'finance');
    const checker: SignedIn = await createStaff(t, 'finance');
    const draft = await t.http.post('/v1/payout-runs').set(maker.auth).send({ currency });
    expect(draft.status).toBe(201);
    const runId: string = draft.body.id;
    const execute = async () => {
      await t.http.post(`/v1/payout-runs/${runId}/approve`).set(checker.auth).expect(200);
      await t.http.post(`/v1/payout-runs/${runId}/execute`).set(maker.auth).expect(202);
    };
    return { agent, account, runId, lineId: draft.body.lines[0].id as string, execute, maker };
  };

  /** A transfer Stripe holds for the line, as the line's job makes one (made by an earlier key). */
  const transferAtStripe = (
    line: { agent: SignedIn; account: string; runId: string; lineId: string },
    amount: number,
    currency: string,
  ) =>
    fake.client().transfers.create({
      amount,
      currency,
      destination: line.account,
      transfer_group: `run_${line.runId}`,
      metadata: { payoutLineId: line.lineId, runId: line.runId, agentId: line.agent.id },
    });

  it('sends again a line still pending when its job gave up; nothing else', async () => {
    const { runId, lineId, execute } = await oneLineRun('DKK', 2500);
    const handler = t.app.get(PayoutLineHandler);
    const jobsOfLine = async () =>
      (
        await t.db.query(
          `SELECT count(*)::int AS n FROM outbox
            WHERE job_name = 'payout.line' AND payload ->> 'lineId' = $1`,
          [lineId],
        )
      )[0].n as number;
    // Not executed yet: nothing to send.
    await expect(handler.gaveUp({ lineId })).resolves.toBe(false);
    await execute();
    expect(await jobsOfLine()).toBe(1);
    // No worker runs here: the line is pending, as when its job failed for good in phase 1.
    await expect(handler.gaveUp({ lineId })).resolves.toBe(true);
    expect(await jobsOfLine()).toBe(2);
    // Counted: a line whose jobs fail for good every time (one that kills its worker) was sent
    // again for ever; after MAX_LINE_RESENDS it fails (nothing was sent), so its run completes
    // with failures and finance's retry sends it again, under the same key.
    const [{ payload }] = await t.db.query(
      `SELECT payload FROM outbox WHERE job_name = 'payout.line' AND payload ->> 'lineId' = $1
        ORDER BY id DESC LIMIT 1`,
      [lineId],
    );
    expect(payload).toEqual({ lineId, resend: 1 });
    await expect(handler.gaveUp({ lineId, resend: MAX_LINE_RESENDS - 1 })).resolves.toBe(true);
    expect(await jobsOfLine()).toBe(3);
    const [{ idempotency_key: key }] = await t.db.query(
      'SELECT idempotency_key FROM payout_lines WHERE id = $1',
      [lineId],
    );
    await expect(handler.gaveUp({ lineId, resend: MAX_LINE_RESENDS })).resolves.toBe(true);
    expect(await jobsOfLine()).toBe(3);
    const lineNow = async () =>
      (
        await t.db.query(
          `SELECT l.status, l.failure_code, l.failure_permanent, l.idempotency_key, r.status AS run
             FROM payout_lines l JOIN payout_runs r ON r.id = l.run_id WHERE l.id = $1`,
          [lineId],
        )
      )[0];
    expect(await lineNow()).toMatchObject({
      status: 'failed',
      failure_code: 'job_failed',
      failure_permanent: false,
      run: 'completed_with_failures',
    });
    const finance: SignedIn = await createStaff(t, 'finance');
    await t.http.post(`/v1/payout-runs/${runId}/retry-failed`).set(finance.auth).expect(202);
    expect(await lineNow()).toMatchObject({ status: 'pending', idempotency_key: key });
    expect(await jobsOfLine()).toBe(4);
    await t.db.query(`UPDATE payout_lines SET status = 'pending' WHERE id = $1`, [lineId]);
    // Once sent (processing, paid, failed), the hook leaves it to finance's retry.
    await t.db.query(
      `UPDATE payout_lines SET status = 'processing', transfer_minor = amount_minor WHERE id = $1`,
      [lineId],
    );
    await expect(handler.gaveUp({ lineId })).resolves.toBe(false);
    expect(await jobsOfLine()).toBe(4);
  });

  // The line's job committed the line's end, then failed for good before its run check ran
  // (that check threw on the last attempt, or the worker died there). Nothing else completed the
  // run, and an executing run keeps the next run in its currency from being drafted.
  it('completes a run its last line’s job left executing: by the sweep’s gaveUp, or finance’s retry with nothing to send', async () => {
    const handler = t.app.get(PayoutLineHandler);
    const finance: SignedIn = await createStaff(t, 'finance');
    const runStatus = async (runId: string) =>
      (await t.db.query(`SELECT status FROM payout_runs WHERE id = $1`, [runId]))[0]
        .status as string;
    const failed = await oneLineRun('HKD', 2700);
    await failed.execute();
    await t.db.query(
      `UPDATE payout_lines SET status = 'processing', transfer_minor = amount_minor WHERE run_id = $1`,
      [failed.runId],
    );
    await t.db.query(
      `UPDATE payout_lines SET status = 'failed', failure_code = 'api_error',
              failure_message = 'Stripe answered 500' WHERE run_id = $1`,
      [failed.runId],
    );
    expect(await runStatus(failed.runId)).toBe('executing');
    await expect(handler.gaveUp({ lineId: failed.lineId })).resolves.toBe(true);
    expect(await runStatus(failed.runId)).toBe('completed_with_failures');
    // Called again, it does nothing more.
    await expect(handler.gaveUp({ lineId: failed.lineId })).resolves.toBe(false);

    // A line held, with nothing for finance to send again: its retry completes the run.
    const held = await oneLineRun('SGD', 2800);
    await held.execute();
    await t.db.query(
      `UPDATE payout_lines SET status = 'held', held_reason = 'insufficient_platform_balance'
        WHERE id = $1`,
      [held.lineId],
    );
    expect(await runStatus(held.runId)).toBe('executing');
    const retried = await t.http
      .post(`/v1/payout-runs/${held.runId}/retry-failed`)
      .set(finance.auth)
      .expect(202);
    expect(retried.body.status).toBe('completed');
    // The next run in that currency can be drafted.
    await t.http.post('/v1/payout-runs').set(finance.auth).send({ currency: 'SGD' }).expect(201);
  });

  // Finance's retry reset the line to pending (its new job queued) between the old job's
  // failure and the sweep's next pass: the old job's gaveUp took the line for one it never sent,
  // and on its last resend failed it again (job_failed), undoing the retry.
  it('leaves a line reset to pending after its job failed for good to the new job', async () => {
    const { lineId, execute } = await oneLineRun('MXN', 2900);
    await execute();
    const handler = t.app.get(PayoutLineHandler);
    const failedFor = (at: number) => ({ finishedOn: at }) as Job<{ lineId: string }>;
    const lineNow = async () =>
      (
        await t.db.query(
          `SELECT status, failure_code,
                  (SELECT count(*)::int FROM outbox
                    WHERE job_name = 'payout.line' AND payload ->> 'lineId' = $1::text) AS jobs
             FROM payout_lines WHERE id = $1::uuid`,
          [lineId],
        )
      )[0];
    const failedAt = Date.now() - 5_000;
    await t.db.query(`UPDATE payout_lines SET updated_at = now() WHERE id = $1`, [lineId]);
    await expect(
      handler.gaveUp({ lineId, resend: MAX_LINE_RESENDS }, failedFor(failedAt)),
    ).resolves.toBe(false);
    expect(await lineNow()).toEqual({ status: 'pending', failure_code: null, jobs: 1 });
    // A job that failed after the line's last change is settled as before.
    await expect(
      handler.gaveUp({ lineId, resend: MAX_LINE_RESENDS }, failedFor(Date.now() + 5_000)),
    ).resolves.toBe(true);
    expect(await lineNow()).toEqual({ status: 'failed', failure_code: 'job_failed', jobs: 1 });
  });

  it('counts a line sent over 10 minutes ago and unanswered as stuck; the retry that sends it again clears it', async () => {
    const { runId, maker, execute } = await oneLineRun('NZD', 2400);
    await execute();
    const totals = async () =>
      (await t.http.get(`/v1/payout-runs/${runId}?lines=none`).set(maker.auth).expect(200)).body
        .totals;
    // Sent 9 minutes ago, no answer yet (no worker here: set as its job leaves it).
    await t.db.query(
      `UPDATE payout_lines SET status = 'processing', transfer_minor = amount_minor,
              updated_at = now() - interval '9 minutes' WHERE run_id = $1`,
      [runId],
    );
    expect(await totals()).toMatchObject({ inFlightLines: 1, stuckLines: 0 });
    await t.db.query(
      `UPDATE payout_lines SET updated_at = now() - interval '11 minutes' WHERE run_id = $1`,
      [runId],
    );
    expect(await totals()).toMatchObject({ inFlightLines: 1, stuckLines: 1 });
    await t.http.post(`/v1/payout-runs/${runId}/retry-failed`).set(maker.auth).expect(202);
    expect(await totals()).toMatchObject({ inFlightLines: 1, stuckLines: 0 });
  });

  it('does not complete a run whose failed line finance is sending again at that moment', async () => {
    const { runId, execute } = await oneLineRun('NOK', 2600);
    await execute();
    // Its one line failed on retryable errors (no worker here: set as the handler leaves it).
    await t.db.query(
      `UPDATE payout_lines SET status = 'processing', transfer_minor = amount_minor WHERE run_id = $1`,
      [runId],
    );
    await t.db.query(
      `UPDATE payout_lines SET status = 'failed', failure_code = 'api_error',
              failure_message = 'Stripe answered 500' WHERE run_id = $1`,
      [runId],
    );
    // Finance's retry holds the run and sends the line again, while the line's job, done,
    // checks whether the run is complete.
    const status = await withRowsHeld(
      t,
      'SELECT 1 FROM payout_runs WHERE id = $1 FOR UPDATE',
      [runId],
      async (held) => {
        await held.query(`UPDATE payout_lines SET status = 'pending' WHERE run_id = $1`, [runId]);
        const check = t.db.transaction((em) =>
          t.app.get(PayoutRunEvents).completeIfDone(em, runId),
        );
        await waitForLockWaiters(t, 1, 'the completion check to wait for the run');
        await held.commitTransaction();
        await check;
        return (await t.db.query(`SELECT status FROM payout_runs WHERE id = $1`, [runId]))[0]
          .status as string;
      },
    );
    expect(status).toBe('executing');
  });

  it('books what the line’s transfer found at Stripe moved, when it is not the line’s amount, and the line says so everywhere', async () => {
    const { agent, account, runId, lineId, execute, maker } = await oneLineRun('SEK', 2500);
    await execute();
    // A transfer an earlier key made for the line, for another amount; this attempt finds it.
    await transferAtStripe({ agent, account, runId, lineId }, 2000, 'sek');
    await t.db.query(`UPDATE payout_lines SET attempts = 1 WHERE id = $1`, [lineId]);
    const job = { attemptsMade: 1, opts: { attempts: 12 } } as unknown as Job;
    await expect(t.app.get(PayoutLineHandler).handle({ lineId }, job)).resolves.toEqual({
      status: 'paid',
    });
    const [{ booked }] = await t.db.query(
      `SELECT sum(l.amount_minor)::int AS booked FROM journal_lines l
         JOIN journal_entries e ON e.id = l.entry_id JOIN ledger_accounts a ON a.id = l.account_id
        WHERE e.kind = 'payout' AND a.code = 'agent_available' AND e.payout_line_id = $1`,
      [lineId],
    );
    expect(booked).toBe(2000);
    // The run, the agent's payouts, the CSV and reconciliation say what was paid, as the ledger
    // and Stripe do (they said 2500: what the line was last sent for).
    const run = await t.http.get(`/v1/payout-runs/${runId}`).set(maker.auth).expect(200);
    expect(run.body.totals).toMatchObject({ paidLines: 1, paidMinor: 2000 });
    expect(run.body.lines[0]).toMatchObject({ status: 'paid', transferMinor: 2000 });
    const history = await t.http.get('/v1/agents/me/payouts').set(agent.auth).expect(200);
    expect(history.body.items.map((i: { amountMinor: number }) => i.amountMinor)).toEqual([2000]);
    const rec = await t.http
      .get(`/v1/payout-runs/${runId}/reconciliation`)
      .set(maker.auth)
      .expect(200);
    expect(rec.body.counts).toMatchObject({ matched: 1, amount_mismatch: 0 });
  });

  it('looks for the transfer before a first send nearly a day after its draft: a restore took back a line paid in the lost window', async () => {
    const { agent, account, runId, lineId, execute } = await oneLineRun('PLN', 2500);
    await execute();
    // Paid in the window a database restore lost, under a key Stripe may have forgotten since
    // (it keeps them 24 h at least): the restored line is pending, never attempted, drafted 23 h
    // ago and more (its run approved again after the restore, or executing since).
    await transferAtStripe({ agent, account, runId, lineId }, 2500, 'pln');
    await t.db.query(
      `UPDATE payout_lines SET created_at = now() - interval '23 hours 1 minute' WHERE id = $1`,
      [lineId],
    );
    const job = { attemptsMade: 0, opts: { attempts: 12 } } as unknown as Job;
    await expect(t.app.get(PayoutLineHandler).handle({ lineId }, job)).resolves.toEqual({
      status: 'paid',
    });
    // One transfer for the line: found and booked, not made again (and so not paid twice).
    const transfers = [...fake.transfers.values()].filter(
      (tr) => (tr.metadata as Record<string, string>).payoutLineId === lineId,
    );
    expect(transfers).toHaveLength(1);
    const [line] = await t.db.query(
      'SELECT status, stripe_transfer_id FROM payout_lines WHERE id = $1',
      [lineId],
    );
    expect(line).toEqual({ status: 'paid', stripe_transfer_id: transfers[0].id });
  });

  it('books by hand a transfer made in the window a restore lost, for a line held before it could be sent again', async () => {
    const { agent, account, runId, lineId, execute } = await oneLineRun('AUD', 3000);
    await execute();
    await transferAtStripe({ agent, account, runId, lineId }, 3000, 'aud');
    // Executed again after the restore, the line was held before any send or lookup: the
    // platform's balance at Stripe was short by that very transfer (or the agent's payouts
    // were disabled since). Held, it is never sent, and the next run would pay it again.
    await t.db.query(
      `UPDATE payout_lines SET status = 'held', held_reason = 'insufficient_platform_balance'
        WHERE id = $1`,
      [lineId],
    );
    const available = async () =>
      (
        await t.db.query(
          `SELECT coalesce(sum(l.amount_minor), 0)::int AS n FROM journal_lines l
             JOIN ledger_accounts a ON a.id = l.account_id
            WHERE a.code = 'agent_available' AND a.owner_id = $1 AND a.currency = 'AUD'`,
          [agent.id],
        )
      )[0].n as number;
    expect(await available()).toBe(-3000); // still to be paid, as the ledger sees it
    // The runbook's command, through the built CLI.
    const cli = (line: string) =>
      runBuilt(
        'cli.js',
        {
          ...stripeEnv,
          DATABASE_URL: t.env.DATABASE_URL!,
          REDIS_URL: TEST_REDIS_URL,
          QUEUE_PREFIX: t.env.QUEUE_PREFIX,
          JWT_SECRET: TEST_JWT_SECRET,
          SECRETS_ENCRYPTION_KEY: TEST_SECRETS_KEY,
        },
        ['payouts:book-transfer', '--line', line],
      );
    const [transfer] = [...fake.transfers.values()].filter(
      (tr) => (tr.metadata as Record<string, string>).payoutLineId === lineId,
    );
    const booked = cli(lineId);
    expect({ status: await booked.exited, output: booked.output() }).toEqual({
      status: 0,
      output: expect.stringContaining(`Booked transfer ${transfer.id} (3000 minor units)`),
    });
    const [line] = await t.db.query(
      'SELECT status, stripe_transfer_id, transfer_minor FROM payout_lines WHERE id = $1',
      [lineId],
    );
    expect(line).toEqual({
      status: 'paid',
      stripe_transfer_id: transfer.id,
      transfer_minor: '3000',
    });
    expect(await available()).toBe(0);
    const runNow = async () =>
      (await t.db.query('SELECT status FROM payout_runs WHERE id = $1', [runId]))[0].status;
    expect(await runNow()).toBe('completed');
    // Again: nothing more, but the run completes if the first time's run check never happened
    // (the command died after booking).
    await t.db.query(
      `UPDATE payout_runs SET status = 'executing', completed_at = NULL WHERE id = $1`,
      [runId],
    );
    await expect(t.app.get(PayoutLineBooking).bookFoundTransfer(lineId)).resolves.toEqual({
      outcome: 'paid_already',
    });
    expect(await available()).toBe(0);
    expect(await runNow()).toBe('completed');
    // A line Stripe holds no transfer for is left as it is, and the command says so.
    const other = await oneLineRun('CHF', 1000);
    const none = cli(other.lineId);
    expect({ status: await none.exited, output: none.output() }).toEqual({
      status: 1,
      output: expect.stringContaining('Stripe holds no transfer for this line'),
    });
    const [untouched] = await t.db.query('SELECT status FROM payout_lines WHERE id = $1', [
      other.lineId,
    ]);
    expect(untouched).toEqual({ status: 'pending' });
    // Two transfers for one line (paid twice): neither is booked, both are named.
    const twice = await oneLineRun('GBP', 5000);
    const first = await transferAtStripe(twice, 5000, 'gbp');
    const second = await transferAtStripe(twice, 5000, 'gbp');
    await expect(t.app.get(PayoutLineBooking).bookFoundTransfer(twice.lineId)).resolves.toEqual({
      outcome: 'several',
      transferIds: expect.arrayContaining([first.id, second.id]),
    });
    const [notBooked] = await t.db.query('SELECT status FROM payout_lines WHERE id = $1', [
      twice.lineId,
    ]);
    expect(notBooked).toEqual({ status: 'pending' });
    // Finance reverses the later one in full: the earlier is booked.
    await fake.client().transfers.createReversal(second.id);
    await expect(t.app.get(PayoutLineBooking).bookFoundTransfer(twice.lineId)).resolves.toEqual({
      outcome: 'booked',
      transferId: first.id,
      amountMinor: 5000,
      lineMinor: 5000,
    });
  });

  it('sends nothing through a Stripe other than the one the run was drafted against', async () => {
    const { runId, lineId, maker } = await oneLineRun('CZK', 4000);
    const checker = await createStaff(t, 'finance');
    await t.http.post(`/v1/payout-runs/${runId}/approve`).set(checker.auth).expect(200);
    const draftedOn = (mode: string) =>
      t.db.query(`UPDATE payout_runs SET stripe_mode = $2 WHERE id = $1`, [runId, mode]);
    // Drafted by a process on live Stripe; this one is set up with a test key.
    await draftedOn('live');
    const refused = await t.http.post(`/v1/payout-runs/${runId}/execute`).set(maker.auth);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'PAYOUT_RUN_OTHER_STRIPE',
      details: { runMode: 'live', mode: 'test' },
    });
    await draftedOn('test');
    await t.http.post(`/v1/payout-runs/${runId}/execute`).set(maker.auth).expect(202);
    // Its line's job lands on a process set up for another Stripe: it fails (the queue tries
    // again) with the line untouched, nothing sent, nothing to mistake for a refusal.
    await draftedOn('live');
    const job = { attemptsMade: 0, opts: { attempts: 12 } } as unknown as Job;
    await expect(t.app.get(PayoutLineHandler).handle({ lineId }, job)).rejects.toMatchObject({
      code: 'PAYOUT_RUN_OTHER_STRIPE',
    });
    const [line] = await t.db.query(
      `SELECT status, attempts, transfer_minor FROM payout_lines WHERE id = $1`,
      [lineId],
    );
    expect(line).toEqual({ status: 'pending', attempts: 0, transfer_minor: null });
    expect(await fake.client().transfers.list({ transfer_group: `run_${runId}` })).toMatchObject({
      data: [],
    });
    // Nor does finance send it again through it.
    const retry = await t.http.post(`/v1/payout-runs/${runId}/retry-failed`).set(maker.auth);
    expect([retry.status, retry.body.error.code]).toEqual([409, 'PAYOUT_RUN_OTHER_STRIPE']);
    // The retry on a process set up as the run was pays it.
    await draftedOn('test');
    await expect(t.app.get(PayoutLineHandler).handle({ lineId }, job)).resolves.toEqual({
      status: 'paid',
    });
  });

  it('ignores a Stripe event of the other mode than our key: a deauthorization in live mode, here on a test key, is not stored and closes nothing', async () => {
    const agent = await registerAgent(t);
    const acct = await onboarded(t, fake, agent.id);
    const account = async () =>
      (await t.http.get('/v1/agents/me/payout-account').set(agent.auth).expect(200)).body;
    const id = `evt_${randomUUID()}`;
    // Our key is a test key: a live-mode event on the endpoint is not about our money.
    const answer = await postStripeEvent(t, {
      id,
      type: 'account.application.deauthorized',
      created: Math.floor(Date.now() / 1000),
      object: { id: 'ca_1', object: 'application', name: 'Handoff' },
      account: acct,
      livemode: true,
    });
    expect(answer).toEqual({ received: true, duplicate: false, ignored: true });
    expect(await t.db.query('SELECT 1 FROM stripe_events WHERE id = $1', [id])).toEqual([]);
    expect(await account()).toMatchObject({ payoutsEnabled: true, closedReason: null });
    // One of its own mode is taken.
    const own = await postStripeEvent(t, {
      id: `evt_${randomUUID()}`,
      type: 'account.updated',
      created: Math.floor(Date.now() / 1000),
      object: { id: acct, object: 'account' },
      account: acct,
      livemode: false,
    });
    expect(own).toEqual({ received: true, duplicate: false, ignored: false });
    // A connected account's own charge (the refund a transfer reversal makes on its side) is
    // not the platform's: ignored, not stored (it was applied as the platform's, and failed
    // for days of retries).
    const refundId = `evt_${randomUUID()}`;
    const refunded = await postStripeEvent(t, {
      id: refundId,
      type: 'charge.refunded',
      created: Math.floor(Date.now() / 1000),
      object: { id: 'py_on_the_agent_side', object: 'charge', amount: 500, amount_refunded: 500 },
      account: acct,
      livemode: false,
    });
    expect(refunded).toEqual({ received: true, duplicate: false, ignored: true });
    expect(await t.db.query('SELECT 1 FROM stripe_events WHERE id = $1', [refundId])).toEqual([]);
    // One stored before the endpoint ignored them is marked done, not retried for days.
    const storedId = `evt_${randomUUID()}`;
    await t.app.get(StripeEventsService).record({
      id: storedId,
      object: 'event',
      type: 'charge.refunded',
      created: Math.floor(Date.now() / 1000),
      account: acct,
      livemode: false,
      data: { object: { id: 'py_on_the_agent_side', object: 'charge' } },
    } as unknown as Stripe.Event);
    await expect(t.app.get(StripeEventHandler).handle({ eventId: storedId })).resolves.toEqual({
      applied: false,
    });
    const [stored] = await t.db.query('SELECT processed_at FROM stripe_events WHERE id = $1', [
      storedId,
    ]);
    expect(stored.processed_at).toBeInstanceOf(Date);
  });

  it('pays every line exactly once; the ledger and Stripe agree', async () => {
    const agentIds: string[] = [];
    for (let i = 0; i < LINES; i++) {
      const id = randomUUID();
      await t.db.query(
        `INSERT INTO users (id, email, password_hash, role) VALUES ($1, $2, 'x', 'agent')`,
        [id, `crash-${id}@example.test`],
      );
      await t.db.query(`INSERT INTO agents (user_id, display_name) VALUES ($1, 'Crash')`, [id]);
      await onboarded(t, fake, id);
      await fund(t, id, 1000 + i, 'EUR');
      agentIds.push(id);
    }
    const maker: SignedIn = await createStaff(t, 'finance');
    const checker: SignedIn = await createStaff(t, 'finance');
    const draft = await t.http
      .post('/v1/payout-runs')
      .set(maker.auth)
      .send({ currency: 'EUR' })
      .expect(201);
    expect(draft.body.totals.payableLines).toBe(LINES);
    await t.http.post(`/v1/payout-runs/${draft.body.id}/approve`).set(checker.auth).expect(200);
    await t.http.post(`/v1/payout-runs/${draft.body.id}/execute`).set(maker.auth).expect(202);

    const first = worker();
    await first.waitForOutput(/Handoff worker started/);
    await waitFor(async () => (await paidLines(draft.body.id)) >= 15, '15 lines paid', 60_000);
    first.proc.kill('SIGKILL');
    await first.exited;
    const paidAtKill = await paidLines(draft.body.id);
    expect(paidAtKill).toBeLessThan(LINES);

    const second = worker();
    await second.waitForOutput(/Handoff worker started/);
    await waitFor(
      async () => (await paidLines(draft.body.id)) === LINES,
      'every line paid',
      90_000,
    );
    second.proc.kill('SIGTERM');
    await second.exited;

    const transfers = [...fake.transfers.values()].filter(
      (tr) => (tr.metadata as { runId: string }).runId === draft.body.id,
    );
    const perLine = new Map<string, number>();
    for (const tr of transfers) {
      const line = (tr.metadata as { payoutLineId: string }).payoutLineId;
      perLine.set(line, (perLine.get(line) ?? 0) + 1);
    }
    expect(perLine.size).toBe(LINES);
    expect([...perLine.values()].every((n) => n === 1)).toBe(true);

    const lines: { id: string; stripe_transfer_id: string; amount_minor: string }[] =
      await t.db.query(
        'SELECT id, stripe_transfer_id, amount_minor FROM payout_lines WHERE run_id = $1',
        [draft.body.id],
      );
    for (const line of lines) {
      expect(fake.transfers.get(line.stripe_transfer_id)?.amount).toBe(Number(line.amount_minor));
    }
    const [{ booked }] = await t.db.query(
      `SELECT coalesce(sum(l.amount_minor), 0)::bigint AS booked FROM journal_lines l
         JOIN journal_entries e ON e.id = l.entry_id JOIN ledger_accounts a ON a.id = l.account_id
        WHERE e.kind = 'payout' AND a.code = 'agent_available' AND e.payout_line_id = ANY($1)`,
      [lines.map((l) => l.id)],
    );
    expect(Number(booked)).toBe(transfers.reduce((s, tr) => s + Number(tr.amount), 0));
    const [{ entries }] = await t.db.query(
      `SELECT count(*)::int AS entries FROM journal_entries WHERE kind = 'payout' AND payout_line_id = ANY($1)`,
      [lines.map((l) => l.id)],
    );
    expect(entries).toBe(LINES);
    const [{ total }] = await t.db.query(
      `SELECT coalesce(sum(amount_minor), 0)::bigint AS total FROM journal_lines WHERE currency = 'EUR'`,
    );
    expect(Number(total)).toBe(0);
    const rec = await t.http
      .get(`/v1/payout-runs/${draft.body.id}/reconciliation`)
      .set(maker.auth)
      .expect(200);
    expect(rec.body).toMatchObject({ matched: LINES, mismatched: 0, missing: 0, unexpected: 0 });
    // Every line of the run reconciled, none left unsent after the crashes.
    expect(rec.body.counts).toEqual({
      matched: LINES,
      amount_mismatch: 0,
      reversal_mismatch: 0,
      missing_at_stripe: 0,
      unexpected_at_stripe: 0,
      not_sent: 0,
    });
    expect((await t.http.get(`/v1/payout-runs/${draft.body.id}`).set(maker.auth)).body.status).toBe(
      'completed',
    );
  }, 180_000);
});
