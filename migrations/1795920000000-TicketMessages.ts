import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The conversation on a ticket (issue 15): messages between the holding agent and the customer
 * (relayed by the company's bot), and agents' internal notes. A new ticket status, `withdrawn`
 * (the customer left or was helped elsewhere), reachable from open and claimed and final; two
 * new ways a claim ends: `transfer` (the holder sent it back with other skills) and `withdrawn`.
 */
export class TicketMessages1795920000000 implements MigrationInterface {
  name = 'TicketMessages1795920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ticket_messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- the conversation's order (arrival); the ticket's lock serialises writers per ticket
        seq bigint GENERATED ALWAYS AS IDENTITY,
        ticket_id uuid NOT NULL CONSTRAINT fk_ticket_messages_ticket REFERENCES tickets (id),
        company_id uuid NOT NULL CONSTRAINT fk_ticket_messages_company REFERENCES companies (id),
        author text NOT NULL CONSTRAINT ck_ticket_messages_author
          CHECK (author IN ('agent', 'customer', 'bot')),
        -- an agent's message: who, and the claim it was written under (withdraw pays on it)
        agent_id uuid CONSTRAINT fk_ticket_messages_agent REFERENCES agents (user_id),
        claim_id uuid CONSTRAINT fk_ticket_messages_claim REFERENCES ticket_claims (id),
        visibility text NOT NULL CONSTRAINT ck_ticket_messages_visibility
          CHECK (visibility IN ('customer', 'internal')),
        body text NOT NULL CONSTRAINT ck_ticket_messages_body
          CHECK (length(body) BETWEEN 1 AND 4000),
        -- the bot's own id for a customer's or bot's message (its retries dedupe on it)
        external_message_id text CONSTRAINT ck_ticket_messages_external_id
          CHECK (length(external_message_id) BETWEEN 1 AND 200),
        sent_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_ticket_messages_seq UNIQUE (seq),
        CONSTRAINT uq_ticket_messages_external_id UNIQUE (ticket_id, external_message_id),
        CONSTRAINT ck_ticket_messages_who CHECK (
          (author = 'agent' AND agent_id IS NOT NULL AND claim_id IS NOT NULL
             AND external_message_id IS NULL)
          OR (author <> 'agent' AND agent_id IS NULL AND claim_id IS NULL
             AND external_message_id IS NOT NULL AND visibility = 'customer'))
      )`);
    await q.query(`CREATE INDEX ix_ticket_messages_ticket ON ticket_messages (ticket_id, seq)`);
    // "Did the holder already write to the customer?" (a withdraw's pay).
    await q.query(
      `CREATE INDEX ix_ticket_messages_claim ON ticket_messages (claim_id)
        WHERE visibility = 'customer' AND claim_id IS NOT NULL`,
    );

    await q.query(`
      ALTER TABLE tickets
        ADD COLUMN withdrawn_at timestamptz,
        ADD COLUMN withdraw_reason text,
        DROP CONSTRAINT ck_tickets_status,
        ADD CONSTRAINT ck_tickets_status
          CHECK (status IN ('open', 'claimed', 'resolved', 'withdrawn')),
        ADD CONSTRAINT ck_tickets_withdrawn CHECK ((status = 'withdrawn') = (withdrawn_at IS NOT NULL))`);
    await q.query(`
      CREATE OR REPLACE FUNCTION tickets_transition() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
             (OLD.status = 'open' AND NEW.status IN ('claimed', 'withdrawn'))
          OR (OLD.status = 'claimed' AND NEW.status IN ('open', 'resolved', 'withdrawn'))
          OR (OLD.status = 'resolved' AND NEW.status = 'open')
        ) THEN
          RAISE EXCEPTION 'ticket cannot go from % to %', OLD.status, NEW.status
            USING ERRCODE = '23514', CONSTRAINT = 'ck_tickets_transition';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      ALTER TABLE ticket_claims
        DROP CONSTRAINT ck_ticket_claims_released_by,
        ADD CONSTRAINT ck_ticket_claims_released_by
          CHECK (released_by IN ('agent', 'handle_timeout', 'shift_end', 'suspension',
                                 'transfer', 'withdrawn'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ticket_claims
        DROP CONSTRAINT ck_ticket_claims_released_by,
        ADD CONSTRAINT ck_ticket_claims_released_by
          CHECK (released_by IN ('agent', 'handle_timeout', 'shift_end', 'suspension'))`);
    await q.query(`
      CREATE OR REPLACE FUNCTION tickets_transition() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
             (OLD.status = 'open' AND NEW.status = 'claimed')
          OR (OLD.status = 'claimed' AND NEW.status IN ('open', 'resolved'))
          OR (OLD.status = 'resolved' AND NEW.status = 'open')
        ) THEN
          RAISE EXCEPTION 'ticket cannot go from % to %', OLD.status, NEW.status
            USING ERRCODE = '23514', CONSTRAINT = 'ck_tickets_transition';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      ALTER TABLE tickets
        DROP CONSTRAINT ck_tickets_withdrawn,
        DROP CONSTRAINT ck_tickets_status,
        ADD CONSTRAINT ck_tickets_status CHECK (status IN ('open', 'claimed', 'resolved')),
        DROP COLUMN withdraw_reason,
        DROP COLUMN withdrawn_at`);
    await q.query(`DROP TABLE ticket_messages`);
  }
}
