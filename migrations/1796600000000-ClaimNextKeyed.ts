import { MigrationInterface, QueryRunner } from 'typeorm';
import { ClaimNextPassesOffers1796270000000 as ClaimNext } from './1796270000000-ClaimNextPassesOffers';
import { OfferReservationsLapse1796470000000 as Lapse } from './1796470000000-OfferReservationsLapse';
import { Surge1796050000000 as Surge } from './1796050000000-Surge';

/**
 * A claim-next keeps the Idempotency-Key it was sent with on the claim it makes, and a
 * claim-next with a key that made a claim already answers with that claim.
 *
 * claim_next_ticket is one statement, outside any transaction of the application's, so the
 * idempotency layer cannot tell whether it committed when its answer is lost with its connection
 * (KeyedCommits follows transactions): it answered 503 and freed the key, and the retry, under
 * the same key (the console's own), claimed a second ticket. The agent held one more ticket
 * than they knew of, until its handle timeout. Now the retry finds the claim its key made and
 * the agent gets that ticket. Only within the key's lifetime (`p_key_ttl`): a key used again
 * after it expired is a new request, as it is to the idempotency layer.
 *
 * The lookup comes after the agent's row lock, which every claim of the agent takes: a retry
 * sent while the first attempt still runs finds its claim once it commits. The key is kept on
 * claims of claim-next alone: a claim by id or an offer's accept answers its own retry already
 * (the ticket is the agent's: the same ticket again).
 *
 * The lookup walks the agent's claims of the key's lifetime along ix_ticket_claims_agent_claimed
 * (a few hundred at most in a day), so the key needs no index of its own, which would hold
 * nearly every claim (the console keys each claim-next) for good. Both new parameters default
 * to NULL: a process of the release before, calling with four, still claims (unkeyed).
 */
export class ClaimNextKeyed1796600000000 implements MigrationInterface {
  name = 'ClaimNextKeyed1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ticket_claims ADD COLUMN request_key text`);
    await q.query(
      `DROP FUNCTION write_ticket_claim(uuid, uuid, uuid, interval, text, int, bigint)`,
    );
    await q.query(Surge.writeTicketClaim(true));
    await q.query(`DROP FUNCTION claim_next_ticket(uuid, interval, int[], text)`);
    await q.query(ClaimNext.claimNext(true, true, Lapse.reserves, true));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION claim_next_ticket(uuid, interval, int[], text, text, interval)`);
    await q.query(ClaimNext.claimNext(true, true, Lapse.reserves));
    await q.query(
      `DROP FUNCTION write_ticket_claim(uuid, uuid, uuid, interval, text, int, bigint, text)`,
    );
    await q.query(Surge.writeTicketClaim());
    await q.query(`ALTER TABLE ticket_claims DROP COLUMN request_key`);
  }
}
