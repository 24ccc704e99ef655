/**
 * Finance closes the day: A drafts a payout run, B approves it (A may not: maker-checker), A
 * executes it, and both watch it through to the end and check it against Stripe and the ledger.
 */
import type { Schemas } from '../../src/client/client';
import { Api } from './api-client';
import { FinanceUser } from './instance';
import { detail, endProgress, money, progress, say, sleep } from './narrate';
import { Day } from './state';

/** A run as the day reports it: its lines are the draft's (the approve/cancel answers have none). */
export type PayoutRun = Schemas['PayoutRunDto'] & { lines?: Schemas['PayoutLineDto'][] };

export interface PayoutOutcome {
  run: PayoutRun;
  reconciliation: Schemas['ReconciliationDto'] | null;
  trialBalanceZero: boolean;
}

async function signIn(api: Api, user: FinanceUser): Promise<string> {
  const tokens = await api.step(
    `${user.email} signs in`,
    api.as().POST('/v1/auth/login', { body: { email: user.email, password: user.password } }),
  );
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
  const [asMaker, asChecker] = [api.as(makerToken), api.as(checkerToken)];
  const nameOf = (agentId: string) =>
    day.agents.find((a) => a.id === agentId)?.plan.name ?? `agent ${agentId.slice(0, 8)}`;

  const draft = await api.step(
    `${maker.email} drafts a payout run`,
    asMaker.POST('/v1/payout-runs', { body: { currency: 'EUR' } }),
  );
  /** The draft's id, as the paths /v1/payout-runs/{id}/… take it. */
  const run = { params: { path: { id: draft.id } } };
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
    const refused = await api.answer(
      `${checker.email} tries to approve a run with nothing to pay`,
      asChecker.POST('/v1/payout-runs/{id}/approve', run),
      [409],
    );
    const cancelled = await api.step(
      `${maker.email} cancels the draft`,
      asMaker.POST('/v1/payout-runs/{id}/cancel', run),
    );
    say(
      `Nothing is payable yet: approval answers 409 ${refused.error?.error.code}, ` +
        `so ${maker.email} cancels the draft`,
    );
    return {
      run: { ...cancelled, lines: draft.lines },
      reconciliation: null,
      trialBalanceZero: await trialBalanceIsZero(api, makerToken),
    };
  }

  const selfApproval = await api.answer(
    `${maker.email} tries to approve her own run`,
    asMaker.POST('/v1/payout-runs/{id}/approve', run),
    [403],
  );
  day.stories.selfApproval = selfApproval.error?.error.code ?? null;
  say(
    `${maker.email} tries to approve her own run: 403 ${selfApproval.error?.error.code} ` +
      `(maker-checker)`,
  );
  await api.step(`${checker.email} approves`, asChecker.POST('/v1/payout-runs/{id}/approve', run));
  say(`${checker.email} approves it`);
  await api.step(`${maker.email} executes`, asMaker.POST('/v1/payout-runs/{id}/execute', run));
  say(`${maker.email} executes it; the workers pay each line through (fake) Stripe Connect`);

  const done = await watch(api, draft.id, makerToken);
  say(
    `Run ${done.status}: ${done.totals.paidLines} lines paid (${money(done.totals.paidMinor)}), ` +
      `${done.totals.failedLines} failed, ${done.totals.heldLines} held`,
  );
  const reconciliation =
    done.totals.paidLines > 0
      ? await api.step(
          'Finance reconciles the run',
          asMaker.GET('/v1/payout-runs/{id}/reconciliation', run),
        )
      : null;
  const trialBalanceZero = await trialBalanceIsZero(api, makerToken);
  if (reconciliation) {
    detail(
      `reconciliation with Stripe: ${reconciliation.counts.matched} matched, ` +
        `${reconciliation.counts.amount_mismatch} mismatched, ` +
        `${reconciliation.counts.reversal_mismatch} with an unbooked reversal, ` +
        `${reconciliation.counts.missing_at_stripe} missing at Stripe, ` +
        `${reconciliation.counts.unexpected_at_stripe} unexpected at Stripe, ` +
        `${reconciliation.counts.not_sent} not sent; trial balance ` +
        `${trialBalanceZero ? 'sums to zero' : 'DOES NOT sum to zero'}`,
    );
  }
  return { run: done, reconciliation, trialBalanceZero };
}

async function trialBalanceIsZero(api: Api, token: string): Promise<boolean> {
  const trial = await api.step(
    'Finance reads the trial balance',
    api.as(token).GET('/v1/ledger/trial-balance'),
  );
  return trial.totals.every((x) => x.balanceMinor === 0);
}

async function watch(api: Api, runId: string, token: string): Promise<PayoutRun> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const run = await api.step(
      'Finance watches the run',
      api.as(token).GET('/v1/payout-runs/{id}', { params: { path: { id: runId } } }),
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

/** What is wrong with the books after the payout run, if anything. */
export function booksProblem(
  payout: Pick<PayoutOutcome, 'trialBalanceZero' | 'reconciliation'>,
): string | null {
  if (!payout.trialBalanceZero) return 'the trial balance does not sum to zero';
  const c = payout.reconciliation?.counts;
  const off = c
    ? c.amount_mismatch + c.reversal_mismatch + c.missing_at_stripe + c.unexpected_at_stripe
    : 0;
  return off > 0 ? `the payout run does not reconcile with Stripe: ${off} transfers off` : null;
}
