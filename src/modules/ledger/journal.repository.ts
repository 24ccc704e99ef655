import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { AccountCode, EntryKind } from './ledger.service';

/** One account's balance (signed: debit positive; bigint as text). */
export interface AccountBalanceRow {
  code: AccountCode;
  currency: string;
  balance: string;
}

/** An agent's `agent_available` balance now and at a cutoff (owed to it: credit positive). */
export interface AvailableBalanceRow {
  agent_id: string;
  current: string;
  at_cutoff: string;
}

/** A currency's sum over every line (nonzero only when the books are broken). */
export interface CurrencyTotalRow {
  currency: string;
  total: string;
}

/** What was paid out to an agent in one currency (signed as booked: debit positive). */
export interface AgentPaidRow {
  currency: string;
  paid: string;
}

/** A line on one of an agent's accounts, with its entry (the earnings page). */
export interface AgentLineRow {
  line_id: string;
  entry_id: string;
  kind: EntryKind;
  code: AccountCode;
  amount_minor: string;
  currency: string;
  ticket_id: string | null;
  claim_id: string | null;
  payout_line_id: string | null;
  memo: string | null;
  created_at: Date;
  entry_key: string;
  /** For an earning still pending: when its reopen window ends and it becomes available. */
  available_at: Date | null;
}

/** The journal entry's columns a posting writes (everything but its lines). */
export interface EntryInsert {
  kind: EntryKind;
  idempotencyKey: string;
  agentId: string | null;
  companyId: string | null;
  ticketId: string | null;
  claimId: string | null;
  payoutLineId: string | null;
  reversesEntryId: string | null;
  memo: string | null;
  createdBy: string | null;
}

/**
 * Writes an entry's lines ($1 entry, $2 account codes, $3 owners, $4 amounts, $5 currency).
 * Each account is found through uq_ledger_accounts: one branch for owned accounts, one for
 * platform accounts (owner NULL). A single join `owner_id IS NOT DISTINCT FROM …` cannot use
 * the index and scanned every account: 29 ms a posting at 50k agents (docs/performance.md).
 */
export const POSTING_LINES_SQL = `
  INSERT INTO journal_lines (entry_id, account_id, amount_minor, currency)
  SELECT $1, a.id, l.amount, $5
    FROM unnest($2::text[], $3::uuid[], $4::bigint[]) AS l(code, owner_id, amount)
    CROSS JOIN LATERAL (
      SELECT id FROM ledger_accounts
       WHERE code = l.code AND owner_id = l.owner_id AND currency = $5
      UNION ALL
      SELECT id FROM ledger_accounts
       WHERE code = l.code AND owner_id IS NULL AND l.owner_id IS NULL AND currency = $5
    ) a`;

/** An agent's negative available balance in one currency (bigints as text). */
export interface AgentOwingRow {
  agent_id: string;
  currency: string;
  available: string;
  pending: string;
}

/** Every agent's available balance in currency $1, now and at cutoff $2 (payout drafts). */
export const AVAILABLE_BALANCES_SQL = `SELECT agent_id, current, at_cutoff FROM (
         SELECT a.owner_id AS agent_id,
                -sum(l.amount_minor) AS current,
                -coalesce(sum(l.amount_minor) FILTER (
                   WHERE e.created_at <= $2 OR e.kind IN ('payout', 'payout_reversal')), 0) AS at_cutoff
           FROM journal_lines l
           JOIN ledger_accounts a ON a.id = l.account_id
           JOIN journal_entries e ON e.id = l.entry_id
          WHERE a.code = 'agent_available' AND a.currency = $1
          GROUP BY a.owner_id) sums
        WHERE current <> 0 OR at_cutoff <> 0`;

/** journal_entries, journal_lines and ledger_accounts: the books. */
@Injectable()
export class JournalRepository {
  /** The new entry's id, or undefined when its idempotency key was already used. */
  async insertEntry(em: EntityManager, e: EntryInsert): Promise<string | undefined> {
    const [entry]: { id: string }[] = await em.query(
      `INSERT INTO journal_entries (kind, idempotency_key, agent_id, company_id, ticket_id, claim_id,
                                    payout_line_id, reverses_entry_id, memo, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT ON CONSTRAINT uq_journal_entries_idempotency_key DO NOTHING
       RETURNING id`,
      [
        e.kind,
        e.idempotencyKey,
        e.agentId,
        e.companyId,
        e.ticketId,
        e.claimId,
        e.payoutLineId,
        e.reversesEntryId,
        e.memo,
        e.createdBy,
      ],
    );
    return entry?.id;
  }

