import { MigrationInterface, QueryRunner } from 'typeorm';

/** Agents' Stripe Connect accounts, payout runs and their lines, and received Stripe events. */
export class Payouts1795660000000 implements MigrationInterface {
  name = 'Payouts1795660000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payout_accounts (
        agent_id uuid PRIMARY KEY CONSTRAINT fk_payout_accounts_agent REFERENCES agents (user_id),
        stripe_account_id text NOT NULL CONSTRAINT uq_payout_accounts_stripe UNIQUE,
        payouts_enabled boolean NOT NULL DEFAULT false,
        details_submitted boolean NOT NULL DEFAULT false,
        requirements text[] NOT NULL DEFAULT '{}',
        -- "created" of the newest Stripe event applied: older ones arriving late are ignored
        stripe_state_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE payout_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        currency char(3) NOT NULL CONSTRAINT ck_payout_runs_currency CHECK (currency ~ '^[A-Z]{3}$'),
        cutoff timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'draft' CONSTRAINT ck_payout_runs_status CHECK (status IN (
          'draft', 'approved', 'executing', 'completed', 'completed_with_failures', 'cancelled')),
        created_by uuid NOT NULL CONSTRAINT fk_payout_runs_created_by REFERENCES users (id),
        approved_by uuid CONSTRAINT fk_payout_runs_approved_by REFERENCES users (id),
        approved_at timestamptz,
        executed_at timestamptz,
        completed_at timestamptz,
        cancelled_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- maker-checker: whoever drafts a run cannot approve it
        CONSTRAINT ck_payout_runs_maker_checker CHECK (approved_by IS NULL OR approved_by <> created_by)
      )`);
    // One run at a time per currency, so no two runs pay out the same balance.
    await q.query(`
      CREATE UNIQUE INDEX uq_payout_runs_open ON payout_runs (currency)
       WHERE status IN ('draft', 'approved', 'executing')`);
    await q.query(`
      CREATE TABLE payout_lines (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        run_id uuid NOT NULL CONSTRAINT fk_payout_lines_run REFERENCES payout_runs (id),
        agent_id uuid NOT NULL CONSTRAINT fk_payout_lines_agent REFERENCES agents (user_id),
        stripe_account_id text,
        amount_minor bigint NOT NULL,
        currency char(3) NOT NULL,
        status text NOT NULL CONSTRAINT ck_payout_lines_status CHECK (status IN (
          'held', 'pending', 'processing', 'paid', 'failed')),
        held_reason text CONSTRAINT ck_payout_lines_held_reason CHECK (held_reason IN (
          'no_account', 'payouts_disabled', 'below_minimum', 'negative_balance', 'unsettled_line')),
        -- recorded before any call: every retry of this line sends the same key
        idempotency_key text NOT NULL CONSTRAINT uq_payout_lines_idempotency_key UNIQUE,
        stripe_transfer_id text CONSTRAINT uq_payout_lines_transfer UNIQUE,
        attempts int NOT NULL DEFAULT 0,
        failure_code text,
        -- Stripe refused (4xx): no transfer exists, so a retry may use a fresh key
        failure_permanent boolean NOT NULL DEFAULT false,
        failure_message text,
        reversed_minor bigint NOT NULL DEFAULT 0,
        paid_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_payout_lines_run_agent UNIQUE (run_id, agent_id),
        CONSTRAINT ck_payout_lines_held CHECK ((status = 'held') = (held_reason IS NOT NULL)),
        CONSTRAINT ck_payout_lines_paid CHECK (status <> 'paid' OR (stripe_transfer_id IS NOT NULL AND paid_at IS NOT NULL)),
        CONSTRAINT ck_payout_lines_amount CHECK (status = 'held' OR amount_minor > 0)
      )`);
    await q.query(`CREATE INDEX ix_payout_lines_run_status ON payout_lines (run_id, status)`);
    await q.query(`
      CREATE TABLE stripe_events (
        id text PRIMARY KEY,
        type text NOT NULL,
        account text,
        created timestamptz NOT NULL,
        payload jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stripe_events`);
    await q.query(`DROP TABLE payout_lines`);
    await q.query(`DROP TABLE payout_runs`);
    await q.query(`DROP TABLE payout_accounts`);
  }
}
