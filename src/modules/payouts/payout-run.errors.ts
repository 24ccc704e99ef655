import { DomainError } from '../../common/errors/domain-error';
import { inState } from '../../common/errors/in-state';
import { PayoutRunRow } from './payout-runs.repository';

/** The run, or a 404 when there is none. */
export function foundRun(run: PayoutRunRow | undefined): PayoutRunRow {
  if (!run) throw DomainError.notFound('Payout run');
  return run;
}

/**
 * Refuses to send a run's money through a Stripe other than the one it was drafted against
 * (live, test or the in-process fake): a worker set up for another one would find none of the
 * run's transfers there, fail lines as refused that were in fact paid, and let finance abandon
 * them to pay again.
 */
export function assertSameStripe(run: Pick<PayoutRunRow, 'stripe_mode'>, mode: string): void {
  if (run.stripe_mode === mode) return;
  throw new DomainError(
    'PAYOUT_RUN_OTHER_STRIPE',
    `This run was drafted against Stripe in ${run.stripe_mode} mode; this API sends through ${mode}`,
    { runMode: run.stripe_mode, mode },
  );
}

export function wrongState(run: PayoutRunRow, action: string): DomainError {
  return new DomainError('PAYOUT_RUN_STATE', `${inState(run.status, 'run')} cannot ${action}`, {
    status: run.status,
  });
}
