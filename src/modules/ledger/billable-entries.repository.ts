import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/**
 * The kinds of entry an invoice bills: resolutions, their reversals, the credits of reversals
 * withheld (their charge was written off) or restored (it was paid after all), and what lost
 * disputes took back when finance bills it again. (The queries below list them as literals, as
 * ix_journal_entries_billable's predicate does, so that the planner can use that index.)
 */
export const BILLABLE_KINDS = [
  'earning',
  'earning_reversal',
  'credit_withheld',
  'credit_restored',
  'dispute_rebilled',
] as const;
export type BillableKind = (typeof BILLABLE_KINDS)[number];

export interface UnbilledCompanyRow {
  company_id: string;
  currency: string;
  oldest: Date;
}

export interface BillableEntryRow {
  entry_id: string;
  kind: BillableKind;
  claim_id: string | null;
  idempotency_key: string;
  /** The company receivable line (debit positive: a charge; negative: a credit). */
  amount_minor: string;
}

export interface ReopenedChargeRow {
  claim_id: string;
  ticket_id: string | null;
  /** What the reversal credited the company (positive). */
  credit_minor: string;
  /** The invoice that billed the reversal (lowered its total by the credit), if one has. */
  credit_invoice_id: string | null;
  /** What was withheld of it so far, and restored, in how many entries each. */
  withheld_minor: string;
  withheld_entries: number;
  restored_minor: string;
  restored_entries: number;
}

/**
 * journal entries read by invoicing, and `invoiced_entries`: which invoice billed each entry
 * (its primary key bills an entry once). Reads go through ix_journal_entries_billable, bounded
 * below by `since` so a sweep reads recent months, not the whole journal.
 */
@Injectable()
export class BillableEntriesRepository {
  /** Per company and currency, the oldest billable entry no invoice has billed. */
  unbilledCompanies(em: EntityManager, since: Date): Promise<UnbilledCompanyRow[]> {
    return em.query(
      `SELECT e.company_id, l.currency, min(e.created_at) AS oldest
         FROM journal_entries e
         JOIN journal_lines l ON l.entry_id = e.id
         JOIN ledger_accounts a ON a.id = l.account_id AND a.code = 'company_receivable'
        WHERE e.kind IN ('earning', 'earning_reversal', 'credit_withheld', 'credit_restored',
                         'dispute_rebilled')
          AND e.created_at >= $1
          AND NOT EXISTS (SELECT 1 FROM invoiced_entries i WHERE i.entry_id = e.id)
        GROUP BY e.company_id, l.currency`,
      [since],
    );
  }

  /** Per company and currency, the billable entries booked before `before` no invoice billed. */
  unbilledBefore(
    em: EntityManager,
    before: Date,
    limit: number,
  ): Promise<
    { company_id: string; currency: string; entries: number; amount: string; oldest: Date }[]
  > {
    return em.query(
      `SELECT e.company_id, l.currency, count(*)::int AS entries,
              sum(l.amount_minor)::text AS amount, min(e.created_at) AS oldest
         FROM journal_entries e
         JOIN journal_lines l ON l.entry_id = e.id
         JOIN ledger_accounts a ON a.id = l.account_id AND a.code = 'company_receivable'
        WHERE e.kind IN ('earning', 'earning_reversal', 'credit_withheld', 'credit_restored',
                         'dispute_rebilled')
          AND e.created_at < $1
          AND NOT EXISTS (SELECT 1 FROM invoiced_entries i WHERE i.entry_id = e.id)
        GROUP BY e.company_id, l.currency
        ORDER BY min(e.created_at), e.company_id, l.currency
        LIMIT $2`,
      [before, limit],
    );
  }

  /** A company's unbilled billable entries in a currency booked in [since, before). */
  unbilled(
    em: EntityManager,
    companyId: string,
    currency: string,
    since: Date,
    before: Date,
  ): Promise<BillableEntryRow[]> {
    return em.query(
      `SELECT e.id AS entry_id, e.kind, e.claim_id, e.idempotency_key, l.amount_minor
         FROM journal_entries e
         JOIN journal_lines l ON l.entry_id = e.id
         JOIN ledger_accounts a ON a.id = l.account_id
          AND a.code = 'company_receivable' AND a.owner_id = $1 AND a.currency = $2
        WHERE e.company_id = $1
          AND e.kind IN ('earning', 'earning_reversal', 'credit_withheld', 'credit_restored',
                         'dispute_rebilled')
          AND e.created_at >= $3 AND e.created_at < $4
          AND NOT EXISTS (SELECT 1 FROM invoiced_entries i WHERE i.entry_id = e.id)
        ORDER BY e.created_at, e.id`,
      [companyId, currency, since, before],
    );
  }

  /** Marks entries billed by an invoice; returns how many were not billed before. */
  async markInvoiced(em: EntityManager, invoiceId: string, entryIds: string[]): Promise<number> {
    const rows: unknown[] = await em.query(
      `INSERT INTO invoiced_entries (entry_id, invoice_id)
       SELECT unnest($2::uuid[]), $1
       ON CONFLICT (entry_id) DO NOTHING
       RETURNING entry_id`,
      [invoiceId, entryIds],
    );
    return rows.length;
  }

