import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { cursorInstant, KeyedRow } from '../../database/sql';

/** An `earnings` row: one per resolved claim, pending → available, or reversed. */
export interface EarningRow {
  claim_id: string;
  ticket_id: string;
  agent_id: string;
  company_id: string;
  amount_minor: string;
  fee_minor: string;
  currency: string;
  status: 'pending' | 'available' | 'reversed';
  earned_at: Date;
  available_at: Date;
  released_at: Date | null;
  reversed_at: Date | null;
}

/** A company statement's line: the earning and its ticket's external id. */
export type StatementRow = Pick<
  EarningRow,
  | 'ticket_id'
  | 'claim_id'
  | 'agent_id'
  | 'earned_at'
  | 'currency'
  | 'amount_minor'
  | 'fee_minor'
  | 'status'
>;

/** Where a page of a company's statement ends: its last line's sort key. */
export interface StatementCursor {
  earnedAt: string;
  claimId: string;
}

/** One currency's sums over a statement's period (bigint sums as text, as pg gives them). */
export interface StatementTotalRow {
  currency: string;
  tickets: number;
  rate_minor: string;
  fee_minor: string;
}

/** A reopened claim's earning that is not reversed, and when the claim was reopened. */
export type UnreversedRow = Pick<
  EarningRow,
  'claim_id' | 'ticket_id' | 'agent_id' | 'company_id' | 'amount_minor' | 'currency' | 'status'
> & { reopened_at: Date };

/** An agent's pending balance beside its pending earnings (bigint sums as text). */
export interface PendingMismatchRow {
  agent_id: string;
  currency: string;
  ledger_minor: string;
  earnings_minor: string;
}

/** A resolution with no earning (the integrity report). */
export interface UnbookedRow {
  claim_id: string;
  ticket_id: string;
  agent_id: string;
  company_id: string;
  resolved_at: Date;
  amount_minor: string;
  currency: string;
}

/** What an earning is booked with (the claim's rate, the fee, when the reopen window ends). */
export interface EarningInsert {
  claimId: string;
  ticketId: string;
  agentId: string;
  companyId: string;
  amountMinor: number;
  feeMinor: number;
  currency: string;
  earnedAt: Date;
  availableAt: Date;
}

/**
 * When an earning may be released (lockByClaimWithDue says why), with the reopen window in
 * hours as the query's $2.
 */
const DUE_AT = `greatest(available_at, earned_at + make_interval(secs => $2::float8 * 3600)
                                       + interval '1 millisecond')`;

/** An earning pending past its release (pendingPastDue). */
export interface PendingPastDueRow {
  claim_id: string;
  ticket_id: string;
  agent_id: string;
  amount_minor: string;
  currency: string;
  due_at: Date;
}

@Injectable()
export class EarningsRepository {
  /** False when the claim already has its earning (a duplicated or late event). */
  async insertIfNew(em: EntityManager, e: EarningInsert): Promise<boolean> {
    const [created]: unknown[] = await em.query(
      `INSERT INTO earnings (claim_id, ticket_id, agent_id, company_id, amount_minor, fee_minor,
                             currency, earned_at, available_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (claim_id) DO NOTHING RETURNING claim_id`,
      [
        e.claimId,
        e.ticketId,
        e.agentId,
        e.companyId,
        e.amountMinor,
        e.feeMinor,
        e.currency,
        e.earnedAt,
        e.availableAt,
      ],
    );
    return !!created;
  }

  /**
   * A calendar month (`YYYY-MM`) as the instants of midnight of its 1st and of the next
   * month's in a zone, by PostgreSQL (summer time included), as the invoices' periods are.
   */
  async monthIn(em: EntityManager, month: string, timeZone: string): Promise<[string, string]> {
    const [row]: { start: Date; end: Date }[] = await em.query(
      `SELECT to_date($1, 'YYYY-MM')::timestamp AT TIME ZONE $2 AS start,
              (to_date($1, 'YYYY-MM') + interval '1 month') AT TIME ZONE $2 AS "end"`,
      [month, timeZone],
    );
    return [row.start.toISOString(), row.end.toISOString()];
  }

