import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows, cursorInstant, deleteInBatches, KeyedRow } from '../../database/sql';
import { DeliveryErrorKind, DeliveryFailure } from './webhook-delivery-error';

/** A whole `webhook_deliveries` row: the delivery log's entry. */
export interface WebhookDeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_error_kind: DeliveryErrorKind | null;
  last_attempt_at: Date | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
  payload: Record<string, unknown>;
  /** How often it was redelivered: each retry chain's number, carried by its jobs. */
  chain: number;
}

/** The outcome of one attempt, as the log records it. */
export interface AttemptRecord {
  status: 'pending' | 'delivered' | 'failed';
  code: number | null;
  failure: DeliveryFailure | null;
  url: string | null;
  /** Pending only: in how long the queue runs the next attempt. */
  retryInMs: number | null;
  /** The retry chain the attempt belongs to: recorded only while it is the delivery's. */
  chain: number;
}

/** The delivery after an attempt was recorded (status: delivered stays delivered). */
export interface RecordedAttemptRow {
  company_id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
}

/** Which deliveries a page of the log shows; a null list means any. */
export interface DeliveryFilter {
  statuses: string[] | null;
  eventTypes: string[] | null;
}

/** What one delivery attempt needs: the delivery and its company's endpoint, if any is left. */
export interface DeliveryAttemptRow {
  status: string;
  /** The delivery's current retry chain (its redeliveries). */
  chain: number;
  payload: unknown;
  company_id: string;
  url: string | null;
  secret: string | null;
}

interface DeliveryIdRow {
  id: string;
}

interface DeliveryStatusRow {
  status: string;
  stalled: boolean;
}

/** The keyset position of a page of the log: after (created_at, id), newest first. */
export interface DeliveryCursor {
  createdAt: string;
  id: string;
}

/** `webhook_deliveries`: one row per (company, event), with its attempts. */
@Injectable()
export class WebhookDeliveriesRepository {
  /**
   * A delivery of the event to the company's endpoint, if it has one; null when it has none or
   * the event already has its delivery (uq_webhook_deliveries_event makes a repeat a no-op).
   * The endpoint's row is held (KEY SHARE) until the delivery commits: a removal waits for it,
   * then fails it with the others (failPendingOf), or goes first and leaves nothing to write.
   * Only an endpoint set by the time the event happened (`happenedAt`, the database's clock)
   * gets it: an event whose delivery is made late (a queue backlog, the sweep's gaveUp) after
   * the webhook was removed and set again is not sent to the new one, as a removal promises.
   */
  async insertForEvent(
    em: EntityManager,
    companyId: string,
    /** `happenedAt`: a timestamptz's text (or a Date: to the millisecond). */
    event: { id: string; type: string; happenedAt: string | Date },
    payloadJson: string,
  ): Promise<string | null> {
    const [delivery]: DeliveryIdRow[] = await em.query(
      `INSERT INTO webhook_deliveries (company_id, event_id, event_type, payload, url,
                                       next_attempt_at)
       SELECT $1, $2, $3, $4, url, now() FROM webhook_endpoints
        WHERE company_id = $1 AND created_at <= $5::timestamptz
          FOR KEY SHARE
       ON CONFLICT ON CONSTRAINT uq_webhook_deliveries_event DO NOTHING
       RETURNING id`,
      [companyId, event.id, event.type, payloadJson, event.happenedAt],
    );
    return delivery ? delivery.id : null;
  }

  /** A fresh delivery of a new event (a ping) to the company's endpoint; undefined without one. */
  async insertNew(
    em: EntityManager,
    companyId: string,
    eventId: string,
    eventType: string,
    payloadJson: string,
  ): Promise<WebhookDeliveryRow | undefined> {
    const [row]: WebhookDeliveryRow[] = await em.query(
      `INSERT INTO webhook_deliveries (company_id, event_id, event_type, payload, url,
                                       next_attempt_at)
       SELECT $1, $2, $3, $4, url, now() FROM webhook_endpoints WHERE company_id = $1
          FOR KEY SHARE
       RETURNING *`,
      [companyId, eventId, eventType, payloadJson],
    );
    return row;
  }

  /** What an attempt was read with, but the payload: to see whether it changed meanwhile. */
  async endpointNow(
    em: EntityManager,
    id: string,
  ): Promise<Pick<DeliveryAttemptRow, 'status' | 'chain' | 'url' | 'secret'> | undefined> {
    const [d]: Pick<DeliveryAttemptRow, 'status' | 'chain' | 'url' | 'secret'>[] = await em.query(
      `SELECT d.status, d.chain, e.url, e.secret FROM webhook_deliveries d
         LEFT JOIN webhook_endpoints e ON e.company_id = d.company_id WHERE d.id = $1`,
      [id],
    );
    return d;
  }

  async forAttempt(em: EntityManager, id: string): Promise<DeliveryAttemptRow | undefined> {
    const [d]: DeliveryAttemptRow[] = await em.query(
      `SELECT d.status, d.chain, d.payload, d.company_id, e.url, e.secret FROM webhook_deliveries d
         LEFT JOIN webhook_endpoints e ON e.company_id = d.company_id WHERE d.id = $1`,
      [id],
    );
    return d;
  }

