import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexesConcurrently, dropIndexes, IndexSpec } from './support/concurrent-indexes';

const INDEXES: IndexSpec[] = [
  // An agent's pending offers (the router counts them for every candidate on every pass, and
  // before each offer under the agent's lock; the agent's offers bar lists them): they are a
  // handful, but ix_offers_agent_created walked the agent's whole history of offers to find them.
  ['ix_offers_agent_pending', "offers (agent_id) WHERE status = 'pending'"],
  // A company's pending offers past their lapse (the router's candidate window, every pass):
  // the whole platform's pending offers were read to find them. Not by expiry: claim-next's
  // check for a ticket's pending offer, by expiry alone, then read every company's through it.
  ['ix_offers_company_pending', "offers (company_id) WHERE status = 'pending'"],
  // A company's tickets with an agent, or withdrawn, newest first (the company's queue page
  // reads the first on every ticket event): few at any time, and the company's whole history
  // was walked (ix_tickets_company_created) to learn that there were no more. Only the sparse
  // states: an index of every ticket by status would cost every intake and every claim.
  [
    'ix_tickets_company_sparse_status',
    "tickets (company_id, status, created_at DESC, id DESC) WHERE status IN ('claimed', 'withdrawn')",
  ],
  // The agents who worked a company's shifts (the company's agent search, on each term typed):
  // every seat of every company was read. Covering: the search reads its seats' status and start.
  ['ix_shift_claims_company_agent', 'shift_claims (company_id, agent_id) INCLUDE (status, period)'],
];

/**
 * Reads that a table's growth made slow, found by a review of the schema against the queries
 * (2026-12-08); `npm run bench:matching` measures them at a million tickets with and without.
 * Built CONCURRENTLY (each table is written by hot paths), as SeatHistoryIndexes.
 */
export class SparseReadsIndexed1796710000000 implements MigrationInterface {
  name = 'SparseReadsIndexed1796710000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await createIndexesConcurrently(q, INDEXES);
    await q.query('ANALYZE offers');
    await q.query('ANALYZE tickets');
    await q.query('ANALYZE shift_claims');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropIndexes(q, INDEXES);
  }
}