  /** Per claim, the invoice that billed its earning (claims with none are left out). */
  earningInvoices(
    em: EntityManager,
    claimIds: string[],
  ): Promise<{ claim_id: string; invoice_id: string }[]> {
    return em.query(
      `SELECT e.claim_id, i.invoice_id
         FROM journal_entries e
         JOIN invoiced_entries i ON i.entry_id = e.id
        WHERE e.idempotency_key = ANY(SELECT 'earning:' || unnest($1::uuid[]))`,
      [claimIds],
    );
  }

  /** Where the claims' withheld credits were billed back: per entry, its invoice and amount. */
  withheldBillings(
    em: EntityManager,
    claimIds: string[],
  ): Promise<{ claim_id: string; invoice_id: string; amount_minor: string }[]> {
    return em.query(
      `SELECT x.claim_id, i.invoice_id, l.amount_minor
         FROM journal_entries x
         JOIN invoiced_entries i ON i.entry_id = x.id
         JOIN journal_lines l ON l.entry_id = x.id
         JOIN ledger_accounts a ON a.id = l.account_id AND a.code = 'company_receivable'
        WHERE x.claim_id = ANY($1::uuid[]) AND x.kind = 'credit_withheld'`,
      [claimIds],
    );
  }

  /** The invoice that billed the entry under this key, if one has. */
  async invoiceOf(em: EntityManager, idempotencyKey: string): Promise<string | null> {
    const [row]: { invoice_id: string }[] = await em.query(
      `SELECT i.invoice_id
         FROM journal_entries e
         JOIN invoiced_entries i ON i.entry_id = e.id
        WHERE e.idempotency_key = $1`,
      [idempotencyKey],
    );
    return row?.invoice_id ?? null;
  }

  /** The keys of the entries of this kind the invoice billed. */
  async keysBilledOn(em: EntityManager, invoiceId: string, kind: BillableKind): Promise<string[]> {
    const rows: { idempotency_key: string }[] = await em.query(
      `SELECT e.idempotency_key
         FROM invoiced_entries i
         JOIN journal_entries e ON e.id = i.entry_id AND e.kind = $2
        WHERE i.invoice_id = $1
        ORDER BY e.idempotency_key`,
      [invoiceId, kind],
    );
    return rows.map((r) => r.idempotency_key);
  }

  /** The claims whose withheld credit this invoice billed back. */
  async withheldBilledOn(em: EntityManager, invoiceId: string): Promise<string[]> {
    const rows: { claim_id: string }[] = await em.query(
      `SELECT DISTINCT x.claim_id
         FROM invoiced_entries i
         JOIN journal_entries x ON x.id = i.entry_id AND x.kind = 'credit_withheld'
        WHERE i.invoice_id = $1`,
      [invoiceId],
    );
    return rows.map((r) => r.claim_id);
  }

  /**
   * The claims whose earning this invoice billed and whose ticket was reopened since (their
   * reversal booked, and not billed by this invoice too), with what each reversal credited, the
   * invoice that billed it, and what was withheld and restored.
   */
  reopenedCharges(em: EntityManager, invoiceId: string): Promise<ReopenedChargeRow[]> {
    return em.query(
      `SELECT e.claim_id, e.ticket_id,
              -(SELECT l.amount_minor FROM journal_entries x
                  JOIN journal_lines l ON l.entry_id = x.id
                  JOIN ledger_accounts a ON a.id = l.account_id AND a.code = 'company_receivable'
                 WHERE x.idempotency_key = 'earning-reversal:' || e.claim_id) AS credit_minor,
              (SELECT ci.invoice_id FROM journal_entries x
                 JOIN invoiced_entries ci ON ci.entry_id = x.id
                WHERE x.idempotency_key = 'earning-reversal:' || e.claim_id) AS credit_invoice_id,
              w.withheld_minor, w.withheld_entries, w.restored_minor, w.restored_entries
         FROM invoiced_entries i
         JOIN journal_entries e ON e.id = i.entry_id AND e.kind = 'earning'
         -- through ix_journal_entries_withheld_by_claim
         CROSS JOIN LATERAL (
           SELECT coalesce(sum(l.amount_minor) FILTER (WHERE x.kind = 'credit_withheld'), 0)
                    AS withheld_minor,
                  count(*) FILTER (WHERE x.kind = 'credit_withheld')::int AS withheld_entries,
                  coalesce(-sum(l.amount_minor) FILTER (WHERE x.kind = 'credit_restored'), 0)
                    AS restored_minor,
                  count(*) FILTER (WHERE x.kind = 'credit_restored')::int AS restored_entries
             FROM journal_entries x
             JOIN journal_lines l ON l.entry_id = x.id
             JOIN ledger_accounts a ON a.id = l.account_id AND a.code = 'company_receivable'
            WHERE x.claim_id = e.claim_id AND x.kind IN ('credit_withheld', 'credit_restored')
         ) w
        WHERE i.invoice_id = $1
          AND EXISTS (SELECT 1 FROM journal_entries r
                       WHERE r.idempotency_key = 'earning-reversal:' || e.claim_id
                         -- a reversal this invoice billed itself already lowered its total
                         AND NOT EXISTS (SELECT 1 FROM invoiced_entries ri
                                          WHERE ri.entry_id = r.id AND ri.invoice_id = $1))
        ORDER BY e.created_at, e.id`,
      [invoiceId],
    );
  }
}
