import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';
import type { SurgeQuote } from './surge.repository';

export const OFFER_STATUSES = ['pending', 'accepted', 'declined', 'expired', 'withdrawn'] as const;
export type OfferStatus = (typeof OFFER_STATUSES)[number];

export interface OfferRow {
  id: string;
  ticket_id: string;
  agent_id: string;
  company_id: string;
  shift_id: string;
  status: OfferStatus;
  expires_at: Date;
  created_at: Date;
  decided_at: Date | null;
  decline_reason: string | null;
  claim_id: string | null;
  /** The surge fixed when it was offered: the accept claims at it. */
  surge_multiplier_bps: number;
  surge_extra_minor: string;
  /** expires_at has passed by the database clock. */
  due: boolean;
}

// The clock when read, not the transaction's start (now()): an accept that waited for the
// agent's lock past the offer's end finds it expired, as surge_committed has stopped counting it.
const OFFER_COLUMNS = `o.*, o.expires_at <= clock_timestamp() AS due`;

/** How long past its end a pending offer holds its ticket (migration OfferReservationsLapse). */
export const OFFER_LAPSE = `interval '30 seconds'`;

/** `offers` (owned by tickets: an accept is a ticket claim, ADR 0008). */
@Injectable()
export class OffersRepository {
  /**
   * Until when the ticket is reserved by a pending offer, if it is. An offer run out for over
   * 30 seconds holds it no longer, though its expiry job has not run (a worker behind): as
   * ticket_candidates and claim_next_ticket count it (migration OfferReservationsLapse).
   */
  async pendingUntil(em: EntityManager, ticketId: string): Promise<Date | null> {
    const [row]: { expires_at: Date }[] = await em.query(
      `SELECT expires_at FROM offers WHERE ticket_id = $1 AND status = 'pending'
          AND expires_at > now() - ${OFFER_LAPSE}`,
      [ticketId],
    );
    return row?.expires_at ?? null;
  }

  /**
   * The agent's pending offers on `shiftId`: one left from a shift it has left (its withdrawal
   * job still queued) is not shown as the live shift's, under its company and rate. Those that
   * have not run out, oldest first.
   */
  async pendingOf(em: EntityManager, agentId: string, shiftId: string): Promise<OfferRow[]> {
    return em.query(
      `SELECT ${OFFER_COLUMNS} FROM offers o
        WHERE o.agent_id = $1 AND o.shift_id = $2 AND o.status = 'pending'
          AND o.expires_at > now()
        ORDER BY o.created_at`,
      [agentId, shiftId],
    );
  }

  async pendingCount(em: EntityManager, agentId: string): Promise<number> {
    const [row]: { n: number }[] = await em.query(
      `SELECT count(*)::int AS n FROM offers WHERE agent_id = $1 AND status = 'pending'`,
      [agentId],
    );
    return row.n;
  }

  /**
   * A pending offer; uq_offers_pending_ticket is the last word on one per ticket. It runs
   * `seconds` from now by the clock, not from the transaction's start (`now()`): a router pass
   * that waited on the agent's row or the surge lock would make a shorter offer, even one
   * already due, and its expiry would count against the agent.
   */
  async insert(
    em: EntityManager,
    o: {
      ticketId: string;
      agentId: string;
      companyId: string;
      shiftId: string;
      seconds: number;
      surge: SurgeQuote;
    },
  ): Promise<OfferRow> {
    const [row]: OfferRow[] = await em.query(
      `INSERT INTO offers (ticket_id, agent_id, company_id, shift_id, expires_at,
                           surge_multiplier_bps, surge_extra_minor)
       VALUES ($1, $2, $3, $4, clock_timestamp() + make_interval(secs => $5), $6, $7)
       RETURNING *, false AS due`,
      [
        o.ticketId,
        o.agentId,
        o.companyId,
        o.shiftId,
        o.seconds,
        o.surge.multiplierBps,
        o.surge.extraMinor,
      ],
    );
    return row;
  }

  /** Whose offer it is (never changes), read without a lock to take the agent's first. */
  async agentOf(em: EntityManager, id: string): Promise<string | undefined> {
    const [row]: { agent_id: string }[] = await em.query(
      'SELECT agent_id FROM offers WHERE id = $1',
      [id],
    );
    return row?.agent_id;
  }

  async lock(em: EntityManager, id: string): Promise<OfferRow | undefined> {
    const [row]: OfferRow[] = await em.query(
      `SELECT ${OFFER_COLUMNS} FROM offers o WHERE o.id = $1 FOR UPDATE`,
      [id],
    );
    return row;
  }

  /**
   * Asks for the router of the company whose push shift the agent is live on (after commit),
   * unless it is `exceptCompany` (asked already): its offers ended, it has room for work there.
   */
  async routeForAgent(em: EntityManager, agentId: string, exceptCompany: string): Promise<void> {
    await em.query('SELECT offers_route_for_agent($1, $2)', [agentId, exceptCompany]);
  }

  /**
   * routeForAgent for each agent of `withdrawn` (once each): offers withdrawn made room in their
   * agents' limits, which counts wherever each is live now (checked out of the offer's shift and
   * in on another company's already).
   */
  async routeForAgentsOf(
    em: EntityManager,
    withdrawn: { agent_id: string; company_id: string }[],
  ): Promise<void> {
    for (const offer of new Map(withdrawn.map((o) => [o.agent_id, o])).values()) {
      await this.routeForAgent(em, offer.agent_id, offer.company_id);
    }
  }

  /** Whether the offer's time is up by the clock now (not the transaction's start). */
  async expiredNow(em: EntityManager, id: string): Promise<boolean> {
    const [row]: { due: boolean }[] = await em.query(
      'SELECT expires_at <= clock_timestamp() AS due FROM offers WHERE id = $1',
      [id],
    );
    return row?.due ?? true;
  }

  async decide(
    em: EntityManager,
    id: string,
    status: Exclude<OfferStatus, 'pending'>,
    extra: { reason?: string; claimId?: string } = {},
  ): Promise<void> {
    await changedRows(
      em,
      `UPDATE offers SET status = $2, decided_at = now(), decline_reason = $3, claim_id = $4
        WHERE id = $1 AND status = 'pending' RETURNING id`,
      [id, status, extra.reason ?? null, extra.claimId ?? null],
    );
  }

  /** Whether the agent's last three decided offers since `since` all expired. */
  async threeExpiredInARow(em: EntityManager, agentId: string, since: Date): Promise<boolean> {
    const [row]: { n: number }[] = await em.query(
      `SELECT count(*)::int AS n FROM (
         SELECT status FROM offers
          WHERE agent_id = $1 AND created_at >= $2
            AND status IN ('accepted', 'declined', 'expired')
          -- In the order they were answered (or ran out): with two offers at once, an accept
          -- of the later one followed by three expiries is three in a row.
          ORDER BY decided_at DESC LIMIT 3) last
        WHERE status = 'expired'`,
      [agentId, since],
    );
    return row.n >= 3;
  }
}

/** The surge an offer fixed. */
export function offerSurge(o: OfferRow): SurgeQuote {
  return { multiplierBps: o.surge_multiplier_bps, extraMinor: Number(o.surge_extra_minor) };
}
