import { Module } from '@nestjs/common';
import { BillingModule } from './billing.module';
import { InvoiceCloser } from './invoice-closer.service';

/** What only worker processes run of billing: the period-closing sweep. */
@Module({ imports: [BillingModule], providers: [InvoiceCloser] })
export class InvoiceCloserModule {}