  /**
   * Records one attempt; a delivery once delivered stays delivered. The next attempt's time is
   * set from the same clock as last_attempt_at, and only while the delivery stays pending
   * (ck_webhook_deliveries_next_attempt). Nothing is recorded once a redelivery has begun
   * another chain (a stale job, failed by the queue while its POST was still under way): its
   * outcome would fail the redelivery's pending delivery, and the redelivery's job would then
   * send nothing.
   */
  async recordAttempt(
    em: EntityManager,
    id: string,
    a: AttemptRecord,
  ): Promise<RecordedAttemptRow | undefined> {
    const [row] = await changedRows<RecordedAttemptRow>(
      em,
      `UPDATE webhook_deliveries
          SET status = CASE WHEN status = 'delivered' THEN status ELSE $2 END,
              attempts = attempts + 1, last_attempt_at = now(),
              last_status_code = $3, last_error = $4, last_error_kind = $5,
              url = coalesce($6, url),
              next_attempt_at = CASE WHEN status = 'delivered' OR $2 <> 'pending' THEN NULL
                                     ELSE now() + make_interval(secs => $7::float8 / 1000) END,
              delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END
        WHERE id = $1 AND chain = $8
        RETURNING company_id, event_id, event_type, status, attempts`,
      [
        id,
        a.status,
        a.code,
        a.failure?.message ?? null,
        a.failure?.kind ?? null,
        a.url,
        a.retryInMs ?? 0,
        a.chain,
      ],
    );
    return row;
  }

  /**
   * Fails a delivery that a job of retry chain `chain` left pending when it failed for good;
   * not one redelivered since (a later chain is its own jobs' to settle). The attempt count and
   * last answer stay as the last recorded attempt left them.
   */
  async failAbandoned(
    em: EntityManager,
    id: string,
    chain: number,
    failure: DeliveryFailure,
  ): Promise<RecordedAttemptRow | undefined> {
    const [row] = await changedRows<RecordedAttemptRow>(
      em,
      `UPDATE webhook_deliveries
          SET status = 'failed', next_attempt_at = NULL, last_error = $3, last_error_kind = $4
        WHERE id = $1 AND status = 'pending' AND chain = $2
        RETURNING company_id, event_id, event_type, status, attempts`,
      [id, chain, failure.message, failure.kind],
    );
    return row;
  }

  /**
   * Fails every pending delivery of the company (its webhook removed), in a new chain so that no
   * job still queued or under way for them records anything or sends again.
   */
  async failPendingOf(
    em: EntityManager,
    companyId: string,
    failure: DeliveryFailure,
  ): Promise<number> {
    const rows = await changedRows(
      em,
      `UPDATE webhook_deliveries
          SET status = 'failed', next_attempt_at = NULL, chain = chain + 1, last_error = $2,
              last_error_kind = $3
        WHERE company_id = $1 AND status = 'pending'
        RETURNING id`,
      [companyId, failure.message, failure.kind],
    );
    return rows.length;
  }

  /**
   * Prunes settled deliveries last tried (else created) more than `days` ago (a redelivery's
   * attempt counts anew; one failed by a removal before any new attempt keeps its old time), in short batches (deleteInBatches, through
   * ix_webhook_deliveries_settled); a pending one stays until it settles. Returns how many went.
   */
  deleteSettledBefore(em: EntityManager, days: number, goOn?: () => boolean): Promise<number> {
    return deleteInBatches(
      em,
      'webhook_deliveries',
      'id',
      `coalesce(last_attempt_at, created_at) < now() - make_interval(hours => 24 * $1)
       AND status <> 'pending'`,
      [days],
      undefined,
      goOn,
    );
  }

  /** Up to `limit` of the company's deliveries after `after` that pass `filter`, newest first. */
  pageOf(
    em: EntityManager,
    companyId: string,
    filter: DeliveryFilter,
    after: DeliveryCursor | null,
    limit: number,
  ): Promise<KeyedRow<WebhookDeliveryRow>[]> {
    return em.query(
      `SELECT *, ${cursorInstant('created_at')} FROM webhook_deliveries
        WHERE company_id = $1
          AND ($2::text[] IS NULL OR status = ANY ($2::text[]))
          AND ($3::text[] IS NULL OR event_type = ANY ($3::text[]))
          AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $6`,
      [
        companyId,
        filter.statuses,
        filter.eventTypes,
        after?.createdAt ?? null,
        after?.id ?? null,
        limit,
      ],
    );
  }

  /**
   * The company's delivery, locked: its status, and whether it is pending with its next attempt
   * over an hour late (its job lost: no retry is coming); undefined if it has no such delivery.
   */
  async lockStatusOf(
    em: EntityManager,
    id: string,
    companyId: string,
  ): Promise<DeliveryStatusRow | undefined> {
    const [current]: DeliveryStatusRow[] = await em.query(
      `SELECT status, coalesce(next_attempt_at < now() - interval '1 hour', false) AS stalled
         FROM webhook_deliveries WHERE id = $1 AND company_id = $2 FOR UPDATE`,
      [id, companyId],
    );
    return current;
  }

  /** Back to pending for a fresh retry chain, numbered one more than the last. */
  async markPending(em: EntityManager, id: string): Promise<WebhookDeliveryRow> {
    const [row] = await changedRows<WebhookDeliveryRow>(
      em,
      `UPDATE webhook_deliveries
          SET status = 'pending', delivered_at = NULL, next_attempt_at = now(),
              chain = chain + 1
        WHERE id = $1 RETURNING *`,
      [id],
    );
    return row;
  }
}
