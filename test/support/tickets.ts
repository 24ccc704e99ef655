import { randomBytes } from 'node:crypto';
import { registerAgent, SignedIn } from './factories';
import { inMinutes, moveShift, shiftBody } from './shifts';
import type { TestApp } from './test-app';

export function escalationBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    externalId: `conv-${randomBytes(6).toString('hex')}`,
    subject: 'Refund not received',
    summary: 'Customer was promised a refund 10 days ago and has not received it.',
    transcript: [
      { role: 'customer', text: 'Where is my refund?', at: '2026-11-25T10:00:00Z' },
      { role: 'bot', text: 'Let me check that for you.', at: '2026-11-25T10:00:05Z' },
    ],
    botAttempts: ['Looked up the refund status', 'Offered a tracking link'],
    requiredSkills: [{ skill: 'refunds', minLevel: 2 }],
    language: 'en',
    priority: 'normal',
    customerRef: 'cust-42',
    metadata: { orderId: 'A-1001' },
    ...overrides,
  };
}

export async function escalate(
  t: TestApp,
  botKey: string,
  overrides: Record<string, unknown> = {},
): Promise<{ id: string } & Record<string, unknown>> {
  const res = await t.http
    .post('/v1/escalations')
    .set('Authorization', `Bearer ${botKey}`)
    .send(escalationBody(overrides));
  if (res.status !== 201)
    throw new Error(`escalation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * One escalation from the company's bot, claimed and resolved by the agent (who must be able
 * to take it): returns the ticket (its id and the bot's externalId among the rest).
 */
export async function resolvedTicket(
  t: TestApp,
  botKey: string,
  agent: { auth: Record<string, string> },
  resolveBody: Record<string, unknown> = {},
): Promise<{ id: string; externalId: string } & Record<string, unknown>> {
  const ticket = await escalate(t, botKey);
  await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
  await t.http
    .post(`/v1/tickets/${ticket.id}/resolve`)
    .set(agent.auth)
    .send({ resolutionSummary: 'done', ...resolveBody })
    .expect(200);
  return ticket as { id: string; externalId: string } & Record<string, unknown>;
}

export interface LiveAgentOptions {
  languages?: string[];
  skills?: { skill: string; level: number }[];
  maxConcurrentTickets?: number;
}

/**
 * An agent checked in on a live shift of the company: registers, sets the profile, claims a
 * seat while the shift is still ahead, then the shift is moved to "started 5 minutes ago" and
 * the agent checks in.
 */
export async function liveAgents(
  t: TestApp,
  companyAuth: Record<string, string>,
  count: number,
  options: LiveAgentOptions = {},
  shiftOverrides: Record<string, unknown> = {},
): Promise<{ shiftId: string; agents: SignedIn[] }> {
  const shift = await t.http
    .post('/v1/shifts')
    .set(companyAuth)
    .send(shiftBody({ seats: Math.max(count, 1), ...shiftOverrides }));
  if (shift.status !== 201) throw new Error(`shift: ${JSON.stringify(shift.body)}`);
  const agents: SignedIn[] = [];
  for (let i = 0; i < count; i += 25) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(25, count - i) }, async () => {
        const agent = await registerAgent(t);
        await t.http
          .put('/v1/agents/me/profile')
          .set(agent.auth)
          .send({
            displayName: 'Agent',
            timeZone: 'UTC',
            languages: options.languages ?? ['en'],
            maxConcurrentTickets: options.maxConcurrentTickets ?? 3,
          })
          .expect(200);
        await t.http
          .put('/v1/agents/me/skills')
          .set(agent.auth)
          .send({ skills: options.skills ?? [{ skill: 'refunds', level: 3 }] })
          .expect(200);
        return agent;
      }),
    );
    agents.push(...batch);
  }
  await goLive(t, shift.body.id, agents);
  return { shiftId: shift.body.id, agents };
}

/** Seats for these agents on a future shift, then the shift starts and they check in. */
export async function goLive(t: TestApp, shiftId: string, agents: SignedIn[]): Promise<void> {
  for (const agent of agents) {
    const res = await t.http.post(`/v1/shifts/${shiftId}/claims`).set(agent.auth);
    if (res.status !== 201) throw new Error(`seat: ${JSON.stringify(res.body)}`);
  }
  await moveShift(t, shiftId, inMinutes(-5), inMinutes(120));
  await t.db.query(
    `UPDATE shift_claims SET check_in_deadline = now() + interval '10 minutes' WHERE shift_id = $1`,
    [shiftId],
  );
  for (const agent of agents) {
    await t.http.post(`/v1/shifts/${shiftId}/check-in`).set(agent.auth).expect(200);
  }
}

/** Open tickets straight into the database, for volume tests that are not about intake. */
export async function insertTickets(
  t: TestApp,
  companyId: string,
  count: number,
  skill = 'refunds',
  minLevel = 2,
): Promise<void> {
  await t.db.query(
    `INSERT INTO tickets (company_id, external_id, intake_hash, subject, summary, transcript,
                          bot_attempts, language, priority, rank, claim_sla_seconds,
                          sla_deadline, primary_skill, skill_codes, skill_levels,
                          requested_levels, created_at)
     SELECT $1, 'bulk-' || g || '-' || md5(random()::text), 'x', 'Bulk ' || g, 'summary', '[]', '[]',
            'en', g % 4, g % 4, 900, now() + (g || ' seconds')::interval, $3,
            ARRAY[$3], ARRAY[$4::smallint], ARRAY[$4::smallint],
            now() - (g || ' milliseconds')::interval
       FROM generate_series(1, $2) g`,
    [companyId, count, skill, minLevel],
  );
}

/**
 * Gives the tickets one arrival and one SLA deadline, the rows written in the order given: the
 * match index then holds them in that physical order, whatever their ids, so a test of the
 * order's last key (the id) writes them highest id first.
 */
export async function sameInstant(t: TestApp, ids: string[]): Promise<void> {
  const at = new Date();
  for (const id of ids) {
    await t.db.query(
      `UPDATE tickets SET created_at = $2, sla_deadline = $2::timestamptz + interval '10 minutes'
        WHERE id = $1`,
      [id, at],
    );
  }
}
