import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexesConcurrently, dropIndexes, IndexSpec } from './support/concurrent-indexes';

const INDEXES: IndexSpec[] = [
  [
    'ix_events_admins_company',
    'events (admins_company_id, position) WHERE admins_company_id IS NOT NULL AND position IS NOT NULL',
  ],
];

/**
 * A company admin's page of events reads its notes along this index, beside `ix_events_company`
 * (EventsRepository.pageOf). Built CONCURRENTLY, so outside a transaction: every claim, resolve
 * and message writes an event, and a plain CREATE INDEX would hold those writes while it scans
 * the events kept (the retention's days).
 */
export class EventsForCompanyAdminsIndex1796570000000 implements MigrationInterface {
  name = 'EventsForCompanyAdminsIndex1796570000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexesConcurrently(q, INDEXES);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropIndexes(q, INDEXES);
  }
}
