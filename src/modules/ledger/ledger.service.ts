import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export type AccountCode =
  | 'agent_pending'
  | 'agent_available'
  | 'company_receivable'
  | 'platform_fees'
  | 'platform_clearing'
  | 'platform_adjustments';

export type EntryKind =
  'earning' | 'earning_reversal' | 'earning_release' | 'adjustment' | 'payout' | 'payout_reversal';

export interface PostingLine {
  account: AccountCode;
  /** Agent user id or company id; null for platform accounts. */
  ownerId: string | null;
  /** Signed minor units: debit positive, credit negative. */
  amountMinor: number;
}

export interface Posting {
  kind: EntryKind;
  /** The posting happens once per key, however often its cause is delivered. */
  idempotencyKey: string;
  currency: string;
  lines: PostingLine[];
  agentId?: string | null;
  companyId?: string | null;
  ticketId?: string | null;
  claimId?: string | null;
  payoutLineId?: string | null;
  reversesEntryId?: string | null;
  memo?: string | null;
  createdBy?: string | null;
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

/**
 * Writes journal entries in the caller's transaction. The database refuses unbalanced entries
 * (at commit) and any UPDATE or DELETE; this service only adds idempotency and account lookup.
 */
@Injectable()
export class LedgerService {
  async post(em: EntityManager, p: Posting): Promise<{ entryId: string; created: boolean }> {
    const lines = p.lines.filter((l) => l.amountMinor !== 0);
    const [entry]: { id: string }[] = await em.query(
      `INSERT INTO journal_entries (kind, idempotency_key, agent_id, company_id, ticket_id, claim_id,
                                    payout_line_id, reverses_entry_id, memo, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT ON CONSTRAINT uq_journal_entries_idempotency_key DO NOTHING
       RETURNING id`,
      [
        p.kind,
        p.idempotencyKey,
        p.agentId ?? null,
        p.companyId ?? null,
        p.ticketId ?? null,
        p.claimId ?? null,
        p.payoutLineId ?? null,
        p.reversesEntryId ?? null,
        p.memo ?? null,
        p.createdBy ?? null,
      ],
    );
    if (!entry) {
      const [existing]: { id: string }[] = await em.query(
        'SELECT id FROM journal_entries WHERE idempotency_key = $1',
        [p.idempotencyKey],
      );
      return { entryId: existing.id, created: false };
    }
    await em.query(
      `INSERT INTO ledger_accounts (code, owner_id, currency)
       SELECT code, owner_id, $3 FROM unnest($1::text[], $2::uuid[]) AS a(code, owner_id)
       ON CONFLICT ON CONSTRAINT uq_ledger_accounts DO NOTHING`,
      [lines.map((l) => l.account), lines.map((l) => l.ownerId), p.currency],
    );
    await em.query(POSTING_LINES_SQL, [
      entry.id,
      lines.map((l) => l.account),
      lines.map((l) => l.ownerId),
      lines.map((l) => l.amountMinor),
      p.currency,
    ]);
    return { entryId: entry.id, created: true };
  }

  /** What the agent can be paid now in one currency (negative after a clawback). */
  async availableToAgent(em: EntityManager, agentId: string, currency: string): Promise<number> {
    const [row]: { owed: string }[] = await em.query(
      `SELECT -coalesce(sum(l.amount_minor), 0) AS owed
         FROM ledger_accounts a JOIN journal_lines l ON l.account_id = a.id
        WHERE a.code = 'agent_available' AND a.owner_id = $1 AND a.currency = $2`,
      [agentId, currency],
    );
    return Number(row.owed);
  }

  /** Balances of one owner's accounts (signed: debit positive), by account and currency. */
  async balances(
    em: EntityManager,
    ownerId: string,
  ): Promise<{ account: AccountCode; currency: string; balance: number }[]> {
    const rows: { code: AccountCode; currency: string; balance: string }[] = await em.query(
      `SELECT a.code, a.currency, coalesce(sum(l.amount_minor), 0) AS balance
         FROM ledger_accounts a LEFT JOIN journal_lines l ON l.account_id = a.id
        WHERE a.owner_id = $1 GROUP BY a.code, a.currency ORDER BY a.currency, a.code`,
      [ownerId],
    );
    return rows.map((r) => ({ account: r.code, currency: r.currency, balance: Number(r.balance) }));
  }
}
