import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export type HoldReason = 'credit_limit' | 'past_due' | 'written_off';

export interface CreditControlRow {
  company_id: string;
  credit_limit_minor: string | null;
  /** Finance's own limit of a currency (code → minor units), before `credit_limit_minor`. */
  credit_limits_by_currency: Record<string, number>;
  hold_reason: HoldReason | null;
  hold_since: Date | null;
  hold_details: Record<string, unknown> | null;
  /** The invoices the hold is for (past due, or written off unpaid); none for a credit limit. */
  hold_invoice_ids: string[];
  lifted_until: Date | null;
  lifted_by: string | null;
  lift_reason: string | null;
  /** The hold the lift answers (null for lifts given before lifts named theirs: any). */
  lifted_hold_reason: HoldReason | null;
  lifted_hold_since: Date | null;
  /** The invoices the lift was given for: it answers a hold on these, and no other. */
  lifted_invoice_ids: string[];
  /**
   * An invoice lift that answers the credit limit too (finance lifted both, one after the
   * other): a lift has one slot, and the second must not replace the first.
   */
  lift_covers_limit: boolean;
}

/** What a lift answers: the hold it was given for, and with it maybe the credit limit. */
export interface LiftTerms {
  until: Date;
  by: string;
  reason: string;
  holdReason: HoldReason;
  holdSince: Date | null;
  invoiceIds: string[];
  coversLimit: boolean;
}

/** A lift still running (legacy: given before lifts named their hold, it answers any). */
const running = (r: CreditControlRow, now: Date) => r.lifted_until !== null && r.lifted_until > now;

/**
 * Whether the company's lift, as it stands in `r`, answers an invoice hold on `invoiceIds`
 * and whether it answers the credit limit. Each is judged apart: a past-due company's lift
 * for its invoices does not let it owe past its limit (it did, for as long as the lift ran).
 */
export function liftCovers(
  r: CreditControlRow,
  invoiceIds: string[],
  now = new Date(),
): { invoices: boolean; limit: boolean } {
  if (!running(r, now)) return { invoices: false, limit: false };
  if (r.lifted_hold_reason === null) return { invoices: true, limit: true };
  const invoiceLift = r.lifted_hold_reason !== 'credit_limit';
  return {
    invoices:
      invoiceLift &&
      invoiceIds.length > 0 &&
      invoiceIds.every((id) => r.lifted_invoice_ids.includes(id)),
    limit: !invoiceLift || r.lift_covers_limit,
  };
}

/**
 * The lift finance gives now, over the hold as stored (`held`): it answers that hold. The
 * limit lifted under a running lift of invoices joins it (the invoices stay answered), and
 * invoices lifted under a running lift of the limit keep the limit answered: with one slot,
 * each lift replaced the other, and the company stayed blocked whatever finance did.
 */
export function liftTermsFor(
  held: CreditControlRow,
  given: Pick<LiftTerms, 'until' | 'by' | 'reason'>,
): LiftTerms {
  const before = liftCovers(held, held.lifted_invoice_ids);
  if (held.hold_reason === 'credit_limit' && held.lifted_hold_reason !== null && before.invoices) {
    return {
      ...given,
      holdReason: held.lifted_hold_reason,
      holdSince: held.lifted_hold_since,
      invoiceIds: held.lifted_invoice_ids,
      coversLimit: true,
    };
  }
  return {
    ...given,
    holdReason: held.hold_reason!,
    holdSince: held.hold_since,
    invoiceIds: held.hold_invoice_ids,
    coversLimit: held.hold_reason !== 'credit_limit' && before.limit,
  };
}

/**
 * Whether the lift answers the company's hold as it is: a lift still running, given for a hold
 * of the same kind, and for an invoice hold, for every invoice it is now about (so a second
 * invoice going past due blocks again, while the same invoice written off does not; a payment
 * that clears a credit-limit hold for a moment does not end its lift either). SQL twin:
 * LIFT_ANSWERS_HOLD_SQL (common/credit).
 */
export const liftAnswersHold = (r: CreditControlRow, now = new Date()): boolean => {
  if (r.hold_reason === null) return false;
  // An invoice hold names its invoices (one that names none was written by a process of the
  // previous release, which kept them in hold_details only: not answered until refreshed).
  const covers = liftCovers(r, r.hold_invoice_ids, now);
  return r.hold_reason === 'credit_limit' ? covers.limit : covers.invoices;
};