  /** The entry under this key, with the sum of its debits; undefined when there is none. */
  async entryByKey(
    em: EntityManager,
    idempotencyKey: string,
  ): Promise<{ memo: string | null; debitMinor: number } | undefined> {
    const [row]: { memo: string | null; debit: string }[] = await em.query(
      `SELECT e.memo, coalesce(sum(l.amount_minor) FILTER (WHERE l.amount_minor > 0), 0) AS debit
         FROM journal_entries e LEFT JOIN journal_lines l ON l.entry_id = e.id
        WHERE e.idempotency_key = $1 GROUP BY e.id`,
      [idempotencyKey],
    );
    return row && { memo: row.memo, debitMinor: Number(row.debit) };
  }

  /** The entry under this key as its lines say it: kind, and each line's account and amount. */
  async entryShapeByKey(
    em: EntityManager,
    idempotencyKey: string,
  ): Promise<{ kind: string; lines: string[] }> {
    const rows: {
      kind: string;
      code: string | null;
      owner_id: string | null;
      currency: string | null;
      amount_minor: string | null;
    }[] = await em.query(
      `SELECT e.kind, a.code, a.owner_id, a.currency, l.amount_minor
         FROM journal_entries e
         LEFT JOIN journal_lines l ON l.entry_id = e.id
         LEFT JOIN ledger_accounts a ON a.id = l.account_id
        WHERE e.idempotency_key = $1`,
      [idempotencyKey],
    );
    return {
      kind: rows[0]?.kind ?? '',
      lines: rows
        .filter((r) => r.code !== null)
        .map((r) => lineShape(r.code!, r.owner_id, r.currency!, Number(r.amount_minor))),
    };
  }

  async entryIdByKey(em: EntityManager, idempotencyKey: string): Promise<string> {
    const [existing]: { id: string }[] = await em.query(
      'SELECT id FROM journal_entries WHERE idempotency_key = $1',
      [idempotencyKey],
    );
    return existing.id;
  }

  /**
   * Creates the accounts (code, owner) in a currency that do not exist yet, in one order
   * whatever the lines' order: two first postings in a currency that name two new accounts in
   * opposite orders (a dispute's debit and its reversal) each took one and waited for the other's
   * (a deadlock, one of them failed).
   */
  async ensureAccounts(
    em: EntityManager,
    codes: AccountCode[],
    ownerIds: (string | null)[],
    currency: string,
  ): Promise<void> {
    await em.query(
      `INSERT INTO ledger_accounts (code, owner_id, currency)
       SELECT DISTINCT code, owner_id, $3 FROM unnest($1::text[], $2::uuid[]) AS a(code, owner_id)
        ORDER BY code, owner_id
       ON CONFLICT ON CONSTRAINT uq_ledger_accounts DO NOTHING`,
      [codes, ownerIds, currency],
    );
  }

  async insertLines(
    em: EntityManager,
    entryId: string,
    codes: AccountCode[],
    ownerIds: (string | null)[],
    amounts: number[],
    currency: string,
  ): Promise<void> {
    await em.query(POSTING_LINES_SQL, [entryId, codes, ownerIds, amounts, currency]);
  }

  /** What the agent's `agent_available` account owes it in one currency (bigint as text). */
  async availableOf(em: EntityManager, agentId: string, currency: string): Promise<string> {
    const [row]: { owed: string }[] = await em.query(
      `SELECT -coalesce(sum(l.amount_minor), 0) AS owed
         FROM ledger_accounts a JOIN journal_lines l ON l.account_id = a.id
        WHERE a.code = 'agent_available' AND a.owner_id = $1 AND a.currency = $2`,
      [agentId, currency],
    );
    return row.owed;
  }

  /**
   * Every agent's available balance in a currency, now and at the cutoff: at the cutoff counts
   * earnings and adjustments up to it, minus every payout ever made, whatever its date. Agents
   * whose two figures are both zero are left out. One statement over the whole journal (50k
   * agents: the payout draft depends on it).
   */
  async availableBalances(
    em: EntityManager,
    currency: string,
    cutoff: Date,
  ): Promise<AvailableBalanceRow[]> {
    return em.query(AVAILABLE_BALANCES_SQL, [currency, cutoff]);
  }

  /** Balances of one owner's accounts, by account and currency. */
  async balancesOf(em: EntityManager, ownerId: string): Promise<AccountBalanceRow[]> {
    return em.query(
      `SELECT a.code, a.currency, coalesce(sum(l.amount_minor), 0) AS balance
         FROM ledger_accounts a LEFT JOIN journal_lines l ON l.account_id = a.id
        WHERE a.owner_id = $1 GROUP BY a.code, a.currency ORDER BY a.currency, a.code`,
      [ownerId],
    );
  }

