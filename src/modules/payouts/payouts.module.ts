import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { JobsModule } from '../jobs/jobs.module';
import { BillingModule } from '../billing/billing.module';
import { LedgerModule } from '../ledger/ledger.module';
import { MetricsCoreModule } from '../metrics/metrics-core.module';
import { OutboxModule } from '../outbox/outbox.module';
import { StripeModule } from '../stripe/stripe.module';
import { UsersModule } from '../users/users.module';
import { AgentPayoutsService } from './agent-payouts.service';
import { PayoutAccountRefresh } from './payout-account-refresh.service';
import { PayoutAccountService } from './payout-account.service';
import { PayoutAccountStaffService } from './payout-account-staff.service';
import { PayoutAccountsRepository } from './payout-accounts.repository';
import { PayoutLineHandler } from './payout-line.handler';
import { PayoutLineBooking } from './payout-line-booking.service';
import { PayoutLineFailure } from './payout-line-failure.service';
import { PayoutLineStart } from './payout-line-start.service';
import { StripeEventHandler } from './stripe-event.handler';
import { PayoutLineResendHandler } from './payout-line-resend.handler';
import { PayoutLineSendingRepository } from './payout-line-sending.repository';
import { PayoutLinePagesRepository } from './payout-line-pages.repository';
import { PayoutLinesRepository } from './payout-lines.repository';
import { PayoutLineExecutionRepository } from './payout-line-execution.repository';
import { PayoutLineReversalsRepository } from './payout-line-reversals.repository';
import {
  AgentPayoutsController,
  PayoutAccountController,
  StaffPayoutAccountController,
  PayoutRunsController,
} from './payouts.controller';
import { PayoutReconciliationService } from './payout-reconciliation.service';
import { PayoutSendChecks } from './payout-send-checks.service';
import { PayoutTransferLookup } from './payout-transfer-lookup.service';
import { PayoutRunEvents } from './payout-run-events';
import { PayoutRunExecutionService } from './payout-run-execution.service';
import { PayoutRunsRepository } from './payout-runs.repository';
import { PayoutRunsService } from './payout-runs.service';
import { StripeEventsRepository } from './stripe-events.repository';
import { StripeEventsService } from './stripe-events.service';
import { PlatformBalanceService } from './platform-balance.service';
import { StripeWebhooksController } from './stripe-webhooks.controller';

@Module({
  // Balances, postings and agents' names and emails for finance (ledger), the Stripe client, the
  // queues (jobs), an agent's email for its Stripe account (users), counters (metrics), the
  // runs' events for finance (events).
  imports: [
    OutboxModule,
    LedgerModule,
    // Billing's Stripe events (a saved card) come through the same endpoint and job.
    BillingModule,
    StripeModule,
    JobsModule,
    UsersModule,
    MetricsCoreModule,
    EventsModule,
  ],
  controllers: [
    PayoutAccountController,
    StaffPayoutAccountController,
    AgentPayoutsController,
    PayoutRunsController,
    StripeWebhooksController,
  ],
  providers: [
    PayoutAccountService,
    PayoutAccountStaffService,
    PayoutAccountRefresh,
    AgentPayoutsService,
    PayoutRunsService,
    PayoutRunExecutionService,
    PayoutRunEvents,
    PayoutReconciliationService,
    PayoutLineHandler,
    PayoutLineBooking,
    PayoutLineFailure,
    PayoutLineStart,
    PayoutTransferLookup,
    PayoutLineResendHandler,
    StripeEventHandler,
    PayoutRunsRepository,
    PayoutLinesRepository,
    PayoutLineExecutionRepository,
    PayoutLineReversalsRepository,
    PayoutLinePagesRepository,
    PayoutLineSendingRepository,
    PayoutAccountsRepository,
    StripeEventsRepository,
    StripeEventsService,
    PlatformBalanceService,
    PayoutSendChecks,
  ],
  // Payout runs' progress, for /metrics.
  exports: [PayoutRunsService, StripeEventsService, PayoutAccountRefresh],
})
export class PayoutsModule {}
