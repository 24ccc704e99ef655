import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The X-Request-Id of the HTTP request (or of the job) that wrote an outbox row, so its job,
 * the jobs that job starts and the webhooks they send carry it on (src/common/http/
 * request-context.ts). Null for rows nothing traced (the CLI, SQL functions). Adding a nullable
 * column without a default is a catalogue change only: no table rewrite.
 */
export class OutboxRequestId1795890000000 implements MigrationInterface {
  name = 'OutboxRequestId1795890000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox ADD COLUMN request_id text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox DROP COLUMN request_id`);
  }
}
