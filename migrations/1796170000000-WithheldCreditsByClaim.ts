import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A reopened ticket's credit can be withheld in steps (each credit note after a lost dispute
 * withholds up to what it left uncollected) and restored: its withheld and restored entries are
 * summed by claim. A partial index: only those two kinds, so no earning or payout pays for it.
 */
export class WithheldCreditsByClaim1796170000000 implements MigrationInterface {
  name = 'WithheldCreditsByClaim1796170000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX ix_journal_entries_withheld_by_claim ON journal_entries (claim_id)
       WHERE kind IN ('credit_withheld', 'credit_restored')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_journal_entries_withheld_by_claim`);
  }
}
