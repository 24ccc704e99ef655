import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger's accounts and its adjustments' records are as fixed as its entries and lines.
 * An account's owner, code or currency changed by an UPDATE would move its whole balance to
 * another owner without an entry; a decided adjustment's record (its amount, its agent, who
 * made it) could drift from the entry it made. Accounts are never updated or deleted; an
 * adjustment changes only while pending (posted, rejected, cancelled or expired once), and its
 * request (reference, agent, amount, currency, reason, maker) never.
 */
export class LedgerRecordsFixed1796430000000 implements MigrationInterface {
  name = 'LedgerRecordsFixed1796430000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TRIGGER trg_ledger_accounts_append_only BEFORE UPDATE OR DELETE ON ledger_accounts
      FOR EACH ROW EXECUTE FUNCTION ledger_append_only()`);
    await q.query(`
      CREATE TRIGGER trg_ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()`);
    await q.query(`
      CREATE FUNCTION ledger_adjustment_decided_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' OR OLD.status <> 'pending'
           OR (NEW.reference, NEW.agent_id, NEW.amount_minor, NEW.currency, NEW.reason,
               NEW.created_by, NEW.created_at)
              IS DISTINCT FROM
              (OLD.reference, OLD.agent_id, OLD.amount_minor, OLD.currency, OLD.reason,
               OLD.created_by, OLD.created_at) THEN
          RAISE EXCEPTION 'the ledger is append-only: % of adjustment % (%) is not allowed',
                TG_OP, OLD.id, OLD.status
            USING ERRCODE = '23514', CONSTRAINT = 'ck_ledger_append_only';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_ledger_adjustments_decided_once BEFORE UPDATE OR DELETE ON ledger_adjustments
      FOR EACH ROW EXECUTE FUNCTION ledger_adjustment_decided_once()`);
    await q.query(`
      CREATE TRIGGER trg_ledger_adjustments_no_truncate BEFORE TRUNCATE ON ledger_adjustments
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER trg_ledger_adjustments_no_truncate ON ledger_adjustments`);
    await q.query(`DROP TRIGGER trg_ledger_adjustments_decided_once ON ledger_adjustments`);
    await q.query(`DROP FUNCTION ledger_adjustment_decided_once()`);
    await q.query(`DROP TRIGGER trg_ledger_accounts_no_truncate ON ledger_accounts`);
    await q.query(`DROP TRIGGER trg_ledger_accounts_append_only ON ledger_accounts`);
  }
}
