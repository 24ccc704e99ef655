import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency-Key with Stripe's semantics (issue 14): one row per caller scope and key, taken
 * by the first request (in_progress, with a lease its owner renews) and holding the answer once
 * it is known (completed). A lease that ran out means the owner died: the key is taken over.
 * Rows expire after IDEMPOTENCY_KEY_TTL_HOURS; expired rows count as absent and are purged in
 * batches through the expires_at index (src/modules/idempotency).
 */
export class IdempotencyKeys1795880000000 implements MigrationInterface {
  name = 'IdempotencyKeys1795880000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE idempotency_keys (
        scope text NOT NULL,
        idempotency_key text NOT NULL,
        method text NOT NULL,
        route text NOT NULL,
        path text NOT NULL,
        request_hash text NOT NULL,
        state text NOT NULL,
        lease_token uuid,
        locked_until timestamptz,
        response_status smallint,
        response_body text,
        response_headers jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        expires_at timestamptz NOT NULL,
        CONSTRAINT pk_idempotency_keys PRIMARY KEY (scope, idempotency_key),
        CONSTRAINT ck_idempotency_keys_key
          CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
        CONSTRAINT ck_idempotency_keys_state CHECK (state IN ('in_progress', 'completed')),
        CONSTRAINT ck_idempotency_keys_lease
          CHECK ((state = 'in_progress') = (lease_token IS NOT NULL AND locked_until IS NOT NULL)),
        CONSTRAINT ck_idempotency_keys_response
          CHECK ((state = 'completed') = (response_status IS NOT NULL AND response_body IS NOT NULL
                                          AND response_headers IS NOT NULL
                                          AND completed_at IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX ix_idempotency_keys_expires_at ON idempotency_keys (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
  }
}
