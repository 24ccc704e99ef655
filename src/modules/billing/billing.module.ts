import { Module } from '@nestjs/common';
import { CompaniesModule } from '../companies/companies.module';
import { LedgerModule } from '../ledger/ledger.module';
import { StripeModule } from '../stripe/stripe.module';
import { UsersModule } from '../users/users.module';
import { BillingCustomersRepository } from './billing-customers.repository';
import { BillingController } from './billing.controller';
import { BillingService } from './billing.service';

/** Money in: companies' Stripe customers and cards (issue 18). */
@Module({
  imports: [CompaniesModule, UsersModule, LedgerModule, StripeModule],
  controllers: [BillingController],
  providers: [BillingService, BillingCustomersRepository],
  exports: [BillingService],
})
export class BillingModule {}
