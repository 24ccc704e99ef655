import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Credit control (issue 18). `credit_controls` (billing) holds each company's credit limit
 * (null: the configured default), the hold billing computed last (over the limit, or an
 * invoice past due beyond the grace period) with the figures it named, and finance's lift of
 * it. Escalations arriving under a hold are still taken, and flagged (`tickets.billing_hold`).
 * `invoices.past_due_since` dates the first failed charge of an invoice still unpaid.
 */
export class CreditControl1795990000000 implements MigrationInterface {
  name = 'CreditControl1795990000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE credit_controls (
        company_id uuid PRIMARY KEY CONSTRAINT fk_credit_controls_company REFERENCES companies (id),
        credit_limit_minor bigint CONSTRAINT ck_credit_controls_limit CHECK (credit_limit_minor >= 0),
        hold_reason text CONSTRAINT ck_credit_controls_hold_reason CHECK (
          hold_reason IN ('credit_limit', 'past_due')),
        hold_since timestamptz,
        hold_details jsonb,
        lifted_until timestamptz,
        lifted_by uuid,
        lift_reason text,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_credit_controls_hold CHECK ((hold_reason IS NULL) = (hold_since IS NULL)),
        CONSTRAINT ck_credit_controls_lift CHECK (
          (lifted_until IS NULL) = (lifted_by IS NULL) AND (lifted_until IS NULL) = (lift_reason IS NULL))
      )`);
    await q.query(`ALTER TABLE invoices ADD COLUMN past_due_since timestamptz`);
    await q.query(`ALTER TABLE tickets ADD COLUMN billing_hold boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tickets DROP COLUMN billing_hold`);
    await q.query(`ALTER TABLE invoices DROP COLUMN past_due_since`);
    await q.query(`DROP TABLE credit_controls`);
  }
}
