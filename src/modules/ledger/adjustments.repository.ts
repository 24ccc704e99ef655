import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows, cursorInstant, KeyedRow } from '../../database/sql';

/** A `ledger_adjustments` row: finance's correction of an agent's available balance. */
export interface AdjustmentRow {
  id: string;
  reference: string;
  agent_id: string;
  amount_minor: string;
  currency: string;
  reason: string;
  status: string;
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  entry_id: string | null;
  /** As read for finance: `expired` for one still pending past its expiry (SHOWN_STATUS). */
  shown_status?: string;
}

/**
 * The status finance reads: a pending adjustment past its `expires_at` is expired, whether or
 * not its expiry job has run (it runs behind, or the workers were down): nobody can approve it
 * any more (lockWithDue), and it sat under "waiting for approval" until the job ran.
 */
const SHOWN_STATUS = `CASE WHEN status = 'pending' AND expires_at <= now() THEN 'expired'
                           ELSE status END`;

export interface AdjustmentInsert {
  reference: string;
  agentId: string;
  amountMinor: number;
  currency: string;
  reason: string;
  createdBy: string;
  /** It lapses this many days after it was made unless decided. */
  pendingDays: number;
}

export interface AdjustmentFilter {
  agentId: string | null;
  status: string | null;
  /** Keyset: (created_at, id) of the last adjustment of the previous page. */
  after: string[] | null;
  limit: number;
}

@Injectable()
export class AdjustmentsRepository {
  /**
   * Written pending (a small one is posted right after, in the same transaction). Undefined
   * when the reference was already used: the unique reference decides between two concurrent
   * requests, and the loser reads the winner's.
   */
  async insertPending(em: EntityManager, a: AdjustmentInsert): Promise<AdjustmentRow | undefined> {
    const [row]: AdjustmentRow[] = await em.query(
      `INSERT INTO ledger_adjustments (reference, agent_id, amount_minor, currency, reason,
                                       status, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6, now() + make_interval(hours => 24 * $7))
       ON CONFLICT ON CONSTRAINT uq_ledger_adjustments_reference DO NOTHING
       RETURNING *`,
      [a.reference, a.agentId, a.amountMinor, a.currency, a.reason, a.createdBy, a.pendingDays],
    );
    return row;
  }

  /**
   * What one finance user has moved to or from one agent in `currency` on their own word (posted
   * at once, no approver) in the last `hours`, in absolute minor units, under a lock on the
   * three until the transaction ends: two such adjustments made at once are summed one after
   * the other, not each beside a total that leaves the other out.
   */
  async lockAndSumPostedAlone(
    em: EntityManager,
    createdBy: string,
    agentId: string,
    currency: string,
    hours: number,
  ): Promise<number> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
      `ledger_adjustments:${createdBy}:${agentId}:${currency}`,
    ]);
    const [row]: { moved: string }[] = await em.query(
      `SELECT coalesce(sum(abs(amount_minor)), 0) AS moved FROM ledger_adjustments
        WHERE created_by = $1 AND agent_id = $2 AND currency = $3 AND status = 'posted'
          AND decided_by IS NULL AND created_at > now() - make_interval(hours => $4)`,
      [createdBy, agentId, currency, hours],
    );
    return Number(row.moved);
  }

  /** Newest first, limit rows (ask for one more than the page to know if another follows). */
  async page(em: EntityManager, f: AdjustmentFilter): Promise<KeyedRow<AdjustmentRow>[]> {
    return em.query(
      `SELECT *, ${SHOWN_STATUS} AS shown_status, ${cursorInstant('created_at')}
         FROM ledger_adjustments
        WHERE ($1::uuid IS NULL OR agent_id = $1)
          -- As SHOWN_STATUS reads them, written so that "pending" may use its partial index.
          AND ($2::text IS NULL
               OR (status = $2 AND ($2 <> 'pending' OR expires_at IS NULL OR expires_at > now()))
               OR ($2 = 'expired' AND status = 'pending' AND expires_at <= now()))
          AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $5`,
      [f.agentId, f.status, f.after?.[0] ?? null, f.after?.[1] ?? null, f.limit],
    );
  }

  async byId(em: EntityManager, id: string, lock = false): Promise<AdjustmentRow | undefined> {
    const [row]: AdjustmentRow[] = await em.query(
      `SELECT *, ${SHOWN_STATUS} AS shown_status FROM ledger_adjustments
        WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`,
      [id],
    );
    return row;
  }

  async byReference(em: EntityManager, reference: string): Promise<AdjustmentRow> {
    const [existing]: AdjustmentRow[] = await em.query(
      `SELECT *, ${SHOWN_STATUS} AS shown_status FROM ledger_adjustments WHERE reference = $1`,
      [reference],
    );
    return existing;
  }

  /** The adjustment, locked, and whether it has lapsed (by the database's clock). */
  async lockWithDue(
    em: EntityManager,
    id: string,
  ): Promise<(AdjustmentRow & { due: boolean }) | undefined> {
    const [row]: (AdjustmentRow & { due: boolean })[] = await em.query(
      `SELECT *, expires_at <= now() AS due FROM ledger_adjustments WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return row;
  }

  /** Booked: the journal entry it made, and who approved it (null when posted at once). */
  async markPosted(
    em: EntityManager,
    id: string,
    entryId: string,
    decidedBy: string | null,
    note: string | null,
  ): Promise<AdjustmentRow> {
    const [posted] = await changedRows<AdjustmentRow>(
      em,
      `UPDATE ledger_adjustments
          SET status = 'posted', entry_id = $2, expires_at = NULL,
              decided_by = $3, decided_at = CASE WHEN $3::uuid IS NULL THEN NULL ELSE now() END,
              decision_note = $4
        WHERE id = $1 RETURNING *`,
      [id, entryId, decidedBy, note],
    );
    return posted;
  }

  async markDecided(
    em: EntityManager,
    id: string,
    status: 'rejected' | 'cancelled' | 'expired',
    by: string | null,
    note: string | null,
  ): Promise<AdjustmentRow> {
    const [row] = await changedRows<AdjustmentRow>(
      em,
      `UPDATE ledger_adjustments
          SET status = $2, decided_by = $3, decided_at = now(), decision_note = $4
        WHERE id = $1 RETURNING *`,
      [id, status, by, note],
    );
    return row;
  }
}
