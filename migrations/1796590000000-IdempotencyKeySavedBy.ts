import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The id of the last transaction of a keyed request that wrote, written in that transaction
 * itself (KeyedCommits): a key whose request saved something, and whose process then died or
 * could not store the answer, is no longer taken over when its lease runs out (which ran the
 * request a second time); the next request with it is answered OUTCOME_UNKNOWN. A new column
 * with no default: no rewrite, a brief lock.
 */
export class IdempotencyKeySavedBy1796590000000 implements MigrationInterface {
  name = 'IdempotencyKeySavedBy1796590000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idempotency_keys ADD COLUMN saved_by_xid bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idempotency_keys DROP COLUMN saved_by_xid`);
  }
}
