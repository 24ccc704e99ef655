import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexesConcurrently, dropIndexes, IndexSpec } from './support/concurrent-indexes';

const INDEXES: IndexSpec[] = [
  [
    'ix_ticket_claims_request_key',
    'ticket_claims (agent_id, request_key) WHERE request_key IS NOT NULL',
  ],
];

/**
 * Every keyed claim-next looks for a claim its key made already (ClaimNextKeyed): one probe of
 * this index, rather than a walk through the agent's claims of the key's lifetime. Only keyed
 * claims are in it. Built CONCURRENTLY: every claim and resolve writes ticket_claims.
 */
export class ClaimKeysIndexed1796610000000 implements MigrationInterface {
  name = 'ClaimKeysIndexed1796610000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexesConcurrently(q, INDEXES);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropIndexes(q, INDEXES);
  }
}
