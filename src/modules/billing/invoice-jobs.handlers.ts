import { Injectable } from '@nestjs/common';
import { HandlesJob, JobHandler } from '../jobs/job-handler';
import { JobPayloads } from '../jobs/job-registry';
import { BillingService } from './billing.service';
import { InvoiceCollectionService } from './invoice-collection.service';
import { UnchargedInvoicesService } from './uncharged-invoices.service';

/** Issues a closed period's invoice at Stripe and charges it (every call keyed: re-runnable). */
@Injectable()
@JobHandler('billing.invoice-issue')
export class InvoiceIssueHandler implements HandlesJob<'billing.invoice-issue'> {
  constructor(private readonly collection: InvoiceCollectionService) {}

  handle({ invoiceId }: JobPayloads['billing.invoice-issue']): Promise<{ issued: boolean }> {
    return this.collection.issue(invoiceId);
  }
}

/** Charges an unpaid invoice again, once per `attempt` (Stripe's idempotency key). */
@Injectable()
@JobHandler('billing.invoice-pay')
export class InvoicePayHandler implements HandlesJob<'billing.invoice-pay'> {
  constructor(private readonly collection: InvoiceCollectionService) {}

  handle({ invoiceId, attempt }: JobPayloads['billing.invoice-pay']): Promise<{ paid: boolean }> {
    return this.collection.pay(invoiceId, attempt);
  }
}

/** Gives the company's Stripe customer its current name and billing email (re-runnable). */
@Injectable()
@JobHandler('billing.customer-sync')
export class CustomerSyncHandler implements HandlesJob<'billing.customer-sync'> {
  constructor(private readonly billing: BillingService) {}

  handle({ companyId }: JobPayloads['billing.customer-sync']): Promise<{ synced: boolean }> {
    return this.billing.syncCustomer(companyId);
  }
}

/** Takes off the customer's Stripe balance what an uncharged invoice left there (once). */
@Injectable()
@JobHandler('billing.uncharged-clear')
export class UnchargedClearHandler implements HandlesJob<'billing.uncharged-clear'> {
  constructor(private readonly uncharged: UnchargedInvoicesService) {}

  handle({ invoiceId }: JobPayloads['billing.uncharged-clear']): Promise<{ cleared: boolean }> {
    return this.uncharged.clear(invoiceId);
  }
}
