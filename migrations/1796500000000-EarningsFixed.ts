import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two records the ledger acts on, fixed like its entries. An earning's amount, fee, currency and
 * parties are what its release and reversal post (read from the row, not the journal): an
 * UPDATE of one released or reversed a wrong amount without an error. Its status only moves
 * forward (pending to available or reversed, available to reversed), and it is never deleted;
 * its times may move (tests backdate them; no code does). `invoiced_entries` says which invoice
 * billed each entry: a row deleted made its entry billable again, to be invoiced twice.
 */
export class EarningsFixed1796500000000 implements MigrationInterface {
  name = 'EarningsFixed1796500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION earning_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE'
           OR (NEW.claim_id, NEW.ticket_id, NEW.agent_id, NEW.company_id, NEW.amount_minor,
               NEW.fee_minor, NEW.currency)
              IS DISTINCT FROM
              (OLD.claim_id, OLD.ticket_id, OLD.agent_id, OLD.company_id, OLD.amount_minor,
               OLD.fee_minor, OLD.currency)
           OR (NEW.status <> OLD.status AND NOT (
                (OLD.status = 'pending' AND NEW.status IN ('available', 'reversed'))
                OR (OLD.status = 'available' AND NEW.status = 'reversed'))) THEN
          RAISE EXCEPTION 'the ledger is append-only: % of the earning of claim % (%) is not allowed',
                TG_OP, OLD.claim_id, OLD.status
            USING ERRCODE = '23514', CONSTRAINT = 'ck_ledger_append_only';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_earnings_fixed BEFORE UPDATE OR DELETE ON earnings
      FOR EACH ROW EXECUTE FUNCTION earning_fixed()`);
    for (const table of ['earnings', 'invoiced_entries']) {
      await q.query(`
        CREATE TRIGGER trg_${table}_no_truncate BEFORE TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()`);
    }
    await q.query(`
      CREATE TRIGGER trg_invoiced_entries_append_only BEFORE UPDATE OR DELETE ON invoiced_entries
      FOR EACH ROW EXECUTE FUNCTION ledger_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER trg_invoiced_entries_append_only ON invoiced_entries`);
    for (const table of ['earnings', 'invoiced_entries']) {
      await q.query(`DROP TRIGGER trg_${table}_no_truncate ON ${table}`);
    }
    await q.query(`DROP TRIGGER trg_earnings_fixed ON earnings`);
    await q.query(`DROP FUNCTION earning_fixed()`);
  }
}
