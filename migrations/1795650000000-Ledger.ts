import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The double-entry ledger. Lines are signed minor units (debit positive, credit negative); every
 * entry has at least two lines and sums to zero per currency, checked by a deferred constraint
 * trigger at commit. Entries and lines are append-only: corrections are reversing entries.
 */
export class Ledger1795650000000 implements MigrationInterface {
  name = 'Ledger1795650000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- agent_pending, agent_available (owner: agent), company_receivable (owner: company),
        -- platform_fees, platform_clearing, platform_adjustments (no owner)
        code text NOT NULL CONSTRAINT ck_ledger_accounts_code CHECK (code IN (
          'agent_pending', 'agent_available', 'company_receivable',
          'platform_fees', 'platform_clearing', 'platform_adjustments')),
        owner_id uuid,
        currency char(3) NOT NULL CONSTRAINT ck_ledger_accounts_currency CHECK (currency ~ '^[A-Z]{3}$'),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_ledger_accounts UNIQUE NULLS NOT DISTINCT (code, owner_id, currency),
        CONSTRAINT uq_ledger_accounts_id_currency UNIQUE (id, currency),
        CONSTRAINT ck_ledger_accounts_owner CHECK ((code LIKE 'platform_%') = (owner_id IS NULL))
      )`);
    await q.query(`
      CREATE TABLE journal_entries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CONSTRAINT ck_journal_entries_kind CHECK (kind IN (
          'earning', 'earning_reversal', 'earning_release', 'adjustment', 'payout', 'payout_reversal')),
        -- what makes a posting happen once however often its cause is delivered
        idempotency_key text NOT NULL,
        agent_id uuid,
        company_id uuid,
        ticket_id uuid,
        claim_id uuid,
        payout_line_id uuid,
        reverses_entry_id uuid CONSTRAINT fk_journal_entries_reverses REFERENCES journal_entries (id),
        memo text,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_journal_entries_idempotency_key UNIQUE (idempotency_key)
      )`);
    await q.query(
      `CREATE INDEX ix_journal_entries_agent ON journal_entries (agent_id, created_at) WHERE agent_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX ix_journal_entries_company ON journal_entries (company_id, created_at) WHERE company_id IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE journal_lines (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        entry_id uuid NOT NULL CONSTRAINT fk_journal_lines_entry REFERENCES journal_entries (id),
        account_id uuid NOT NULL,
        amount_minor bigint NOT NULL CONSTRAINT ck_journal_lines_amount CHECK (amount_minor <> 0),
        currency char(3) NOT NULL,
        -- a line is in its account's currency
        CONSTRAINT fk_journal_lines_account FOREIGN KEY (account_id, currency)
          REFERENCES ledger_accounts (id, currency)
      )`);
    await q.query(`CREATE INDEX ix_journal_lines_entry ON journal_lines (entry_id)`);
    await q.query(`CREATE INDEX ix_journal_lines_account ON journal_lines (account_id)`);

    // Balanced entries, checked when the transaction commits (lines arrive one by one).
    await q.query(`
      CREATE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        lines int;
        unbalanced text;
      BEGIN
        SELECT count(*) INTO lines FROM journal_lines WHERE entry_id = NEW.entry_id;
        IF lines < 2 THEN
          RAISE EXCEPTION 'journal entry % has % line(s); at least 2 are needed', NEW.entry_id, lines
            USING ERRCODE = '23514', CONSTRAINT = 'ck_journal_entries_balanced';
        END IF;
        SELECT string_agg(currency || ' ' || total, ', ') INTO unbalanced FROM (
          SELECT currency, sum(amount_minor) AS total FROM journal_lines
           WHERE entry_id = NEW.entry_id GROUP BY currency HAVING sum(amount_minor) <> 0) s;
        IF unbalanced IS NOT NULL THEN
          RAISE EXCEPTION 'journal entry % does not balance: %', NEW.entry_id, unbalanced
            USING ERRCODE = '23514', CONSTRAINT = 'ck_journal_entries_balanced';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER trg_journal_lines_balanced AFTER INSERT ON journal_lines
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_balanced()`);
    // An entry without lines would escape the check above.
    await q.query(`
      CREATE FUNCTION journal_entry_has_lines() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = NEW.id) THEN
          RAISE EXCEPTION 'journal entry % has no lines', NEW.id
            USING ERRCODE = '23514', CONSTRAINT = 'ck_journal_entries_balanced';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER trg_journal_entries_has_lines AFTER INSERT ON journal_entries
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_has_lines()`);

    // Append-only.
    await q.query(`
      CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the ledger is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
          USING ERRCODE = '23514', CONSTRAINT = 'ck_ledger_append_only';
      END $$`);
    for (const table of ['journal_entries', 'journal_lines']) {
      await q.query(`
        CREATE TRIGGER trg_${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION ledger_append_only()`);
      await q.query(`
        CREATE TRIGGER trg_${table}_no_truncate BEFORE TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()`);
    }

    // What each resolved ticket earned and where it stands; the ledger holds the money.
    await q.query(`
      CREATE TABLE earnings (
        claim_id uuid PRIMARY KEY CONSTRAINT fk_earnings_claim REFERENCES ticket_claims (id),
        ticket_id uuid NOT NULL CONSTRAINT fk_earnings_ticket REFERENCES tickets (id),
        agent_id uuid NOT NULL CONSTRAINT fk_earnings_agent REFERENCES agents (user_id),
        company_id uuid NOT NULL CONSTRAINT fk_earnings_company REFERENCES companies (id),
        amount_minor bigint NOT NULL CONSTRAINT ck_earnings_amount CHECK (amount_minor > 0),
        fee_minor bigint NOT NULL CONSTRAINT ck_earnings_fee CHECK (fee_minor >= 0),
        currency char(3) NOT NULL,
        status text NOT NULL DEFAULT 'pending'
          CONSTRAINT ck_earnings_status CHECK (status IN ('pending', 'available', 'reversed')),
        earned_at timestamptz NOT NULL,
        available_at timestamptz NOT NULL,
        released_at timestamptz,
        reversed_at timestamptz
      )`);
    await q.query(`CREATE INDEX ix_earnings_agent ON earnings (agent_id, earned_at DESC)`);
    await q.query(`CREATE INDEX ix_earnings_company ON earnings (company_id, earned_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE earnings`);
    await q.query(`DROP TABLE journal_lines`);
    await q.query(`DROP TABLE journal_entries`);
    await q.query(`DROP TABLE ledger_accounts`);
    await q.query(`DROP FUNCTION journal_entry_balanced()`);
    await q.query(`DROP FUNCTION journal_entry_has_lines()`);
    await q.query(`DROP FUNCTION ledger_append_only()`);
  }
}