  /** Each company's receivable in each currency: where it owes (or, with all, is owed). */
  receivables(
    em: EntityManager,
    owingOnly: boolean,
  ): Promise<{ owner_id: string; currency: string; balance: string }[]> {
    return em.query(
      `SELECT a.owner_id, a.currency, sum(l.amount_minor) AS balance
         FROM ledger_accounts a JOIN journal_lines l ON l.account_id = a.id
        WHERE a.code = 'company_receivable'
        GROUP BY a.owner_id, a.currency
       HAVING CASE WHEN $1 THEN sum(l.amount_minor) > 0 ELSE sum(l.amount_minor) <> 0 END`,
      [owingOnly],
    );
  }

  /**
   * Agents whose available balance is below zero (a clawback: a reopen or a reversal after the
   * money was paid, a debit adjustment), most owed first, with their pending balance in the
   * same currency (what may cover it as it is released). `limit` rows at most.
   */
  async agentsOwing(em: EntityManager, limit: number): Promise<AgentOwingRow[]> {
    return em.query(
      `SELECT a.owner_id AS agent_id, a.currency, -sum(l.amount_minor) AS available,
              (SELECT -coalesce(sum(pl.amount_minor), 0)
                 FROM ledger_accounts p JOIN journal_lines pl ON pl.account_id = p.id
                WHERE p.code = 'agent_pending' AND p.owner_id = a.owner_id
                  AND p.currency = a.currency) AS pending
         FROM ledger_accounts a JOIN journal_lines l ON l.account_id = a.id
        WHERE a.code = 'agent_available'
        GROUP BY a.owner_id, a.currency
       HAVING sum(l.amount_minor) > 0
        ORDER BY sum(l.amount_minor) DESC, a.owner_id, a.currency
        LIMIT $1`,
      [limit],
    );
  }

  /** Every account's balance (the trial balance). */
  async allBalances(em: EntityManager): Promise<AccountBalanceRow[]> {
    return em.query(
      `SELECT a.code, a.currency, coalesce(sum(l.amount_minor), 0) AS balance
         FROM ledger_accounts a LEFT JOIN journal_lines l ON l.account_id = a.id
        GROUP BY a.code, a.currency ORDER BY a.currency, a.code`,
    );
  }

  /** Currencies whose lines do not sum to zero (the integrity report; should be none). */
  async unbalancedCurrencies(em: EntityManager): Promise<CurrencyTotalRow[]> {
    return em.query(
      `SELECT currency, sum(amount_minor) AS total FROM journal_lines
        GROUP BY currency HAVING sum(amount_minor) <> 0 ORDER BY currency`,
    );
  }

  /** Paid out to the agent per currency (payouts net of their reversals; signed as booked). */
  async paidToAgent(em: EntityManager, agentId: string): Promise<AgentPaidRow[]> {
    return em.query(
      `SELECT l.currency, sum(l.amount_minor) AS paid
         FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
         JOIN ledger_accounts a ON a.id = l.account_id
        WHERE a.owner_id = $1 AND a.code = 'agent_available'
          AND e.kind IN ('payout', 'payout_reversal')
        GROUP BY l.currency`,
      [agentId],
    );
  }

  /**
   * Lines on the agent's pending and available accounts, newest first, before a line id; an
   * earning's line still pending carries the end of its reopen window (its `earnings` row, by
   * the claim: one primary-key probe per line of the page), as the release will wait for it:
   * by the window configured now when that is longer than the one it was booked with
   * (EarningsRepository.lockByClaimWithDue).
   */
  async agentLines(
    em: EntityManager,
    agentId: string,
    beforeLineId: string | null,
    limit: number,
    windowHours: number,
  ): Promise<AgentLineRow[]> {
    return em.query(
      `SELECT l.id AS line_id, e.id AS entry_id, e.kind, a.code, l.amount_minor, l.currency,
              e.ticket_id, e.claim_id, e.payout_line_id, e.memo, e.created_at,
              e.id::text AS entry_key,
              greatest(ern.available_at, ern.earned_at + make_interval(secs => $4::float8 * 3600)
                                         + interval '1 millisecond') AS available_at
         FROM journal_lines l
         JOIN ledger_accounts a ON a.id = l.account_id
         JOIN journal_entries e ON e.id = l.entry_id
         LEFT JOIN earnings ern ON e.kind = 'earning' AND a.code = 'agent_pending'
                               AND ern.claim_id = e.claim_id AND ern.status = 'pending'
        WHERE a.owner_id = $1 AND a.code IN ('agent_pending', 'agent_available')
          AND ($2::bigint IS NULL OR l.id < $2::bigint)
        ORDER BY l.id DESC
        LIMIT $3`,
      [agentId, beforeLineId, limit, windowHours],
    );
  }
}

/** One journal line as a comparable string: account, owner, currency and signed amount. */
export const lineShape = (
  code: string,
  ownerId: string | null,
  currency: string,
  amountMinor: number,
): string => `${code}|${ownerId ?? ''}|${currency}|${amountMinor}`;
