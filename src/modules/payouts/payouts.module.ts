import { Module } from '@nestjs/common';
import { PayoutAccountService } from './payout-account.service';
import { PayoutLineHandler, StripeEventHandler } from './payout-jobs.handlers';
import { PayoutAccountController, PayoutRunsController } from './payouts.controller';
import { PayoutReconciliationService } from './payout-reconciliation.service';
import { PayoutRunExecutionService } from './payout-run-execution.service';
import { PayoutRunsService } from './payout-runs.service';
import { StripePacer } from './stripe-pacer.service';
import { StripeWebhooksController } from './stripe-webhooks.controller';

@Module({
  controllers: [PayoutAccountController, PayoutRunsController, StripeWebhooksController],
  providers: [
    PayoutAccountService,
    PayoutRunsService,
    PayoutRunExecutionService,
    PayoutReconciliationService,
    PayoutLineHandler,
    StripeEventHandler,
    StripePacer,
  ],
})
export class PayoutsModule {}
