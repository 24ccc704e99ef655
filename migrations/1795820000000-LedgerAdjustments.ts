import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finance adjustments get their own record: a business reference unique forever (the same
 * reference can never post twice, whoever sends it), and a maker-checker state for large ones
 * (pending until another finance user approves or rejects; cancelled by its creator; expired
 * after 7 days). Only a posted adjustment has a journal entry.
 */
export class LedgerAdjustments1795820000000 implements MigrationInterface {
  name = 'LedgerAdjustments1795820000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_adjustments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        reference text NOT NULL CONSTRAINT uq_ledger_adjustments_reference UNIQUE
          CONSTRAINT ck_ledger_adjustments_reference CHECK (reference ~ '^[A-Za-z0-9._:-]{3,100}$'),
        agent_id uuid NOT NULL CONSTRAINT fk_ledger_adjustments_agent REFERENCES agents (user_id),
        amount_minor bigint NOT NULL CONSTRAINT ck_ledger_adjustments_amount CHECK (amount_minor <> 0),
        currency char(3) NOT NULL CONSTRAINT ck_ledger_adjustments_currency CHECK (currency ~ '^[A-Z]{3}$'),
        reason text NOT NULL,
        status text NOT NULL CONSTRAINT ck_ledger_adjustments_status CHECK (status IN (
          'pending', 'posted', 'rejected', 'cancelled', 'expired')),
        created_by uuid NOT NULL CONSTRAINT fk_ledger_adjustments_created_by REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        -- a pending adjustment lapses at this time unless decided
        expires_at timestamptz,
        decided_by uuid CONSTRAINT fk_ledger_adjustments_decided_by REFERENCES users (id),
        decided_at timestamptz,
        decision_note text,
        entry_id uuid CONSTRAINT uq_ledger_adjustments_entry UNIQUE
          CONSTRAINT fk_ledger_adjustments_entry REFERENCES journal_entries (id),
        CONSTRAINT ck_ledger_adjustments_posted CHECK ((status = 'posted') = (entry_id IS NOT NULL)),
        CONSTRAINT ck_ledger_adjustments_pending CHECK (status <> 'pending' OR expires_at IS NOT NULL),
        -- maker-checker: whoever made it cannot approve or reject it
        CONSTRAINT ck_ledger_adjustments_maker_checker CHECK (
          status NOT IN ('posted', 'rejected') OR decided_by IS NULL OR decided_by <> created_by)
      )`);
    await q.query(
      `CREATE INDEX ix_ledger_adjustments_created ON ledger_adjustments (created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX ix_ledger_adjustments_pending ON ledger_adjustments (expires_at)
        WHERE status = 'pending'`,
    );
    // Adjustments posted before this record existed keep their entries, under a made-up reference.
    await q.query(`
      INSERT INTO ledger_adjustments (reference, agent_id, amount_minor, currency, reason, status,
                                      created_by, created_at, entry_id)
      SELECT 'legacy-' || e.id, e.agent_id, -l.amount_minor, l.currency, coalesce(e.memo, ''),
             'posted', e.created_by, e.created_at, e.id
        FROM journal_entries e
        JOIN journal_lines l ON l.entry_id = e.id
        JOIN ledger_accounts a ON a.id = l.account_id AND a.code = 'agent_available'
       WHERE e.kind = 'adjustment' AND e.created_by IS NOT NULL AND e.agent_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger_adjustments`);
  }
}
