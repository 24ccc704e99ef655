import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export type HoldReason = 'credit_limit' | 'past_due' | 'written_off';

export interface CreditControlRow {
  company_id: string;
  credit_limit_minor: string | null;
  hold_reason: HoldReason | null;
  hold_since: Date | null;
  hold_details: Record<string, unknown> | null;
  lifted_until: Date | null;
  lifted_by: string | null;
  lift_reason: string | null;
  /** The hold the lift answers (null for lifts given before lifts named theirs: any). */
  lifted_hold_reason: HoldReason | null;
  lifted_hold_since: Date | null;
}

/**
 * Whether the lift answers the company's hold as it is: a lift still running, given for this
 * hold (its reason and since when). SQL twin: LIFT_ANSWERS_HOLD_SQL (common/credit).
 */
export const liftAnswersHold = (r: CreditControlRow, now = new Date()): boolean =>
  r.lifted_until !== null &&
  r.lifted_until > now &&
  (r.lifted_hold_since === null ||
    (r.lifted_hold_reason === r.hold_reason &&
      r.lifted_hold_since.getTime() === r.hold_since?.getTime()));

/** `credit_controls`: each company's credit limit, its current hold, and finance's lift. */
@Injectable()
export class CreditControlsRepository {
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

  /** The hold as computed now; one already in place keeps its `since`. */
  async setHold(
    em: EntityManager,
    companyId: string,
    reason: HoldReason | null,
    details: Record<string, unknown> | null,
  ): Promise<void> {
    await em.query(
      `INSERT INTO credit_controls (company_id, hold_reason, hold_since, hold_details)
       VALUES ($1, $2, CASE WHEN $2::text IS NULL THEN NULL ELSE now() END, $3)
       ON CONFLICT (company_id) DO UPDATE
         SET hold_reason = $2,
             hold_since = CASE WHEN $2::text IS NULL THEN NULL
                               ELSE coalesce(credit_controls.hold_since, now()) END,
             hold_details = $3,
             updated_at = now()
         WHERE credit_controls.hold_reason IS DISTINCT FROM $2
            OR credit_controls.hold_details IS DISTINCT FROM $3::jsonb`,
      [companyId, reason, details === null ? null : JSON.stringify(details)],
    );
  }

  async lift(
    em: EntityManager,
    companyId: string,
    until: Date,
    by: string,
    reason: string,
  ): Promise<void> {
    // The hold as stored now (standing() refreshed it in this transaction): the lift answers it.
    await em.query(
      `UPDATE credit_controls
          SET lifted_until = $2, lifted_by = $3, lift_reason = $4,
              lifted_hold_reason = hold_reason, lifted_hold_since = hold_since, updated_at = now()
        WHERE company_id = $1`,
      [companyId, until, by, reason],
    );
  }
}
