import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { BillableEntriesRepository, BillableKind } from './billable-entries.repository';
import { JournalRepository, lineShape } from './journal.repository';

export type AccountCode =
  | 'agent_pending'
  | 'agent_available'
  | 'company_receivable'
  | 'platform_fees'
  | 'platform_clearing'
  | 'platform_adjustments'
  | 'platform_cash'
  | 'platform_bad_debt'
  | 'platform_disputes'
  | 'platform_refunds'
  /** An invoice settled other than into the Stripe balance (paid outside Stripe, its credit). */
  | 'platform_settled_outside';

export type EntryKind =
  | 'earning'
  | 'earning_reversal'
  | 'earning_release'
  | 'adjustment'
  | 'payout'
  | 'payout_reversal'
  | 'invoice_payment'
  | 'write_off'
  | 'dispute'
  | 'dispute_resolution'
  | 'credit_withheld'
  | 'credit_restored'
  | 'dispute_rebilled'
  | 'refund';

/** An entry an invoice bills: the company receivable it booked, and the claim behind it. */
export interface BillableEntry {
  entryId: string;
  kind: BillableKind;
  claimId: string | null;
  /** The entry's key, when read from the journal (it tells a dispute's steps apart). */
  key?: string;
  /** Positive: a charge; negative: a credit (a reversal). */
  amountMinor: number;
}

/** A ticket an invoice charged, reopened since (see LedgerService.reopenedCharges). */
export interface ReopenedCharge {
  claimId: string;
  ticketId: string | null;
  creditMinor: number;
  /** The invoice that billed the reversal (its credit lowered that invoice's total), if any. */
  creditInvoiceId: string | null;
  /** Withheld so far, in how many entries (withheld in steps, or again after a restore). */
  withheldMinor: number;
  withheldEntries: number;
  restoredMinor: number;
  restoredEntries: number;
}

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

/** An agent's available balance in one currency, now and at a payout run's cutoff. */
export interface AgentAvailableBalance {
  agentId: string;
  /** Owed now (negative after a clawback). */
  current: number;
  /** Owed counting entries up to the cutoff, minus every payout ever made, whatever its date. */
  atCutoff: number;
}

/**
 * Writes journal entries in the caller's transaction. The database refuses unbalanced entries
 * (at commit) and any UPDATE or DELETE; this service only adds idempotency and account lookup.
 * Other modules reach the books only through it (payouts: availableToAgent, availableBalances).
 */
@Injectable()
export class LedgerService {
  constructor(
    private readonly journal: JournalRepository,
    private readonly billable: BillableEntriesRepository,
  ) {}

  /**
   * Books the entry once per key: a key booked already answers that entry (`created: false`)
   * if asked for the same one, and throws LedgerKeyConflict if asked for another.
   */
  async post(em: EntityManager, p: Posting): Promise<{ entryId: string; created: boolean }> {
    const lines = p.lines.filter((l) => l.amountMinor !== 0);
    const entryId = await this.journal.insertEntry(em, {
      kind: p.kind,
      idempotencyKey: p.idempotencyKey,
      agentId: p.agentId ?? null,
      companyId: p.companyId ?? null,
      ticketId: p.ticketId ?? null,
      claimId: p.claimId ?? null,
      payoutLineId: p.payoutLineId ?? null,
      reversesEntryId: p.reversesEntryId ?? null,
      memo: p.memo ?? null,
      createdBy: p.createdBy ?? null,
    });
    if (!entryId) {
      await this.checkSameAsBooked(em, p, lines);
      return { entryId: await this.journal.entryIdByKey(em, p.idempotencyKey), created: false };
    }
    const codes = lines.map((l) => l.account);
    const owners = lines.map((l) => l.ownerId);
    await this.journal.ensureAccounts(em, codes, owners, p.currency);
    await this.journal.insertLines(
      em,
      entryId,
      codes,
      owners,
      lines.map((l) => l.amountMinor),
      p.currency,
    );
    return { entryId, created: true };
  }

