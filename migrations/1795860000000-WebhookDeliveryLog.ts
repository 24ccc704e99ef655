import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The delivery log says when a pending delivery is tried next and why an attempt failed, in a
 * word programs can branch on (issue 13). The kinds are DELIVERY_ERROR_KINDS
 * (src/modules/webhooks/webhook-delivery-error.ts); test/webhook-deliveries.e2e-spec.ts holds
 * this CHECK to that list. The log can be filtered by status: an index for it.
 */
export class WebhookDeliveryLog1795860000000 implements MigrationInterface {
  name = 'WebhookDeliveryLog1795860000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE webhook_deliveries
        ADD COLUMN next_attempt_at timestamptz,
        ADD COLUMN last_error_kind text,
        ADD CONSTRAINT ck_webhook_deliveries_next_attempt
          CHECK (next_attempt_at IS NULL OR status = 'pending'),
        ADD CONSTRAINT ck_webhook_deliveries_last_error_kind
          CHECK (last_error_kind IN ('connection_refused', 'connection_reset', 'unreachable',
                                     'timeout', 'tls', 'dns', 'http_status', 'redirect',
                                     'refused_by_policy', 'endpoint_removed', 'secret_unreadable',
                                     'network'))`);
    // Deliveries not tried yet are due now; the time of a retry scheduled before this release
    // is not known here (it stays null until that attempt).
    await q.query(`
      UPDATE webhook_deliveries SET next_attempt_at = created_at
       WHERE status = 'pending' AND attempts = 0`);
    // Earlier errors, classified by the texts the handler wrote.
    await q.query(`
      UPDATE webhook_deliveries SET last_error_kind = CASE
               WHEN last_error LIKE 'receiver answered 3__; redirects%' THEN 'redirect'
               WHEN last_error LIKE 'receiver answered %' THEN 'http_status'
               WHEN last_error LIKE 'refused: %' THEN 'refused_by_policy'
               WHEN last_error = 'the webhook was removed' THEN 'endpoint_removed'
               WHEN last_error = 'the signing secret could not be read' THEN 'secret_unreadable'
               ELSE 'network' END
       WHERE last_error IS NOT NULL`);
    await q.query(`
      CREATE INDEX ix_webhook_deliveries_company_status
          ON webhook_deliveries (company_id, status, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_webhook_deliveries_company_status`);
    await q.query(`
      ALTER TABLE webhook_deliveries
        DROP CONSTRAINT ck_webhook_deliveries_last_error_kind,
        DROP CONSTRAINT ck_webhook_deliveries_next_attempt,
        DROP COLUMN last_error_kind,
        DROP COLUMN next_attempt_at`);
  }
}
