import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each message's place in its ticket's conversation: 1, 2, 3… Deliveries of `ticket.message`
 * webhooks run in parallel and retry on their own, so a bot can receive a ticket's messages
 * out of order; `seq` orders them but is global (it would tell every company the platform's
 * message volume), and `sent_at` is the transaction's start, which a writer queued behind the
 * ticket's lock can hold for a while. The number is given by a trigger from the ticket's last
 * one: writers hold the ticket's lock (TicketMessagesRepository), and the unique constraint
 * refuses a writer that did not. The backfill runs under the table's lock (the new column's):
 * conversations wait for it; on a large table, run it in a quiet hour.
 */
export class MessageNumbers1796280000000 implements MigrationInterface {
  name = 'MessageNumbers1796280000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ticket_messages ADD COLUMN number int`);
    await q.query(
      `UPDATE ticket_messages m SET number = n.number
         FROM (SELECT id, row_number() OVER (PARTITION BY ticket_id ORDER BY seq) AS number
                 FROM ticket_messages) n
        WHERE n.id = m.id`,
    );
    await q.query(`ALTER TABLE ticket_messages ALTER COLUMN number SET NOT NULL`);
    await q.query(
      `ALTER TABLE ticket_messages
         ADD CONSTRAINT uq_ticket_messages_number UNIQUE (ticket_id, number)`,
    );
    await q.query(`
      CREATE FUNCTION ticket_messages_number() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.number := coalesce(
          (SELECT max(number) FROM ticket_messages WHERE ticket_id = NEW.ticket_id), 0) + 1;
        RETURN NEW;
      END $$`);
    await q.query(
      `CREATE TRIGGER ticket_messages_number BEFORE INSERT ON ticket_messages
         FOR EACH ROW EXECUTE FUNCTION ticket_messages_number()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER ticket_messages_number ON ticket_messages`);
    await q.query(`DROP FUNCTION ticket_messages_number()`);
    await q.query(`ALTER TABLE ticket_messages DROP COLUMN number`);
  }
}