  /**
   * A key already booked is a cause delivered again (a retried job, an event twice, a request
   * retried), and must ask for the entry it booked. Asked for another (another kind, or other
   * lines), two different bookings share one key, and returning the first would drop the second
   * without a word: money that should move would not. That is a bug, so it fails the use case
   * (its transaction rolls back, its job retries and alerts) instead of being skipped. The memo
   * may differ: it is prose, and a retry may word it from a later state.
   */
  private async checkSameAsBooked(
    em: EntityManager,
    p: Posting,
    lines: PostingLine[],
  ): Promise<void> {
    const booked = await this.journal.entryShapeByKey(em, p.idempotencyKey);
    const asked = lines.map((l) => lineShape(l.account, l.ownerId, p.currency, l.amountMinor));
    const sorted = (shapes: string[]) => JSON.stringify([...shapes].sort());
    if (booked.kind === p.kind && sorted(booked.lines) === sorted(asked)) return;
    throw new LedgerKeyConflict(p.idempotencyKey, booked, { kind: p.kind, lines: asked });
  }

  /**
   * The entry posted under this key, if any: its memo and the sum of its debits (a use case
   * that answers a retry from what it booked, and tells a retry from another request).
   */
  posted(
    em: EntityManager,
    idempotencyKey: string,
  ): Promise<{ memo: string | null; debitMinor: number } | undefined> {
    return this.journal.entryByKey(em, idempotencyKey);
  }

  /** What the agent can be paid now in one currency (negative after a clawback). */
  async availableToAgent(em: EntityManager, agentId: string, currency: string): Promise<number> {
    return Number(await this.journal.availableOf(em, agentId, currency));
  }

  /**
   * Every agent with an available balance in the currency, now or at the cutoff (agents whose
   * two figures are both zero are left out). One query, for a payout run's draft.
   */
  async availableBalances(
    em: EntityManager,
    currency: string,
    cutoff: Date,
  ): Promise<AgentAvailableBalance[]> {
    const rows = await this.journal.availableBalances(em, currency, cutoff);
    return rows.map((r) => ({
      agentId: r.agent_id,
      current: Number(r.current),
      atCutoff: Number(r.at_cutoff),
    }));
  }

  /** Balances of one owner's accounts (signed: debit positive), by account and currency. */
  async balances(
    em: EntityManager,
    ownerId: string,
  ): Promise<{ account: AccountCode; currency: string; balance: number }[]> {
    const rows = await this.journal.balancesOf(em, ownerId);
    return rows.map((r) => ({
      account: r.code,
      currency: r.currency,
      balance: Number(r.balance),
    }));
  }

  /** The companies that owe something, with what they owe per currency (positive). */
  async receivables(
    em: EntityManager,
  ): Promise<{ companyId: string; currency: string; owedMinor: number }[]> {
    const rows = await this.journal.receivables(em, true);
    return rows.map((r) => ({
      companyId: r.owner_id,
      currency: r.currency,
      owedMinor: Number(r.balance),
    }));
  }

  /** Every company's receivable that is not zero (negative: credit it holds), per currency. */
  async receivableBalances(
    em: EntityManager,
  ): Promise<{ companyId: string; currency: string; balanceMinor: number }[]> {
    const rows = await this.journal.receivables(em, false);
    return rows.map((r) => ({
      companyId: r.owner_id,
      currency: r.currency,
      balanceMinor: Number(r.balance),
    }));
  }

  /** Per company and currency, when its oldest entry no invoice billed was booked (since `since`). */
  async unbilledCompanies(
    em: EntityManager,
    since: Date,
  ): Promise<{ companyId: string; currency: string; oldest: Date }[]> {
    const rows = await this.billable.unbilledCompanies(em, since);
    return rows.map((r) => ({ companyId: r.company_id, currency: r.currency, oldest: r.oldest }));
  }