  /**
   * One keyset page of a company's earnings in [from, to) after `after`, by time of resolution;
   * the claim's id breaks ties (one earning per claim), so no two rows share a position. Read
   * along ix_earnings_company_earned, which stops at the page's end.
   */
  pageOfCompany(
    em: EntityManager,
    companyId: string,
    period: { from: string; to: string },
    after: StatementCursor | null,
    limit: number,
  ): Promise<KeyedRow<StatementRow>[]> {
    return em.query(
      `SELECT ${cursorInstant('earned_at')}, ticket_id, claim_id, agent_id, earned_at, currency,
              amount_minor, fee_minor, status
         FROM earnings
        WHERE company_id = $1 AND earned_at >= $2 AND earned_at < $3
          AND ($4::timestamptz IS NULL OR (earned_at, claim_id) > ($4::timestamptz, $5::uuid))
        ORDER BY earned_at, claim_id LIMIT $6`,
      [companyId, period.from, period.to, after?.earnedAt ?? null, after?.claimId ?? null, limit],
    );
  }

  /** Per currency, what a company owes for [from, to): every earning but the reversed ones. */
  totalsOfCompany(
    em: EntityManager,
    companyId: string,
    period: { from: string; to: string },
  ): Promise<StatementTotalRow[]> {
    return em.query(
      `SELECT currency, count(*)::int AS tickets, sum(amount_minor)::text AS rate_minor,
              sum(fee_minor)::text AS fee_minor
         FROM earnings
        WHERE company_id = $1 AND earned_at >= $2 AND earned_at < $3 AND status <> 'reversed'
        GROUP BY currency ORDER BY currency`,
      [companyId, period.from, period.to],
    );
  }

  /**
   * Claims reopened up to `before` whose earning is not reversed, oldest reopen first, at most
   * `limit`: one join over ticket_claims (a declared exception to table ownership, as
   * `unbookedResolutions`). It walks the reopened claims alone, in this order, along
   * ix_ticket_claims_reopened, sets aside those whose earning is reversed (nearly all) from
   * ix_earnings_reversed without reading either table, and stops at `limit`. A claim reopened
   * before it was booked has no earning and is not listed.
   */
  reopenedNotReversed(em: EntityManager, before: Date, limit: number): Promise<UnreversedRow[]> {
    return em.query(
      `SELECT e.claim_id, e.ticket_id, e.agent_id, e.company_id, e.amount_minor, e.currency,
              e.status, tc.reopened_at
         FROM ticket_claims tc
         JOIN earnings e ON e.claim_id = tc.id
        WHERE tc.reopened_at IS NOT NULL AND tc.reopened_at <= $1
          AND NOT EXISTS (SELECT 1 FROM earnings r
                           WHERE r.claim_id = tc.id AND r.status = 'reversed')
          AND e.status <> 'reversed'
        ORDER BY tc.reopened_at, tc.id
        LIMIT $2`,
      [before, limit],
    );
  }

  /**
   * Resolutions (claims resolved and not reopened) before `before` with no earning, oldest
   * first, at most `limit`: one anti-join over ticket_claims, a declared exception to table
   * ownership (table-owners.ts). 0.46 s at a million claims, where paging them through the
   * tickets service took 8.7 s (5,000 random heap reads a page, by uuid).
   */
  unbookedResolutions(em: EntityManager, before: Date, limit: number): Promise<UnbookedRow[]> {
    return em.query(
      `SELECT tc.id AS claim_id, tc.ticket_id, tc.agent_id, tc.company_id, tc.resolved_at,
              tc.rate_amount_minor AS amount_minor, tc.rate_currency AS currency
         FROM ticket_claims tc
        WHERE tc.status = 'resolved' AND tc.reopened_at IS NULL AND tc.resolved_at < $1
          AND NOT EXISTS (SELECT 1 FROM earnings e WHERE e.claim_id = tc.id)
        ORDER BY tc.resolved_at, tc.id
        LIMIT $2`,
      [before, limit],
    );
  }