/** `credit_controls`: each company's credit limit, its current hold, and finance's lift. */
@Injectable()
export class CreditControlsRepository {
  /**
   * The company's row, made if missing, locked to the end of the transaction: a standing is
   * computed and stored under it, from what was committed once it is held.
   */
  async lock(em: EntityManager, companyId: string): Promise<CreditControlRow> {
    await em.query(
      'INSERT INTO credit_controls (company_id) VALUES ($1) ON CONFLICT (company_id) DO NOTHING',
      [companyId],
    );
    const [row]: CreditControlRow[] = await em.query(
      'SELECT * FROM credit_controls WHERE company_id = $1 FOR UPDATE',
      [companyId],
    );
    return row;
  }

  async find(em: EntityManager, companyId: string): Promise<CreditControlRow | undefined> {
    const [row]: CreditControlRow[] = await em.query(
      'SELECT * FROM credit_controls WHERE company_id = $1',
      [companyId],
    );
    return row;
  }

  /** The companies held now (their hold may be lifted), for the sweep's refresh. */
  async heldCompanyIds(em: EntityManager): Promise<string[]> {
    const rows: { company_id: string }[] = await em.query(
      'SELECT company_id FROM credit_controls WHERE hold_since IS NOT NULL',
    );
    return rows.map((r) => r.company_id);
  }

  async setLimit(em: EntityManager, companyId: string, limitMinor: number | null): Promise<void> {
    await em.query(
      `INSERT INTO credit_controls (company_id, credit_limit_minor) VALUES ($1, $2)
       ON CONFLICT (company_id) DO UPDATE SET credit_limit_minor = $2, updated_at = now()`,
      [companyId, limitMinor],
    );
  }

  /** The company's own limit of one currency; null removes it. */
  async setCurrencyLimit(
    em: EntityManager,
    companyId: string,
    currency: string,
    limitMinor: number | null,
  ): Promise<void> {
    const limits = limitMinor === null ? {} : { [currency]: limitMinor };
    await em.query(
      `INSERT INTO credit_controls (company_id, credit_limits_by_currency) VALUES ($1, $2::jsonb)
       ON CONFLICT (company_id) DO UPDATE
         SET credit_limits_by_currency = (credit_controls.credit_limits_by_currency - $3::text)
                                         || $2::jsonb,
             updated_at = now()`,
      [companyId, JSON.stringify(limits), currency],
    );
  }

  /** The hold as computed now; one already in place keeps its `since`. */
  async setHold(
    em: EntityManager,
    companyId: string,
    reason: HoldReason | null,
    details: Record<string, unknown> | null,
    invoiceIds: string[],
  ): Promise<void> {
    await em.query(
      `INSERT INTO credit_controls (company_id, hold_reason, hold_since, hold_details,
                                    hold_invoice_ids)
       VALUES ($1, $2, CASE WHEN $2::text IS NULL THEN NULL ELSE now() END, $3, $4::uuid[])
       ON CONFLICT (company_id) DO UPDATE
         SET hold_reason = $2,
             hold_since = CASE WHEN $2::text IS NULL THEN NULL
                               ELSE coalesce(credit_controls.hold_since, now()) END,
             hold_details = $3,
             hold_invoice_ids = $4::uuid[],
             updated_at = now()
         WHERE credit_controls.hold_reason IS DISTINCT FROM $2
            OR credit_controls.hold_details IS DISTINCT FROM $3::jsonb
            OR credit_controls.hold_invoice_ids IS DISTINCT FROM $4::uuid[]`,
      [companyId, reason, details === null ? null : JSON.stringify(details), invoiceIds],
    );
  }

  async lift(em: EntityManager, companyId: string, l: LiftTerms): Promise<void> {
    await em.query(
      `UPDATE credit_controls
          SET lifted_until = $2, lifted_by = $3, lift_reason = $4, lifted_hold_reason = $5,
              lifted_hold_since = $6, lifted_invoice_ids = $7::uuid[], lift_covers_limit = $8,
              updated_at = now()
        WHERE company_id = $1`,
      [companyId, l.until, l.by, l.reason, l.holdReason, l.holdSince, l.invoiceIds, l.coversLimit],
    );
  }
}