  /** A company's entries in a currency booked in [since, before) that no invoice billed yet. */
  async unbilledEntries(
    em: EntityManager,
    companyId: string,
    currency: string,
    since: Date,
    before: Date,
  ): Promise<BillableEntry[]> {
    const rows = await this.billable.unbilled(em, companyId, currency, since, before);
    return rows.map((r) => ({
      entryId: r.entry_id,
      kind: r.kind,
      claimId: r.claim_id,
      key: r.idempotency_key,
      amountMinor: Number(r.amount_minor),
    }));
  }

  /**
   * Records that an invoice billed these entries. Throws if any was billed already: the caller
   * holds the company's invoicing lock, so that would be a bug, and billing twice is worse.
   */
  async markInvoiced(em: EntityManager, invoiceId: string, entryIds: string[]): Promise<void> {
    const marked = await this.billable.markInvoiced(em, invoiceId, entryIds);
    if (marked !== entryIds.length) {
      throw new Error(`${entryIds.length - marked} entries were already invoiced`);
    }
  }

  /** Per claim, the invoice that billed its earning (claims not billed yet are left out). */
  async earningInvoices(em: EntityManager, claimIds: string[]): Promise<Map<string, string>> {
    if (claimIds.length === 0) return new Map();
    const rows = await this.billable.earningInvoices(em, claimIds);
    return new Map(rows.map((r) => [r.claim_id, r.invoice_id]));
  }

  /** Per claim, the invoices that billed its withheld credit back, with the amount each. */
  async withheldBillings(
    em: EntityManager,
    claimIds: string[],
  ): Promise<{ claimId: string; invoiceId: string; amountMinor: number }[]> {
    if (claimIds.length === 0) return [];
    const rows = await this.billable.withheldBillings(em, claimIds);
    return rows.map((r) => ({
      claimId: r.claim_id,
      invoiceId: r.invoice_id,
      amountMinor: Number(r.amount_minor),
    }));
  }

  /** The invoice that billed the entry under this key (null while none has). */
  invoiceOf(em: EntityManager, idempotencyKey: string): Promise<string | null> {
    return this.billable.invoiceOf(em, idempotencyKey);
  }

  /** The keys of the entries of this kind that the invoice billed. */
  keysBilledOn(em: EntityManager, invoiceId: string, kind: BillableKind): Promise<string[]> {
    return this.billable.keysBilledOn(em, invoiceId, kind);
  }

  /** The claims whose withheld credit this invoice billed back. */
  withheldBilledOn(em: EntityManager, invoiceId: string): Promise<string[]> {
    return this.billable.withheldBilledOn(em, invoiceId);
  }

  /**
   * The tickets this invoice charged that were reopened since: what each reversal credited
   * the company, and what of it was withheld and restored so far.
   */
  async reopenedCharges(em: EntityManager, invoiceId: string): Promise<ReopenedCharge[]> {
    const rows = await this.billable.reopenedCharges(em, invoiceId);
    return rows.map((r) => ({
      claimId: r.claim_id,
      ticketId: r.ticket_id,
      creditMinor: Number(r.credit_minor),
      creditInvoiceId: r.credit_invoice_id,
      withheldMinor: Number(r.withheld_minor),
      withheldEntries: r.withheld_entries,
      restoredMinor: Number(r.restored_minor),
      restoredEntries: r.restored_entries,
    }));
  }
}

/** Two different bookings under one key (LedgerService.post says why this is a bug). */
export class LedgerKeyConflict extends Error {
  constructor(
    readonly idempotencyKey: string,
    booked: { kind: string; lines: string[] },
    asked: { kind: string; lines: string[] },
  ) {
    super(
      `Ledger key ${idempotencyKey} holds ${booked.kind} ${booked.lines.join(', ')}; ` +
        `asked to book ${asked.kind} ${asked.lines.join(', ')} under it`,
    );
    this.name = 'LedgerKeyConflict';
  }
}
