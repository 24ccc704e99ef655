import { Module } from '@nestjs/common';
import { CompaniesModule } from '../companies/companies.module';
import { LedgerModule } from '../ledger/ledger.module';
import { OutboxModule } from '../outbox/outbox.module';
import { ShiftsModule } from '../shifts/shifts.module';
import { StripeModule } from '../stripe/stripe.module';
import { TicketsModule } from '../tickets/tickets.module';
import { UsersModule } from '../users/users.module';
import { BillingCustomersRepository } from './billing-customers.repository';
import { BillingController } from './billing.controller';
import { BillingService } from './billing.service';
import { CreditControlService } from './credit-control.service';
import { CreditControlsRepository } from './credit-controls.repository';
import { CreditController } from './credit.controller';
import { DisputeRebillSteps } from './dispute-rebill-steps';
import { DisputeRebillsService } from './dispute-rebills.service';
import { InvoiceClosingService } from './invoice-closing.service';
import { InvoiceCollectionService } from './invoice-collection.service';
import { InvoiceDraftsService } from './invoice-drafts.service';
import { InvoiceStripeStateService } from './invoice-stripe-state.service';
import {
  CustomerSyncHandler,
  InvoiceIssueHandler,
  InvoicePayHandler,
  UnchargedClearHandler,
} from './invoice-jobs.handlers';
import { InvoicesController } from './invoices.controller';
import { InvoicesRepository } from './invoices.repository';
import { InvoiceClosingRepository } from './invoice-closing.repository';
import { InvoiceStripeStateRepository } from './invoice-stripe-state.repository';
import { PaidInvoicesRepository } from './paid-invoices.repository';
import { InvoiceReceivablesRepository } from './invoice-receivables.repository';
import { InvoicesService } from './invoices.service';
import { InvoiceDisputesService } from './invoice-disputes.service';
import { InvoiceRefundsService } from './invoice-refunds.service';
import { ReceivablesController } from './receivables.controller';
import { LostDisputesService } from './lost-disputes.service';
import { ReceivablesService } from './receivables.service';
import { UnchargedInvoicesService } from './uncharged-invoices.service';
import { WithheldCreditsService } from './withheld-credits.service';

/**
 * Money in (issue 18): companies' Stripe customers and cards, billing periods closed into
 * invoices (lines from the ledger, per shift), charged at Stripe and booked when paid.
 */
@Module({
  // Invoice lines name the shift each billed claim was worked on (tickets, shifts).
  imports: [
    CompaniesModule,
    UsersModule,
    LedgerModule,
    StripeModule,
    OutboxModule,
    TicketsModule,
    ShiftsModule,
  ],
  controllers: [BillingController, InvoicesController, CreditController, ReceivablesController],
  providers: [
    BillingService,
    BillingCustomersRepository,
    InvoicesRepository,
    InvoiceClosingRepository,
    InvoiceStripeStateRepository,
    PaidInvoicesRepository,
    InvoiceReceivablesRepository,
    InvoicesService,
    InvoiceClosingService,
    InvoiceCollectionService,
    InvoiceDraftsService,
    InvoiceStripeStateService,
    InvoiceIssueHandler,
    InvoicePayHandler,
    CustomerSyncHandler,
    UnchargedClearHandler,
    UnchargedInvoicesService,
    CreditControlService,
    CreditControlsRepository,
    InvoiceDisputesService,
    InvoiceRefundsService,
    ReceivablesService,
    LostDisputesService,
    WithheldCreditsService,
    DisputeRebillsService,
    DisputeRebillSteps,
  ],
  exports: [
    BillingService,
    InvoiceClosingService,
    InvoiceCollectionService,
    InvoiceDisputesService,
    InvoiceRefundsService,
    CreditControlService,
  ],
})
export class BillingModule {}
