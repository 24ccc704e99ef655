import { MigrationInterface, QueryRunner } from 'typeorm';
import { replaceInFunction } from './support/function-text';

/**
 * An agent's room for tickets is one, whatever the company: its limit counts its active claims
 * and pending offers of every company. When room is made, the router of the company whose push
 * shift the agent is checked in on now must run, not only that of the company the ticket was of:
 * an agent who resolved (or had released) a ticket of an earlier pull shift while checked in on
 * another company's push shift sat free while that company's tickets waited unoffered, until
 * some other event of that company's ran its router.
 *
 * offers_route_for_agent(agent, except): asks for the router (`offers.route`, after commit) of
 * the company of each live push shift the agent is checked in on, but `except` (asked already).
 * It runs when a ticket claim ends (offers_route_request), and when an agent makes room or
 * matches more: a higher ticket limit, languages changed (agents), skills added or raised
 * (agent_skills). The offer jobs call it too when offers end (OffersRepository.routeForAgent).
 */
const ROUTE_FOR_AGENT = `
  CREATE FUNCTION offers_route_for_agent(agent uuid, except_company uuid) RETURNS void
  LANGUAGE sql AS $$
    INSERT INTO outbox (job_name, payload, run_at)
    SELECT DISTINCT 'offers.route', jsonb_build_object('companyId', s.company_id), now()
      FROM shift_claims c JOIN shifts s ON s.id = c.shift_id
     WHERE c.agent_id = agent AND c.status = 'checked_in' AND s.routing = 'push'
       AND s.status = 'scheduled' AND s.starts_at <= now() AND s.ends_at > now()
       AND s.company_id IS DISTINCT FROM except_company
  $$`;

/** offers_route_request (migration Offers): a ticket claim that ended frees its agent. */
const CLAIM_ENDED =
  "IF NOT (OLD.status = 'active' AND NEW.status <> 'active') THEN RETURN NULL; END IF;";
const FREED: [string, string] = [
  CLAIM_ENDED,
  `${CLAIM_ENDED}
        PERFORM offers_route_for_agent(NEW.agent_id, NEW.company_id);`,
];

export class RouteFreedAgents1796630000000 implements MigrationInterface {
  name = 'RouteFreedAgents1796630000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(ROUTE_FOR_AGENT);
    await replaceInFunction(q, 'offers_route_request()', [FREED]);
    await q.query(`
      CREATE FUNCTION agents_offers_route() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_TABLE_NAME = 'agents' THEN
          PERFORM offers_route_for_agent(NEW.user_id, NULL);
        ELSE
          PERFORM offers_route_for_agent(a.agent_id, NULL)
             FROM (SELECT DISTINCT agent_id FROM added) a;
        END IF;
        RETURN NULL;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER tr_agents_offers_route AFTER UPDATE ON agents FOR EACH ROW
        WHEN (NEW.max_concurrent_tickets > OLD.max_concurrent_tickets
              OR NEW.languages IS DISTINCT FROM OLD.languages)
        EXECUTE FUNCTION agents_offers_route()`);
    // Per statement: replacing a profile's skills writes several rows, one route will do.
    await q.query(`
      CREATE TRIGGER tr_agent_skills_offers_route AFTER INSERT ON agent_skills
        REFERENCING NEW TABLE AS added FOR EACH STATEMENT
        EXECUTE FUNCTION agents_offers_route()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER tr_agent_skills_offers_route ON agent_skills`);
    await q.query(`DROP TRIGGER tr_agents_offers_route ON agents`);
    await q.query(`DROP FUNCTION agents_offers_route()`);
    await replaceInFunction(q, 'offers_route_request()', [[FREED[1], FREED[0]]]);
    await q.query(`DROP FUNCTION offers_route_for_agent(uuid, uuid)`);
  }
}
