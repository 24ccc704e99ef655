import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An invoice whose charge Stripe refused because the company had no card saved is past due
 * (InvoiceStripeStateService, 2026-12-07): Stripe counts no attempt for it and retries none, so
 * it had stayed `open` for good and its company was never held for it. Those issued before the
 * change are moved now, their grace (PAST_DUE_GRACE_DAYS) counted from this migration rather
 * than from their refusal, so that no company is held without the notice the others got. The
 * holds follow at the credit sweep's next pass (or the company's next request that reads them).
 */
export class CardlessInvoicesPastDue1796700000000 implements MigrationInterface {
  name = 'CardlessInvoicesPastDue1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE invoices i
          SET status = 'past_due', past_due_since = now(), updated_at = now()
        WHERE i.status = 'open' AND i.attempt_count = 0 AND i.last_payment_error IS NOT NULL
          AND i.stripe_invoice_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM billing_customers b
                           WHERE b.company_id = i.company_id AND b.payment_method_id IS NOT NULL)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // Back to open (the release before reads only Stripe's count of attempts).
    await q.query(
      `UPDATE invoices SET status = 'open', past_due_since = NULL, updated_at = now()
        WHERE status = 'past_due' AND attempt_count = 0`,
    );
  }
}
