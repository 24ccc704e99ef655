/**
 * Finance closes the day: A drafts a payout run, B approves it (A may not: maker-checker), A
 * executes it, and both watch it through to the end and check it against Stripe and the ledger.
 */
import { Api } from './api-client';
import type { PayoutRun, Reconciliation, Tokens, TrialBalance } from './api-types';
import { FinanceUser } from './instance';
import { detail, endProgress, money, progress, say, sleep } from './narrate';
import { Day } from './state';

export interface PayoutOutcome {
  run: PayoutRun;
  reconciliation: Reconciliation | null;
  trialBalanceZero: boolean;
}

async function signIn(api: Api, user: FinanceUser): Promise<string> {
  const tokens = await api.post<Tokens>(`${user.email} signs in`, '/v1/auth/login', undefined, {
    email: user.email,
    password: user.password,
  });
  return tokens.accessToken;
}

export async function runPayouts(
  day: Day,
  maker: FinanceUser,
  checker: FinanceUser,
): Promise<PayoutOutcome> {
  const { api } = day;
  const makerToken = await signIn(api, maker);
  const checkerToken = await signIn(api, checker);
  const nameOf = (agentId: string) =>
    day.agents.find((a) => a.id === agentId)?.plan.name ?? `agent ${agentId.slice(0, 8)}`;

  const draft = await api.post<PayoutRun>(
    `${maker.email} drafts a payout run`,
    '/v1/payout-runs',
    makerToken,
    { currency: 'EUR' },
  );
  const t = draft.totals;
  say(
    `${maker.email} drafts a EUR payout run: ${t.payableLines} payable lines ` +
      `(${money(t.payableMinor)}), ${t.heldLines} held (${money(t.heldMinor)})`,
  );
  for (const line of draft.lines ?? []) {
    if (line.status === 'held') {
      detail(`held: ${nameOf(line.agentId)} ${money(line.amountMinor)}, ${line.heldReason}`);
    }
  }

  if (t.payableLines === 0) {
    // Every line held (below the minimum, no Stripe account yet): there is nothing to approve.
    const refused = await api.call<{ error: { code: string } }>(
      `${checker.email} tries to approve a run with nothing to pay`,
      'POST',
      `/v1/payout-runs/${draft.id}/approve`,
      { token: checkerToken, accept: [409] },
    );
    const cancelled = await api.post<PayoutRun>(
      `${maker.email} cancels the draft`,
      `/v1/payout-runs/${draft.id}/cancel`,
      makerToken,
    );
    say(
      `Nothing is payable yet: approval answers 409 ${refused.data.error.code}, ` +
        `so ${maker.email} cancels the draft`,
    );
    return {
      run: { ...cancelled, lines: draft.lines },
      reconciliation: null,
      trialBalanceZero: await trialBalanceIsZero(api, makerToken),
    };
  }

  const selfApproval = await api.call<{ error: { code: string; message: string } }>(
    `${maker.email} tries to approve her own run`,
    'POST',
    `/v1/payout-runs/${draft.id}/approve`,
    { token: makerToken, accept: [403] },
  );
  day.stories.selfApproval = selfApproval.data.error.code;
  say(
    `${maker.email} tries to approve her own run: 403 ${selfApproval.data.error.code} ` +
      `(maker-checker)`,
  );
  await api.post(`${checker.email} approves`, `/v1/payout-runs/${draft.id}/approve`, checkerToken);
  say(`${checker.email} approves it`);
  await api.post(`${maker.email} executes`, `/v1/payout-runs/${draft.id}/execute`, makerToken);
  say(`${maker.email} executes it; the workers pay each line through (fake) Stripe Connect`);

  const run = await watch(api, draft.id, makerToken);
  say(
    `Run ${run.status}: ${run.totals.paidLines} lines paid (${money(run.totals.paidMinor)}), ` +
      `${run.totals.failedLines} failed, ${run.totals.heldLines} held`,
  );
  const reconciliation =
    run.totals.paidLines > 0
      ? await api.get<Reconciliation>(
          'Finance reconciles the run',
          `/v1/payout-runs/${draft.id}/reconciliation`,
          makerToken,
        )
      : null;
  const trialBalanceZero = await trialBalanceIsZero(api, makerToken);
  if (reconciliation) {
    detail(
      `reconciliation with Stripe: ${reconciliation.counts.matched} matched, ` +
        `${reconciliation.counts.amount_mismatch} mismatched, ` +
        `${reconciliation.counts.missing_at_stripe} missing at Stripe, ` +
        `${reconciliation.counts.unexpected_at_stripe} unexpected at Stripe, ` +
        `${reconciliation.counts.not_sent} not sent; trial balance ` +
        `${trialBalanceZero ? 'sums to zero' : 'DOES NOT sum to zero'}`,
    );
  }
  return { run, reconciliation, trialBalanceZero };
}

async function trialBalanceIsZero(api: Api, token: string): Promise<boolean> {
  const trial = await api.get<TrialBalance>(
    'Finance reads the trial balance',
    '/v1/ledger/trial-balance',
    token,
  );
  return trial.totals.every((x) => x.balanceMinor === 0);
}

async function watch(api: Api, runId: string, token: string): Promise<PayoutRun> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const run = await api.get<PayoutRun>(
      'Finance watches the run',
      `/v1/payout-runs/${runId}`,
      token,
    );
    if (run.status === 'completed' || run.status === 'completed_with_failures') {
      endProgress();
      return run;
    }
    if (Date.now() > deadline) {
      throw new Error(`Payout run ${runId} still ${run.status} after 2 minutes`);
    }
    progress(
      `paying: ${run.totals.paidLines}/${run.totals.payableLines} lines paid, ` +
        `${run.totals.inFlightLines} in flight`,
      1000,
    );
    await sleep(300);
  }
}
