import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where the conversation stood when a claim was resolved: the ticket's last message (its
 * `seq`), recorded as the claim becomes resolved. Every message write and every resolution hold
 * the ticket's lock, so this is exact, where the resolution's time was not (`now()` is when its
 * transaction began, and a message written while it waited for the lock came after it in time
 * yet before it in the conversation). An agent who resolved a ticket later reopened reads the
 * conversation up to here. Claims resolved before this keep NULL, read by the old time cut-off.
 */
export class ResolvedConversationEnd1796140000000 implements MigrationInterface {
  name = 'ResolvedConversationEnd1796140000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ticket_claims ADD COLUMN resolved_seq bigint`);
    await q.query(`
      CREATE FUNCTION ticket_claims_resolved_seq() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.resolved_seq := coalesce(
          (SELECT max(seq) FROM ticket_messages WHERE ticket_id = NEW.ticket_id), 0);
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_ticket_claims_resolved_seq BEFORE UPDATE OF status ON ticket_claims
      FOR EACH ROW WHEN (NEW.status = 'resolved' AND OLD.status = 'active')
      EXECUTE FUNCTION ticket_claims_resolved_seq()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER trg_ticket_claims_resolved_seq ON ticket_claims`);
    await q.query(`DROP FUNCTION ticket_claims_resolved_seq()`);
    await q.query(`ALTER TABLE ticket_claims DROP COLUMN resolved_seq`);
  }
}
