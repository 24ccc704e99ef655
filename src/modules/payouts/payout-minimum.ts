import { ConfigService } from '@nestjs/config';
import { Env } from '../../config/env.validation';
import { perCurrency } from '../../config/per-currency';

/** The smallest payout per currency: PAYOUT_MINIMUM_MINOR, or the currency's own. */
export const payoutMinimum = (config: ConfigService<Env, true>): ((currency: string) => number) =>
  perCurrency(
    config.get('PAYOUT_MINIMUM_MINOR', { infer: true }),
    config.get('PAYOUT_MINIMUM_MINOR_BY_CURRENCY', { infer: true }),
  );
