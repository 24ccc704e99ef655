import { randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { FakeStripe } from '../src/modules/stripe/fake-stripe.server';
import { postStripeEvent } from './support/billing';
import { createStaff, registerAgent, SignedIn } from './support/factories';
import { fund, onboarded, payoutsApp } from './support/money';
import { TestApp } from './support/test-app';
import { waitForLockWaiters, withRowsHeld } from './support/row-locks';
import { waitFor } from './support/wait-for';

/**
 * A Connect account that can never be paid again (rejected by Stripe or by us, or gone from our
 * platform): the agent sees it closed and links a new one, and no money goes to the old one.
 */
describe('closed payout accounts', () => {
  let t: TestApp;
  let fake: FakeStripe;
  let maker: SignedIn;
  let checker: SignedIn;

  beforeAll(async () => {
    ({ t, fake, maker, checker } = await payoutsApp());
    // The fake sends Connect events to PORT; the app listens elsewhere here.
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.connectWebhook = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/stripe/connect-webhooks`,
      secret: fake.connectWebhook!.secret,
    };
  });
  afterAll(() => t.close());

  const account = async (agent: SignedIn) =>
    (await t.http.get('/v1/agents/me/payout-account').set(agent.auth).expect(200)).body as {
      stripeAccountId: string;
      payoutsEnabled: boolean;
      closedReason: string | null;
      closedAt: string | null;
      canLinkNew: boolean;
    };
  const link = async (agent: SignedIn) =>
    (await t.http.post('/v1/agents/me/payout-account').set(agent.auth).expect(200)).body as {
      stripeAccountId: string;
      closedReason: string | null;
      onboardingUrl: string;
    };

  /** Posts account.updated about the account and waits until its job has applied it. */
  async function applied(type: 'account.updated', accountId: string, created = now()) {
    const id = `evt_${randomUUID()}`;
    const object = { id: accountId, object: 'account' };
    await postStripeEvent(t, { id, type, created, object, account: accountId });
    await waitFor(async () => {
      const [row] = await t.db.query('SELECT processed_at FROM stripe_events WHERE id = $1', [id]);
      return row?.processed_at != null;
    }, `${type} applied`);
  }
  const now = () => Math.floor(Date.now() / 1000);

  /** Enables the agent's account at Stripe and tells us (account.updated). */
  async function enabled(accountId: string) {
    fake.updateAccount(accountId, {
      payouts_enabled: true,
      details_submitted: true,
      capabilities: { transfers: 'active' },
      requirements: { currently_due: [], disabled_reason: null },
    });
    await applied('account.updated', accountId);
  }

  async function run(): Promise<{ id: string; lineOf: (agentId: string) => Line }> {
    const draft = await t.http
      .post('/v1/payout-runs')
      .set(maker.auth)
      .send({ currency: 'SEK' })
      .expect(201);
    const lines = draft.body.lines as Line[];
    return {
      id: draft.body.id as string,
      lineOf: (agentId) => lines.find((l) => l.agentId === agentId)!,
    };
  }
  interface Line {
    id: string;
    agentId: string;
    status: string;
    heldReason: string | null;
    stripeAccountId: string | null;
  }
  async function execute(runId: string): Promise<Line[]> {
    await t.http.post(`/v1/payout-runs/${runId}/approve`).set(checker.auth).expect(200);
    await t.http.post(`/v1/payout-runs/${runId}/execute`).set(maker.auth).expect(202);
    return waitFor<Line[]>(async () => {
      const res = await t.http.get(`/v1/payout-runs/${runId}`).set(maker.auth).expect(200);
      return (res.body.status as string).startsWith('completed') && (res.body.lines as Line[]);
    }, 'the run to complete');
  }
  const transfersTo = (accountId: string) =>
    [...fake.transfers.values()].filter((x) => x.destination === accountId);

  it('shows an account Stripe rejected as closed; onboarding links a new one, and the next run pays it', async () => {
    const agent = await registerAgent(t);
    const old = await onboarded(t, fake, agent.id);
    await fund(t, agent.id, 5000, 'SEK');
    // Stripe could not verify the agent, and rejected the account.
    fake.updateAccount(old, {
      payouts_enabled: false,
      capabilities: { transfers: 'inactive' },
      requirements: { currently_due: [], disabled_reason: 'rejected.incomplete_verification' },
    });
    await applied('account.updated', old);

    const closed = await account(agent);
    expect(closed).toMatchObject({
      stripeAccountId: old,
      payoutsEnabled: false,
      closedReason: 'rejected_by_stripe', // not Stripe's reason: staff read it in the row
      canLinkNew: true,
    });
    expect(closed.closedAt).not.toBeNull();
    const held = await run();
    expect(held.lineOf(agent.id)).toMatchObject({ status: 'held', heldReason: 'payouts_disabled' });
    await t.http.post(`/v1/payout-runs/${held.id}/cancel`).set(maker.auth).expect(200);

    // Asked twice (a double click, a second tab): one new account.
    const [first, second] = await Promise.all([link(agent), link(agent)]);
    expect(first.stripeAccountId).not.toBe(old);
    expect(second.stripeAccountId).toBe(first.stripeAccountId);
    expect(first.closedReason).toBeNull();
    expect((await link(agent)).stripeAccountId).toBe(first.stripeAccountId);
    const made = [...fake.accounts.values()].filter(
      (x) => (x.metadata as { agentId?: string }).agentId === agent.id,
    );
    expect(made.map((x) => x.id)).toEqual([first.stripeAccountId]);
    const [row] = await t.db.query(
      'SELECT replaced_account_ids FROM payout_accounts WHERE agent_id = $1',
      [agent.id],
    );
    expect(row.replaced_account_ids).toEqual([old]);

    // News of the old account, late, leaves the new one alone.
    await applied('account.updated', old);
    expect(await account(agent)).toMatchObject({
      stripeAccountId: first.stripeAccountId,
      closedReason: null,
    });

    await enabled(first.stripeAccountId);
    const paid = await run();
    expect(paid.lineOf(agent.id)).toMatchObject({
      status: 'pending',
      stripeAccountId: first.stripeAccountId,
    });
    const lines = await execute(paid.id);
    expect(lines.find((l) => l.agentId === agent.id)!.status).toBe('paid');
    expect(transfersTo(first.stripeAccountId).map((x) => x.amount)).toEqual([5000]);
    expect(transfersTo(old)).toEqual([]);
  });

  it('closes an account that left the platform for good: later news of it is applied at once and changes nothing', async () => {
    const agent = await registerAgent(t);
    const old = await onboarded(t, fake, agent.id);
    // Stripe sends account.application.deauthorized, and answers 403 account_invalid about the
    // account from now on.
    await fake.deauthorize(old);
    await waitFor(async () => (await account(agent)).closedReason === 'deauthorized', 'closed');
    expect((await account(agent)).payoutsEnabled).toBe(false);
    // The handler cannot read the account any more: not a failure to retry for a day.
    await applied('account.updated', old, now() + 1);
    expect(await account(agent)).toMatchObject({
      payoutsEnabled: false,
      closedReason: 'deauthorized',
    });
    const fresh = await link(agent);
    expect(fresh.stripeAccountId).not.toBe(old);
    expect(fresh.closedReason).toBeNull();
  });

  it.each([
    ['rejected.fraud', 'rejected_by_stripe'],
    ['rejected.listed', 'rejected_by_stripe'],
    ['rejected.other', 'rejected_by_stripe'],
    ['rejected.platform_fraud', 'rejected_by_handoff'],
    ['rejected.platform_terms_of_service', 'rejected_by_handoff'],
    ['rejected.platform_other', 'rejected_by_handoff'],
  ])(
    'links no new account in place of one closed as %s (409 PAYOUT_ACCOUNT_REJECTED, shown as %s)',
    async (reason, shown) => {
      const agent = await registerAgent(t);
      const acct = await onboarded(t, fake, agent.id);
      fake.updateAccount(acct, {
        payouts_enabled: false,
        requirements: { currently_due: [], disabled_reason: reason },
      });
      await applied('account.updated', acct);
      expect(await account(agent)).toMatchObject({ closedReason: shown, canLinkNew: false });
      const accounts = fake.accounts.size;
      const res = await t.http.post('/v1/agents/me/payout-account').set(agent.auth).expect(409);
      expect(res.body.error.code).toBe('PAYOUT_ACCOUNT_REJECTED');
      expect(res.body.error.message).not.toContain('rejected.');
      expect(fake.accounts.size).toBe(accounts);
      expect((await account(agent)).stripeAccountId).toBe(acct);
    },
  );

  it('links at most three accounts in all; the third closed, support decides', async () => {
    const agent = await registerAgent(t);
    let acct = await onboarded(t, fake, agent.id);
    for (let n = 0; n < 2; n++) {
      await fake.deauthorize(acct);
      await waitFor(async () => (await account(agent)).closedReason !== null, 'closed');
      acct = (await link(agent)).stripeAccountId;
    }
    await fake.deauthorize(acct);
    await waitFor(async () => (await account(agent)).closedReason !== null, 'closed');
    expect((await account(agent)).canLinkNew).toBe(false);
    await t.http.post('/v1/agents/me/payout-account').set(agent.auth).expect(409);
  });

  it('links no new account when the closing changed to a rejection while the new one was made', async () => {
    const agent = await registerAgent(t);
    const acct = await onboarded(t, fake, agent.id);
    await fake.deauthorize(acct);
    await waitFor(async () => (await account(agent)).closedReason !== null, 'closed');
    await withRowsHeld(
      t,
      'SELECT 1 FROM payout_accounts WHERE agent_id = $1 FOR UPDATE',
      [agent.id],
      async (held) => {
        // The agent's call made its new account at Stripe and waits to store it; meanwhile
        // (say) we learn the person was rejected for fraud.
        const relink = t.http
          .post('/v1/agents/me/payout-account')
          .set(agent.auth)
          .then((r) => r);
        await waitForLockWaiters(t, 1, 'the relink to wait for the row');
        await held.query(
          `UPDATE payout_accounts SET closed_reason = 'rejected.platform_fraud' WHERE agent_id = $1`,
          [agent.id],
        );
        await held.commitTransaction();
        const res = await relink;
        expect(res.status).toBe(409);
        expect(res.body.error.code).toBe('PAYOUT_ACCOUNT_REJECTED');
      },
    );
    expect(await account(agent)).toMatchObject({
      stripeAccountId: acct,
      closedReason: 'rejected_by_handoff',
    });
  });

  it('leaves an account open when Stripe will not show it but no event said it left (a key of another mode, say)', async () => {
    const agent = await registerAgent(t);
    const acct = await onboarded(t, fake, agent.id);
    fake.deauthorized.add(acct); // 403 account_invalid, and no account.application.deauthorized
    await applied('account.updated', acct);
    expect(await account(agent)).toMatchObject({ payoutsEnabled: true, closedReason: null });
    // Onboarding again meets the same refusal: a 409 saying so, not a 503 to retry for ever.
    const again = await t.http.post('/v1/agents/me/payout-account').set(agent.auth).expect(409);
    expect(again.body.error).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('disconnected from the platform'),
      details: { stripeCode: 'account_invalid' },
    });
    fake.deauthorized.delete(acct);
    // News of an account we do not have changes nothing, and is not retried.
    await applied('account.updated', 'acct_not_ours');
  });

  it('lets an admin allow a new account after a rejection; finance reads Stripe’s reason but allows nothing', async () => {
    const admin = await createStaff(t, 'admin');
    const agent = await registerAgent(t);
    const acct = await onboarded(t, fake, agent.id);
    const staffView = `/v1/agents/${agent.id}/payout-account`;
    const allow = `${staffView}/allow-new-account`;
    const why = 'Identity checked by phone; the flag was a shared card';
    const reason = {
      reason: why,
      stripeAccountId: acct,
      stripeClosedReason: 'rejected.platform_fraud',
    };
    // Open: nothing to replace.
    const open = await t.http.post(allow).set(admin.auth).send(reason).expect(409);
    expect(open.body.error.code).toBe('PAYOUT_ACCOUNT_STATE');
    await fake.client().accounts.reject(acct, { reason: 'fraud' });
    await applied('account.updated', acct);
    await t.http.post('/v1/agents/me/payout-account').set(agent.auth).expect(409);

    const read = await t.http.get(staffView).set(maker.auth).expect(200);
    expect(read.body).toMatchObject({
      stripeAccountId: acct,
      closedReason: 'rejected_by_handoff',
      stripeClosedReason: 'rejected.platform_fraud',
      canLinkNew: false,
      replacedAccountIds: [],
      newAccountAllowed: null,
    });
    await t.http.post(allow).set(maker.auth).send(reason).expect(403);
    await t.http
      .post(allow)
      .set(admin.auth)
      .send({ ...reason, reason: '   ' })
      .expect(400);
    // Read before the closing changed (the admin looked at another reason): read it again.
    const stale = await t.http
      .post(allow)
      .set(admin.auth)
      .send({ ...reason, stripeClosedReason: 'rejected.platform_other' })
      .expect(409);
    expect(stale.body.error.code).toBe('PAYOUT_ACCOUNT_STATE');
    const allowed = await t.http.post(allow).set(admin.auth).send(reason).expect(200);
    const allowance = {
      stripeAccountId: acct,
      closedReason: 'rejected.platform_fraud',
      by: admin.id,
      reason: why,
    };
    expect(allowed.body).toMatchObject({
      canLinkNew: true,
      newAccountAllowed: allowance,
      allowances: [allowance],
    });
    expect((await account(agent)).canLinkNew).toBe(true);

    const fresh = await link(agent);
    expect(fresh.stripeAccountId).not.toBe(acct);
    expect((await t.http.get(staffView).set(admin.auth).expect(200)).body).toMatchObject({
      stripeAccountId: fresh.stripeAccountId,
      stripeClosedReason: null,
      replacedAccountIds: [acct],
      newAccountAllowed: null, // used: the next closing needs its own
      allowances: [allowance], // kept on record
    });
    await t.http.get(`/v1/agents/${randomUUID()}/payout-account`).set(admin.auth).expect(404);
  });

  it('drops an allowance when the account reopens: a later closing needs its own', async () => {
    const admin = await createStaff(t, 'admin');
    const agent = await registerAgent(t);
    const acct = await onboarded(t, fake, agent.id);
    await fake.client().accounts.reject(acct, { reason: 'other' });
    await applied('account.updated', acct);
    await t.http
      .post(`/v1/agents/${agent.id}/payout-account/allow-new-account`)
      .set(admin.auth)
      .send({
        reason: 'Reviewed',
        stripeAccountId: acct,
        stripeClosedReason: 'rejected.platform_other',
      })
      .expect(200);
    expect((await account(agent)).canLinkNew).toBe(true);
    await fake.client().accounts.unreject(acct);
    await applied('account.updated', acct, now() + 1);
    expect(await account(agent)).toMatchObject({ closedReason: null, canLinkNew: false });
    await fake.client().accounts.reject(acct, { reason: 'other' });
    await applied('account.updated', acct, now() + 2);
    expect(await account(agent)).toMatchObject({
      closedReason: 'rejected_by_handoff',
      canLinkNew: false,
    });
  });

  it('reopens an account whose rejection the platform undid before the agent linked another', async () => {
    const agent = await registerAgent(t);
    const acct = await onboarded(t, fake, agent.id);
    await fake.client().accounts.reject(acct, { reason: 'other' });
    await applied('account.updated', acct);
    expect(await account(agent)).toMatchObject({
      closedReason: 'rejected_by_handoff',
      canLinkNew: false,
    });
    await fake.client().accounts.unreject(acct);
    await applied('account.updated', acct, now() + 1);
    expect(await account(agent)).toMatchObject({
      stripeAccountId: acct,
      payoutsEnabled: true,
      closedReason: null,
      closedAt: null,
    });
    expect((await link(agent)).stripeAccountId).toBe(acct);
  });

  it('sends nothing to a replaced account: its failed line, retried, is held and the next run pays the new one', async () => {
    const agent = await registerAgent(t);
    const old = await onboarded(t, fake, agent.id);
    await fund(t, agent.id, 4000, 'SEK');
    // Stripe refuses the transfer (the account is restricted; no event has told us yet).
    fake.updateAccount(old, { capabilities: { transfers: 'inactive' } });
    const first = await run();
    const lines = await execute(first.id);
    const failed = lines.find((l) => l.agentId === agent.id)!;
    expect(failed.status).toBe('failed');

    await fake.deauthorize(old);
    await waitFor(async () => (await account(agent)).closedReason === 'deauthorized', 'closed');
    const fresh = await link(agent);
    await enabled(fresh.stripeAccountId);

    await t.http.post(`/v1/payout-runs/${first.id}/retry-failed`).set(maker.auth).expect(202);
    await waitFor(async () => {
      const res = await t.http.get(`/v1/payout-runs/${first.id}`).set(maker.auth).expect(200);
      const line = (res.body.lines as Line[]).find((l) => l.id === failed.id)!;
      return line.status === 'held' && line;
    }, 'the retried line to be held');
    const [line] = await t.db.query('SELECT held_reason FROM payout_lines WHERE id = $1', [
      failed.id,
    ]);
    expect(line.held_reason).toBe('payouts_disabled_since_draft');

    const next = await run();
    expect(next.lineOf(agent.id)).toMatchObject({
      status: 'pending',
      stripeAccountId: fresh.stripeAccountId,
    });
    await execute(next.id);
    expect(transfersTo(fresh.stripeAccountId).map((x) => x.amount)).toEqual([4000]);
    expect(transfersTo(old)).toEqual([]);
  });
});
