import { DomainError } from '../../common/errors/domain-error';
import { PayoutRunRow } from './payout-runs.repository';

/** The run, or a 404 when there is none. */
export function foundRun(run: PayoutRunRow | undefined): PayoutRunRow {
  if (!run) throw DomainError.notFound('Payout run');
  return run;
}

export function wrongState(run: PayoutRunRow, action: string): DomainError {
  return new DomainError('PAYOUT_RUN_STATE', `A ${run.status} run cannot ${action}`, {
    status: run.status,
  });
}
