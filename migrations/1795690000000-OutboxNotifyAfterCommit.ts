import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The relay is no longer woken by a trigger. A NOTIFY inside a transaction takes a
 * database-wide lock from just before its commit until the commit's WAL flush, so every
 * outbox-writing commit (a claim, an escalation, a seat) waited for the previous one's flush:
 * 64 connections inserting outbox rows did 228 commits/s with the trigger and 1,464/s without
 * (bench/intake). Writers now notify after their commit, debounced (OutboxService.poke).
 */
export class OutboxNotifyAfterCommit1795690000000 implements MigrationInterface {
  name = 'OutboxNotifyAfterCommit1795690000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER trg_outbox_notify ON outbox`);
    await q.query(`DROP FUNCTION outbox_notify()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('outbox', '');
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_outbox_notify AFTER INSERT ON outbox
      FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`);
  }
}
