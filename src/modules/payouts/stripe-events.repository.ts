import { Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { EntityManager } from 'typeorm';

/** A `stripe_events` row: an event Stripe sent us, stored once by its id. */
export interface StripeEventRow {
  id: string;
  type: string;
  account: string | null;
  created: Date;
  payload: Stripe.Event;
  received_at: Date;
  processed_at: Date | null;
}

@Injectable()
export class StripeEventsRepository {
  /** False when the event id was already stored (Stripe delivers at least once). */
  async insertIfNew(em: EntityManager, event: Stripe.Event): Promise<boolean> {
    const [stored]: unknown[] = await em.query(
      `INSERT INTO stripe_events (id, type, account, created, payload)
       VALUES ($1, $2, $3, to_timestamp($4), $5) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [event.id, event.type, event.account ?? null, event.created, JSON.stringify(event)],
    );
    return !!stored;
  }

  /** An event's type while it is not applied yet (no lock: a look before the transaction). */
  async unprocessedType(em: EntityManager, id: string): Promise<string | undefined> {
    const [row]: { type: string }[] = await em.query(
      'SELECT type FROM stripe_events WHERE id = $1 AND processed_at IS NULL',
      [id],
    );
    return row?.type;
  }

  async lock(
    em: EntityManager,
    id: string,
  ): Promise<Pick<StripeEventRow, 'payload' | 'processed_at'> | undefined> {
    const [row]: Pick<StripeEventRow, 'payload' | 'processed_at'>[] = await em.query(
      'SELECT payload, processed_at FROM stripe_events WHERE id = $1 FOR UPDATE',
      [id],
    );
    return row;
  }

  /**
   * The reversals of a line's transfers that arrived before the line was booked paid and wait
   * for it (StripeEventHandler leaves them unprocessed); ix_stripe_events_waiting_reversals.
   */
  async waitingReversalsOf(em: EntityManager, lineId: string): Promise<string[]> {
    const rows: { id: string }[] = await em.query(
      `SELECT id FROM stripe_events
        WHERE processed_at IS NULL AND type = 'transfer.reversed'
          AND payload #>> '{data,object,metadata,payoutLineId}' = $1`,
      [lineId],
    );
    return rows.map((r) => r.id);
  }

  /**
   * How many events are not applied yet, and the oldest one's age (ix_stripe_events_unprocessed),
   * leaving out the transfer reversals that wait for their line to be booked paid: those can
   * wait for days, for finance to retry the line (its failure has its own alert), and would hide
   * others. A reversal of a line booked paid is counted: it should have been applied, and
   * unapplied it leaves the agent's money at the platform, owed and never paid.
   */
  async unprocessed(em: EntityManager): Promise<{ count: number; oldestAgeSeconds: number }> {
    const [row]: { count: number; oldest: number }[] = await em.query(
      `SELECT count(*)::int AS count,
              coalesce(extract(epoch FROM now() - min(received_at)), 0)::float8 AS oldest
         FROM stripe_events e
        WHERE processed_at IS NULL
          AND (type <> 'transfer.reversed' OR EXISTS (
                SELECT 1 FROM payout_lines l
                 WHERE l.status = 'paid'
                   AND l.stripe_transfer_id = e.payload #>> '{data,object,id}'))`,
    );
    return { count: row.count, oldestAgeSeconds: row.oldest };
  }

  /** The ids of the events not applied yet, oldest first. */
  async unprocessedIds(em: EntityManager): Promise<string[]> {
    const rows: { id: string }[] = await em.query(
      `SELECT id FROM stripe_events WHERE processed_at IS NULL ORDER BY received_at, id`,
    );
    return rows.map((r) => r.id);
  }

  async markProcessed(em: EntityManager, id: string): Promise<void> {
    await em.query('UPDATE stripe_events SET processed_at = now() WHERE id = $1', [id]);
  }
}
