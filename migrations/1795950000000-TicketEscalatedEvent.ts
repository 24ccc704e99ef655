import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `ticket.escalated` in the events store (issue 17): a company's live queue learns of a new
 * escalation from its stream, as it learns of claims and resolutions. A trigger on tickets
 * writes it in the inserting transaction (the intake's single statement stays one statement).
 * No webhook goes with it: the bot that escalated already knows.
 */
export class TicketEscalatedEvent1795950000000 implements MigrationInterface {
  name = 'TicketEscalatedEvent1795950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION events_ticket_escalated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO events (type, company_id, data, occurred_at)
        VALUES ('ticket.escalated', NEW.company_id,
                jsonb_build_object(
                  'eventId', gen_random_uuid(), 'ticketId', NEW.id, 'companyId', NEW.company_id,
                  'externalId', NEW.external_id, 'agentId', NULL, 'claimId', NULL,
                  'occurredAt', NEW.created_at,
                  'data', jsonb_build_object('subject', NEW.subject,
                                             'slaDeadline', NEW.sla_deadline)),
                NEW.created_at);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER tr_tickets_escalated_event AFTER INSERT ON tickets
        FOR EACH ROW EXECUTE FUNCTION events_ticket_escalated()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER tr_tickets_escalated_event ON tickets`);
    await q.query(`DROP FUNCTION events_ticket_escalated()`);
  }
}
