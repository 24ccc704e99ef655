import { MigrationInterface, QueryRunner } from 'typeorm';
import { OfferReservations1795940000000 as Candidates } from './1795940000000-OfferReservations';
import { ClaimNextPassesOffers1796270000000 as ClaimNext } from './1796270000000-ClaimNextPassesOffers';

/**
 * An offer holds its ticket until it runs out, not until its expiry job runs.
 *
 * A pending offer kept its ticket from every pull-shift agent's claim-next (ticket_candidates
 * and claim_next_ticket's pick) and from a claim by id until `offer.expire` decided it: a
 * worker stalled or behind on the default queue left tickets reserved by offers nobody could
 * accept any more (an accept of a run-out offer is OFFER_EXPIRED). Now an offer stops holding
 * its ticket 30 seconds after it runs out: past any ordinary lateness of its expiry job, so
 * an offer still ends as its job decides (expired, counting towards "three in a row"), and an
 * accept made in time that waited on the ticket's lock (honoured past the end) is not raced
 * by a pull agent. A lapsed offer's job finds the ticket taken and withdraws it. The same
 * 30 seconds are in OffersRepository.pendingUntil (a claim by id).
 */
const RESERVES = `o.status = 'pending' AND o.expires_at > now() - interval '30 seconds'`;

export class OfferReservationsLapse1796470000000 implements MigrationInterface {
  name = 'OfferReservationsLapse1796470000000';

  /** What makes an offer hold its ticket now, for later migrations (ClaimNextKeyed). */
  static readonly reserves = RESERVES;

  async up(q: QueryRunner): Promise<void> {
    await q.query(Candidates.ticketCandidates(true, RESERVES));
    await q.query(ClaimNext.claimNext(true, true, RESERVES));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(Candidates.ticketCandidates(true));
    await q.query(ClaimNext.claimNext(true, true));
  }
}
