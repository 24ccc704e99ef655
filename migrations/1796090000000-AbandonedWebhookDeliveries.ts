import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A delivery whose job failed for good before its last attempt was recorded (that write failed,
 * or its worker kept dying) no longer stays `pending` for ever: the worker's sweep fails it with
 * the error kind `outcome_unknown` (WebhookDeliveryHandler.gaveUp). `chain` counts redeliveries
 * and each job carries the one it belongs to, so that an old job giving up never touches a
 * retry chain begun after it (an order kept by the database alone, not by two clocks).
 */
export class AbandonedWebhookDeliveries1796090000000 implements MigrationInterface {
  name = 'AbandonedWebhookDeliveries1796090000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE webhook_deliveries
        ADD COLUMN chain int NOT NULL DEFAULT 0,
        DROP CONSTRAINT ck_webhook_deliveries_last_error_kind,
        ADD CONSTRAINT ck_webhook_deliveries_last_error_kind
          CHECK (last_error_kind IN ('connection_refused', 'connection_reset', 'unreachable',
                                     'timeout', 'tls', 'dns', 'http_status', 'redirect',
                                     'refused_by_policy', 'endpoint_removed', 'secret_unreadable',
                                     'network', 'outcome_unknown'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_deliveries DROP COLUMN chain`);
    await q.query(`
      UPDATE webhook_deliveries SET last_error_kind = 'network'
       WHERE last_error_kind = 'outcome_unknown'`);
    await q.query(`
      ALTER TABLE webhook_deliveries
        DROP CONSTRAINT ck_webhook_deliveries_last_error_kind,
        ADD CONSTRAINT ck_webhook_deliveries_last_error_kind
          CHECK (last_error_kind IN ('connection_refused', 'connection_reset', 'unreachable',
                                     'timeout', 'tls', 'dns', 'http_status', 'redirect',
                                     'refused_by_policy', 'endpoint_removed', 'secret_unreadable',
                                     'network'))`);
  }
}
