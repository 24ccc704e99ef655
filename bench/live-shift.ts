import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { seedUsers } from './support';

export interface LiveShift {
  routing: 'pull' | 'push';
  company: string;
  shift: string;
  agents: string[];
}

/**
 * A company with one shift live now (started an hour ago, 11 hours to go; English, refunds) and
 * `agents` identical agents checked in on it at the same instant, straight into the database:
 * nobody starts out idle longer than another.
 */
export async function seedLiveShift(
  db: Client,
  o: {
    routing: 'pull' | 'push';
    agents: number;
    offerSeconds: number;
    maxConcurrentTickets: number;
  },
): Promise<LiveShift> {
  const company = randomUUID();
  const shift = randomUUID();
  await db.query(`INSERT INTO companies (id, name) VALUES ($1, $2)`, [
    company,
    `Live ${o.routing}`,
  ]);
  await db.query(
    `INSERT INTO shifts (id, company_id, starts_at, ends_at, seats, seats_taken, languages,
                         rate_amount_minor, rate_currency, routing, offer_seconds)
     VALUES ($1, $2, now() - interval '1 hour', now() + interval '11 hours', $3, $3, '{en}', 250,
             'EUR', $4, $5)`,
    [shift, company, o.agents, o.routing, o.offerSeconds],
  );
  const agents = Array.from({ length: o.agents }, () => randomUUID());
  await seedUsers(db, agents, 'agent', {
    languages: '{en}',
    max_concurrent_tickets: o.maxConcurrentTickets,
  });
  await db.query(
    `INSERT INTO agent_skills (agent_id, skill, level) SELECT id, 'refunds', 3 FROM unnest($1::uuid[]) id`,
    [agents],
  );
  await db.query(
    `INSERT INTO shift_claims (shift_id, agent_id, company_id, period, status, check_in_deadline, checked_in_at)
     SELECT $1, id, $2, tstzrange(now() - interval '1 hour', now() + interval '11 hours'),
            'checked_in', now(), now() FROM unnest($3::uuid[]) id`,
    [shift, company, agents],
  );
  return { routing: o.routing, company, shift, agents };
}

/**
 * Tickets `from`..`from + count - 1` of the company, in one statement, as intake writes them
 * (the insert fires the router's trigger as intake does); their ids in that order.
 */
export async function insertTickets(
  db: Client,
  company: string,
  from: number,
  count: number,
): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO tickets (company_id, external_id, intake_hash, subject, summary, transcript, bot_attempts,
                          language, priority, rank, claim_sla_seconds, sla_deadline, primary_skill,
                          skill_codes, skill_levels, requested_levels)
     SELECT $1, 'live-' || g, 'x', 'Ticket ' || g, 'summary', '[]', '[]', 'en', 2, 2, 900,
            now() + interval '1 day', 'refunds', '{refunds}', '{1}', '{1}'
       FROM generate_series($2::int, $3::int) g
     RETURNING id`,
    [company, from, from + count - 1],
  );
  return rows.map((r) => r.id);
}
