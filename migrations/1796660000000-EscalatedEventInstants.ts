import { MigrationInterface, QueryRunner } from 'typeorm';

/** The trigger's body, its two instants written as `instant` says. */
const body = (instant: (column: string) => string) => `
  CREATE OR REPLACE FUNCTION events_ticket_escalated() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO events (type, company_id, data, occurred_at)
    VALUES ('ticket.escalated', NEW.company_id,
            jsonb_build_object(
              'eventId', gen_random_uuid(), 'ticketId', NEW.id, 'companyId', NEW.company_id,
              'externalId', NEW.external_id, 'agentId', NULL, 'claimId', NULL,
              'occurredAt', ${instant('NEW.created_at')},
              'data', jsonb_build_object('subject', NEW.subject,
                                         'slaDeadline', ${instant('NEW.sla_deadline')})),
            NEW.created_at);
    RETURN NULL;
  END $$`;

/**
 * `ticket.escalated`'s instants as every other event and answer gives them, in UTC with
 * milliseconds (`…T09:01:00.123Z`): the trigger wrote `to_jsonb` of a timestamptz, in the
 * session's zone with microseconds (`…T09:01:00.123456+00:00`), so its `slaDeadline` did not
 * equal the escalation's own as a string. Events already written keep their text.
 */
export class EscalatedEventInstants1796660000000 implements MigrationInterface {
  name = 'EscalatedEventInstants1796660000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(body((c) => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(body((c) => c));
  }
}