  async lockByClaim(em: EntityManager, claimId: string): Promise<EarningRow | undefined> {
    const [earning]: EarningRow[] = await em.query(
      'SELECT * FROM earnings WHERE claim_id = $1 FOR UPDATE',
      [claimId],
    );
    return earning;
  }

  /**
   * The earning, locked, with when it may be released: its `available_at`, or later if the reopen
   * window is longer now than when it was booked (REOPEN_WINDOW_HOURS raised since, or booked
   * by a process that still had the shorter value during a deploy; a releasing process that
   * still has it releases early): the tickets service allows a reopen by the window as it is
   * now, and that reopen must find the money still pending. `earned_at` came from a JavaScript
   * Date (milliseconds) while the ticket's `resolved_at` has microseconds: one millisecond more
   * keeps the release from landing inside the window's last millisecond.
   */
  async lockByClaimWithDue(
    em: EntityManager,
    claimId: string,
    windowHours: number,
  ): Promise<(EarningRow & { due: boolean; due_at: Date }) | undefined> {
    const [earning]: (EarningRow & { due: boolean; due_at: Date })[] = await em.query(
      `SELECT *, due_at <= now() AS due
         FROM (SELECT *, ${DUE_AT} AS due_at FROM earnings WHERE claim_id = $1 FOR UPDATE) e`,
      [claimId, windowHours],
    );
    return earning;
  }

  /**
   * Agents whose `agent_pending` balance is not the sum of their pending earnings, per currency
   * (the integrity report; should be none). Only earnings move that account, each posting in
   * the transaction that changes the earning's status, so one snapshot sees both agree.
   */
  pendingMismatches(em: EntityManager, limit: number): Promise<PendingMismatchRow[]> {
    return em.query(
      `WITH booked AS (
         SELECT a.owner_id AS agent_id, a.currency, -sum(l.amount_minor) AS amount
           FROM ledger_accounts a JOIN journal_lines l ON l.account_id = a.id
          WHERE a.code = 'agent_pending'
          GROUP BY a.owner_id, a.currency),
       earned AS (
         SELECT agent_id, currency, sum(amount_minor) AS amount
           FROM earnings WHERE status = 'pending'
          GROUP BY agent_id, currency)
       SELECT agent_id, currency, coalesce(b.amount, 0) AS ledger_minor,
              coalesce(e.amount, 0) AS earnings_minor
         FROM booked b FULL JOIN earned e USING (agent_id, currency)
        WHERE coalesce(b.amount, 0) <> coalesce(e.amount, 0)
        ORDER BY agent_id, currency
        LIMIT $1`,
      [limit],
    );
  }

  /**
   * Earnings still pending whose release was due before `before` (as lockByClaimWithDue
   * reckons it), oldest due first: the integrity report's unreleased earnings. Through the
   * partial ix_earnings_pending (migration EarningsPendingIndexed): only earnings inside their
   * window are in it.
   */
  pendingPastDue(
    em: EntityManager,
    before: Date,
    windowHours: number,
    limit: number,
  ): Promise<PendingPastDueRow[]> {
    return em.query(
      `SELECT claim_id, ticket_id, agent_id, amount_minor, currency, due_at
         FROM (SELECT *, ${DUE_AT} AS due_at
                 FROM earnings WHERE status = 'pending' AND available_at < $1) e
        WHERE due_at < $1
        ORDER BY due_at, claim_id LIMIT $3`,
      [before, windowHours, limit],
    );
  }

  async markReversed(em: EntityManager, claimId: string): Promise<void> {
    await em.query(
      `UPDATE earnings SET status = 'reversed', reversed_at = now() WHERE claim_id = $1`,
      [claimId],
    );
  }

  async markAvailable(em: EntityManager, claimId: string): Promise<void> {
    await em.query(
      `UPDATE earnings SET status = 'available', released_at = now() WHERE claim_id = $1`,
      [claimId],
    );
  }
}
