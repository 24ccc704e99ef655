import { randomUUID } from 'node:crypto';
import {
  createApiKey,
  createStaff,
  registerAgent,
  registerCompany,
  rowCounts,
  SignedIn,
} from './support/factories';
import {
  escalate,
  escalationBody,
  goLive,
  insertTickets,
  liveAgents,
  sameInstant,
} from './support/tickets';
import { pageAll } from './support/pages';
import { inMinutes, setProfile, shiftBody } from './support/shifts';
import { createTestApp, TestApp } from './support/test-app';

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const fields = (res: { body: { error: { details: { fields: { field: string }[] } } } }) =>
  res.body.error.details.fields.map((f) => f.field);

describe('tickets', () => {
  let t: TestApp;
  let acme: SignedIn;
  let acmeBot: Record<string, string>;
  let acmeKey: string;
  beforeAll(async () => {
    t = await createTestApp({ env: { RELEASE_COOLDOWN_MINUTES: '30' } });
    acme = await registerCompany(t, 'Acme');
    acmeKey = await createApiKey(t, acme);
    acmeBot = bearer(acmeKey);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('intake', () => {
    it('creates a ticket with defaults, and its SLA timer in the same transaction', async () => {
      const body = escalationBody({ priority: 'urgent' });
      const res = await t.http.post('/v1/escalations').set(acmeBot).send(body).expect(201);
      expect(res.body).toMatchObject({
        companyId: acme.companyId,
        externalId: body.externalId,
        status: 'open',
        priority: 'urgent',
        effectivePriority: 'urgent',
        claimSlaSeconds: 120,
        requiredSkills: [{ skill: 'refunds', minLevel: 2, requestedLevel: 2 }],
        transcript: body.transcript,
        claims: [],
      });
      expect(Date.parse(res.body.slaDeadline) - Date.parse(res.body.createdAt)).toBeCloseTo(
        120_000,
        -3,
      );
      const [timer] = await t.db.query(
        `SELECT run_at FROM outbox WHERE job_name = 'ticket.sla-check' AND payload->>'ticketId' = $1`,
        [res.body.id],
      );
      expect(new Date(timer.run_at).toISOString()).toBe(res.body.slaDeadline);
    });

    it('is idempotent on externalId: same payload → same ticket (200); different → 409', async () => {
      const body = escalationBody();
      const first = await t.http.post('/v1/escalations').set(acmeBot).send(body).expect(201);
      const again = await t.http
        .post('/v1/escalations')
        .set(acmeBot)
        .send({ ...body, metadata: { ...(body.metadata as object) } })
        .expect(200);
      expect(again.body.id).toBe(first.body.id);
      // Omitting a field that equals its default is the same payload.
      const withDefault = { ...body, claimSlaSeconds: 900 };
      expect(
        (await t.http.post('/v1/escalations').set(acmeBot).send(withDefault).expect(200)).body.id,
      ).toBe(first.body.id);
      const changed = await t.http
        .post('/v1/escalations')
        .set(acmeBot)
        .send({ ...body, subject: 'Something else' })
        .expect(409);
      expect(changed.body.error).toMatchObject({
        code: 'TICKET_EXTERNAL_ID_CONFLICT',
        details: { ticketId: first.body.id },
      });
    });

    it('creates one ticket when the same escalation arrives 10 times at once', async () => {
      const body = escalationBody();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => t.http.post('/v1/escalations').set(acmeBot).send(body)),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 200)).toHaveLength(9);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    });

    it('scopes externalId per company', async () => {
      const other = await registerCompany(t, 'Other');
      const otherBot = bearer(await createApiKey(t, other));
      const body = escalationBody();
      const a = await t.http.post('/v1/escalations').set(acmeBot).send(body).expect(201);
      const b = await t.http.post('/v1/escalations').set(otherBot).send(body).expect(201);
      expect(a.body.id).not.toBe(b.body.id);
    });

    it.each([
      [
        'unknown skill',
        { requiredSkills: [{ skill: 'astrology', minLevel: 1 }] },
        ['requiredSkills.0.skill'],
      ],
      [
        'skill twice',
        {
          requiredSkills: [
            { skill: 'refunds', minLevel: 1 },
            { skill: 'refunds', minLevel: 2 },
          ],
        },
        ['requiredSkills.1.skill'],
      ],
      [
        'too many skills',
        {
          requiredSkills: ['billing', 'refunds', 'fraud', 'payments', 'returns', 'shipping'].map(
            (skill) => ({ skill, minLevel: 1 }),
          ),
        },
        ['requiredSkills'],
      ],
      [
        'transcript too long',
        {
          transcript: Array.from({ length: 501 }, () => ({
            role: 'customer',
            text: 'hi',
            at: '2026-11-25T10:00:00Z',
          })),
        },
        ['transcript'],
      ],
      [
        'message too long',
        {
          transcript: [{ role: 'customer', text: 'x'.repeat(10_001), at: '2026-11-25T10:00:00Z' }],
        },
        ['transcript.0.text'],
      ],
      [
        'blank message',
        { transcript: [{ role: 'customer', text: ' \n\t', at: '2026-11-25T10:00:00Z' }] },
        ['transcript.0.text'],
      ],
      ['blank bot attempt', { botAttempts: ['Checked the order', '  '] }, ['botAttempts']],
      [
        'bad role',
        { transcript: [{ role: 'agent', text: 'hi', at: '2026-11-25T10:00:00Z' }] },
        ['transcript.0.role'],
      ],
      [
        'bad message time',
        { transcript: [{ role: 'bot', text: 'hi', at: 'yesterday' }] },
        ['transcript.0.at'],
      ],
      ['language', { language: 'english' }, ['language']],
      ['priority', { priority: 'critical' }, ['priority']],
      ['sla too short', { claimSlaSeconds: 5 }, ['claimSlaSeconds']],
      ['metadata too big', { metadata: { blob: 'x'.repeat(9000) } }, ['metadata']],
      ['metadata not an object', { metadata: ['a'] }, ['metadata']],
      ['externalId charset', { externalId: 'has spaces' }, ['externalId']],
      // A path segment URL clients resolve away: the ticket could never be addressed.
      ['externalId a dot segment', { externalId: '..' }, ['externalId']],
      ['externalId a single dot', { externalId: '.' }, ['externalId']],
    ])('refuses %s, naming the field, writing nothing', async (_name, overrides, expected) => {
      const before = await rowCounts(t);
      const res = await t.http
        .post('/v1/escalations')
        .set(acmeBot)
        .send(escalationBody(overrides))
        .expect(400);
      expect(fields(res)).toEqual(expected);
      expect(await rowCounts(t)).toEqual(before);
    });

    it('refuses NUL characters, naming the field, instead of failing in the database', async () => {
      const res = await t.http
        .post('/v1/escalations')
        .set(acmeBot)
        .send(escalationBody({ subject: 'bad\u0000subject', metadata: { note: 'x\u0000' } }))
        .expect(400);
      expect(fields(res)).toEqual(['subject', 'metadata.note']);
    });

    it('refuses control characters, blank or invisible-only text in what reaches the agent, naming each field', async () => {
      const before = await rowCounts(t);
      const res = await t.http
        .post('/v1/escalations')
        .set(acmeBot)
        .send(
          escalationBody({
            subject: '\u001b[2J\u0007',
            summary: '\u200b\u2060',
            transcript: [{ role: 'customer', text: 'a\r\u0008', at: '2030-05-04T09:12:00Z' }],
            botAttempts: ['fine', '\u0085'],
            customerRef: 'ref\u0007',
          }),
        )
        .expect(400);
      expect(fields(res).sort()).toEqual(
        ['botAttempts', 'customerRef', 'subject', 'summary', 'transcript.0.text'].sort(),
      );
      expect(await rowCounts(t)).toEqual(before);
      // Tabs, line feeds and emoji joined by zero-width joiners are text; Windows' line ends
      // are read as line feeds, and an empty reference as none.
      const made = await t.http
        .post('/v1/escalations')
        .set(acmeBot)
        .send(
          escalationBody({
            subject: 'Family 👨\u200d👩\u200d👧',
            summary: 'Line one\r\n\tLine two\rthree',
            customerRef: '',
          }),
        )
        .expect(201);
      const [row] = await t.db.query('SELECT summary, customer_ref FROM tickets WHERE id = $1', [
        made.body.id,
      ]);
      expect(row).toEqual({ summary: 'Line one\n\tLine two\nthree', customer_ref: null });
    });

    it('answers a retry from the existing ticket even after one of its skills was retired', async () => {
      const admin = await createStaff(t, 'admin');
      await t.http
        .post('/v1/skills')
        .set(admin.auth)
        .send({ code: 'seasonal', name: 'Seasonal' })
        .expect(201);
      const body = escalationBody({ requiredSkills: [{ skill: 'seasonal', minLevel: 1 }] });
      const first = await t.http.post('/v1/escalations').set(acmeBot).send(body).expect(201);
      await t.http.delete('/v1/skills/seasonal').set(admin.auth).expect(200);
      const retry = await t.http.post('/v1/escalations').set(acmeBot).send(body).expect(200);
      expect(retry.body.id).toBe(first.body.id);
    });

    it('accepts escalations only from bots', async () => {
      await t.http.post('/v1/escalations').set(acme.auth).send(escalationBody()).expect(403);
    });
  });

  describe('company reads', () => {
    it('lists tickets newest first with filters and a cursor', async () => {
      const co = await registerCompany(t, 'Reader');
      const bot = await createApiKey(t, co);
      const low = await escalate(t, bot, { priority: 'low' });
      const high = await escalate(t, bot, { priority: 'high' });
      const all = await t.http.get('/v1/tickets?limit=1').set(co.auth).expect(200);
      expect(all.body.items.map((x: { id: string }) => x.id)).toEqual([high.id]);
      const next = await t.http
        .get(`/v1/tickets?limit=1&cursor=${all.body.nextCursor}`)
        .set(co.auth)
        .expect(200);
      expect(next.body.items.map((x: { id: string }) => x.id)).toEqual([low.id]);
      const onlyLow = await t.http.get('/v1/tickets?priority=low').set(bearer(bot)).expect(200);
      expect(onlyLow.body.items.map((x: { id: string }) => x.id)).toEqual([low.id]);
      const future = await t.http
        .get(`/v1/tickets?from=${new Date(Date.now() + 60_000).toISOString()}`)
        .set(co.auth)
        .expect(200);
      expect(future.body.items).toEqual([]);
      await t.http.get('/v1/tickets?status=lost').set(co.auth).expect(400);
    });

    it('pages through tickets written in one millisecond without skipping any', async () => {
      const co = await registerCompany(t, 'Burst');
      const bot = await createApiKey(t, co);
      const made = [];
      for (let i = 0; i < 3; i++) made.push(await escalate(t, bot));
      // As intake at hundreds a second writes them: one millisecond, apart in microseconds.
      const micros = ['123789', '123456', '123001'];
      for (const [i, ticket] of made.entries()) {
        await t.db.query('UPDATE tickets SET created_at = $2::timestamptz WHERE id = $1', [
          ticket.id,
          `2026-12-03T10:00:00.${micros[i]}Z`,
        ]);
      }
      const seen = await pageAll(t, '/v1/tickets', co.auth);
      expect(seen).toEqual(made.map((x) => x.id));
    });

    it('lists the waiting tickets nearest their SLA deadline first, breached ones at the top', async () => {
      const co = await registerCompany(t, 'Deadlines');
      const bot = await createApiKey(t, co);
      const late = await escalate(t, bot, { claimSlaSeconds: 3000 });
      const soon = await escalate(t, bot, { claimSlaSeconds: 600 });
      const breached = await escalate(t, bot, { claimSlaSeconds: 2000 });
      // Two with one deadline: the id decides, and a cursor between them skips neither.
      const twinA = await escalate(t, bot, { claimSlaSeconds: 1000 });
      const twinB = await escalate(t, bot, { claimSlaSeconds: 1000 });
      await t.db.query(
        `UPDATE tickets SET sla_deadline = now() - interval '5 minutes' WHERE id = $1`,
        [breached.id],
      );
      await t.db.query(`UPDATE tickets SET sla_deadline = $2 WHERE id = ANY($1)`, [
        [twinA.id, twinB.id],
        '2099-01-01T00:00:00.123456Z',
      ]);
      const twins = [twinA.id, twinB.id].sort();
      const order = await pageAll(t, '/v1/tickets?status=open&sort=sla_deadline', co.auth);
      expect(order).toEqual([breached.id, soon.id, late.id, ...twins]);
      // The default stays newest first.
      expect(await pageAll(t, '/v1/tickets?status=open', co.auth)).toEqual(
        [late, soon, breached, twinA, twinB].map((x) => x.id).reverse(),
      );
      // Neither order continues from the other's cursor (it would skip or repeat a page).
      const sla = await t.http
        .get('/v1/tickets?status=open&sort=sla_deadline&limit=1')
        .set(co.auth);
      const newest = await t.http.get('/v1/tickets?status=open&limit=1').set(co.auth);
      for (const url of [
        `/v1/tickets?status=open&cursor=${sla.body.nextCursor}`,
        `/v1/tickets?status=open&sort=sla_deadline&cursor=${newest.body.nextCursor}`,
      ]) {
        expect(fields(await t.http.get(url).set(co.auth).expect(400))).toEqual(['cursor']);
      }
      // A claimed ticket's SLA is settled: the order is for the waiting ones.
      for (const query of ['sort=sla_deadline', 'sort=sla_deadline&status=claimed', 'sort=age']) {
        const res = await t.http.get(`/v1/tickets?${query}`).set(bearer(bot)).expect(400);
        expect(fields(res)).toEqual(['sort']);
      }
    });

    it("keeps tickets to their company: B (admin or bot) cannot read or reopen A's", async () => {
      const ticket = await escalate(t, acmeKey);
      const b = await registerCompany(t, 'B');
      const bBot = bearer(await createApiKey(t, b));
      await t.http.get(`/v1/tickets/${ticket.id}`).set(b.auth).expect(404);
      await t.http.get(`/v1/tickets/${ticket.id}`).set(bBot).expect(404);
      await t.http
        .post(`/v1/tickets/${ticket.id}/reopen`)
        .set(b.auth)
        .send({ reason: 'x' })
        .expect(404);
      const list = await t.http.get('/v1/tickets?limit=100').set(bBot).expect(200);
      expect(list.body.items.map((x: { id: string }) => x.id)).not.toContain(ticket.id);
      await t.http.get(`/v1/tickets/${ticket.id}`).set(acmeBot).expect(200);
    });
  });

  describe('matching and claiming', () => {
    let co: SignedIn;
    let coKey: string;
    beforeAll(async () => {
      co = await registerCompany(t, 'Matcher');
      coKey = await createApiKey(t, co);
    });

    it('queues the best eligible tickets first and claim-next takes the best', async () => {
      const {
        agents: [agent],
      } = await liveAgents(t, co.auth, 1);
      const normal = await escalate(t, coKey, { priority: 'normal' });
      const urgent = await escalate(t, coKey, { priority: 'urgent' });
      const normalLater = await escalate(t, coKey, { priority: 'normal', claimSlaSeconds: 5000 });
      await escalate(t, coKey, { language: 'de' }); // not the agent's language
      await escalate(t, coKey, { requiredSkills: [{ skill: 'fraud', minLevel: 1 }] }); // skill it lacks
      const queue = await t.http.get('/v1/agents/me/queue').set(agent.auth).expect(200);
      const mine = queue.body.items.map((x: { id: string }) => x.id);
      expect(mine.slice(0, 3)).toEqual([urgent.id, normal.id, normalLater.id]);
      expect(queue.body.items[0].pay).toEqual({ amountMinor: 250, currency: 'EUR' });
      expect(queue.body).toMatchObject({
        activeTickets: 0,
        maxConcurrentTickets: 3,
        liveShift: { companyId: co.companyId },
      });

      const res = await t.http.post('/v1/agents/me/tickets/claim-next').set(agent.auth).expect(200);
      expect(res.body).toMatchObject({
        id: urgent.id,
        status: 'claimed',
        claimedBy: agent.id,
        pay: { amountMinor: 250 },
      });
      expect(res.body.transcript).toHaveLength(2);
      const mineNow = await t.http.get('/v1/agents/me/tickets').set(agent.auth).expect(200);
      expect(mineNow.body.map((x: { id: string }) => x.id)).toEqual([urgent.id]);
      // The company's queue names who holds it (the console's live queue shows it).
      const claimed = await t.http.get('/v1/tickets?status=claimed').set(co.auth).expect(200);
      const profile = await t.http.get('/v1/agents/me/profile').set(agent.auth).expect(200);
      expect(claimed.body.items).toEqual([
        expect.objectContaining({
          id: urgent.id,
          claimedBy: agent.id,
          claimedByName: profile.body.displayName,
        }),
      ]);
      const one = await t.http.get(`/v1/tickets/${urgent.id}`).set(co.auth).expect(200);
      expect(one.body.claimedByName).toBe(profile.body.displayName);
      const waiting = await t.http.get('/v1/tickets?status=open').set(co.auth).expect(200);
      expect(
        waiting.body.items.every((x: { claimedByName: null }) => x.claimedByName === null),
      ).toBe(true);
      const [event] = await t.db.query(
        `SELECT payload FROM outbox WHERE job_name = 'ticket.claimed' AND payload->>'ticketId' = $1`,
        [urgent.id],
      );
      expect(event.payload).toMatchObject({
        agentId: agent.id,
        companyId: co.companyId,
        claimId: res.body.claimId,
      });
    });

    it('orders tickets of one instant by id: the queue lists first the one claim-next takes', async () => {
      const twins = await registerCompany(t, 'Twins');
      const twinsKey = await createApiKey(t, twins);
      const {
        agents: [agent],
      } = await liveAgents(t, twins.auth, 1);
      const ids = [(await escalate(t, twinsKey)).id, (await escalate(t, twinsKey)).id].sort();
      await sameInstant(t, [...ids].reverse());
      const queue = await t.http.get('/v1/agents/me/queue').set(agent.auth).expect(200);
      expect(queue.body.items.map((x: { id: string }) => x.id)).toEqual(ids);
      const res = await t.http.post('/v1/agents/me/tickets/claim-next').set(agent.auth).expect(200);
      expect(res.body.id).toBe(ids[0]);
    });

    it('answers 204 when nothing matches', async () => {
      const lonely = await registerCompany(t, 'Lonely');
      const {
        agents: [agent],
      } = await liveAgents(t, lonely.auth, 1);
      await t.http.post('/v1/agents/me/tickets/claim-next').set(agent.auth).expect(204);
    });

    it('200 concurrent claim-next over 1,000 open tickets: each claimed at most once, no agent over its limit', async () => {
      const storm = await registerCompany(t, 'Storm');
      const { agents } = await liveAgents(t, storm.auth, 50, { maxConcurrentTickets: 3 });
      await insertTickets(t, storm.companyId!, 1000);
      const calls = agents.flatMap((a) => Array.from({ length: 4 }, () => a));
      const results = await Promise.all(
        calls.map((a) => t.http.post('/v1/agents/me/tickets/claim-next').set(a.auth)),
      );
      const claimed = results.filter((r) => r.status === 200).map((r) => r.body.id);
      expect(claimed.length).toBe(150); // 50 agents × limit 3
      expect(new Set(claimed).size).toBe(claimed.length);
      const refused = results.filter((r) => r.status !== 200);
      expect(
        refused.every((r) => r.status === 409 && r.body.error.code === 'AGENT_AT_CAPACITY'),
      ).toBe(true);
      const [{ doubles }] = await t.db.query(
        `SELECT count(*)::int AS doubles FROM (SELECT ticket_id FROM ticket_claims WHERE status = 'active' GROUP BY ticket_id HAVING count(*) > 1) d`,
      );
      expect(doubles).toBe(0);
      const [{ over }] = await t.db.query(
        `SELECT count(*)::int AS over FROM (SELECT c.agent_id FROM ticket_claims c JOIN agents a ON a.user_id = c.agent_id
           WHERE c.status = 'active' GROUP BY c.agent_id, a.max_concurrent_tickets HAVING count(*) > a.max_concurrent_tickets) o`,
      );
      expect(over).toBe(0);
      const [{ mismatched }] = await t.db.query(
        `SELECT count(*)::int AS mismatched FROM tickets t WHERE t.company_id = $1 AND (t.status = 'claimed') <> EXISTS (
           SELECT 1 FROM ticket_claims c WHERE c.ticket_id = t.id AND c.status = 'active')`,
        [storm.companyId],
      );
      expect(mismatched).toBe(0);
    });

    it("answers an agent's every action on a ticket of a company it never worked for as an unknown id", async () => {
      const {
        agents: [holder],
      } = await liveAgents(t, co.auth, 1);
      const ticket = await escalate(t, coKey);
      await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(holder.auth).expect(200);
      const stranger = await registerAgent(t); // works for another company, or none yet
      const suspended = await registerAgent(t);
      await t.http
        .post(`/v1/agents/${suspended.id}/suspend`)
        .set((await createStaff(t, 'admin')).auth)
        .send({ reason: 'test' })
        .expect(200);
      const actions: [string, string, object?][] = [
        ['post', 'heartbeat'],
        ['post', 'release', { reason: 'not mine' }],
        ['post', 'resolve', { resolutionSummary: 'Done' }],
        ['post', 'messages', { body: 'Hello', visibility: 'customer' }],
        ['get', 'messages'],
        ['post', 'transfer', { requiredSkills: [{ skill: 'refunds', minLevel: 4 }], note: 'x' }],
        ['post', 'claim'],
      ];
      for (const agent of [stranger, suspended]) {
        for (const [method, action, body] of actions) {
          const call = (id: string) => {
            const req =
              method === 'get'
                ? t.http.get(`/v1/tickets/${id}/${action}`)
                : t.http.post(`/v1/tickets/${id}/${action}`);
            return req.set(agent.auth).send(body);
          };
          const known = await call(ticket.id);
          const unknown = await call(randomUUID());
          expect([action, known.status]).toEqual([action, 404]);
          expect({ ...known.body.error, requestId: null }).toEqual({
            ...unknown.body.error,
            requestId: null,
          });
        }
      }
      // The holder's ticket is untouched.
      const [row] = await t.db.query('SELECT status, claimed_by FROM tickets WHERE id = $1', [
        ticket.id,
      ]);
      expect(row).toEqual({ status: 'claimed', claimed_by: holder.id });
    });

    describe('eligibility matrix (POST /v1/tickets/:id/claim)', () => {
      let ticketId: string;
      beforeEach(async () => {
        ticketId = (
          await escalate(t, coKey, {
            requiredSkills: [{ skill: 'refunds', minLevel: 3 }],
            language: 'pt',
          })
        ).id;
      });
      const skilled = { languages: ['pt'], skills: [{ skill: 'refunds', level: 3 }] };

      it('lets a qualified live agent claim it, once', async () => {
        const {
          agents: [agent],
        } = await liveAgents(t, co.auth, 1, skilled);
        await t.http.post(`/v1/tickets/${ticketId}/claim`).set(agent.auth).expect(200);
        await t.http.post(`/v1/tickets/${ticketId}/claim`).set(agent.auth).expect(200); // idempotent
        const {
          agents: [other],
        } = await liveAgents(t, co.auth, 1, skilled);
        const res = await t.http.post(`/v1/tickets/${ticketId}/claim`).set(other.auth).expect(409);
        expect(res.body.error.code).toBe('TICKET_ALREADY_CLAIMED');
      });

      const refusal = async (agent: SignedIn, reasons: object[]) => {
        const res = await t.http.post(`/v1/tickets/${ticketId}/claim`).set(agent.auth).expect(403);
        expect(res.body.error).toMatchObject({ code: 'NOT_ELIGIBLE' });
        expect(res.body.error.details.reasons).toEqual(reasons);
      };

      // The ticket's existence is its company's business: an agent who never held a seat
      // with the company is told what an unknown id is told.
      const unknownToAgent = async (agent: SignedIn) => {
        const res = await t.http.post(`/v1/tickets/${ticketId}/claim`).set(agent.auth).expect(404);
        const missing = await t.http
          .post(`/v1/tickets/${randomUUID()}/claim`)
          .set(agent.auth)
          .expect(404);
        expect(res.body.error).toEqual({
          ...missing.body.error,
          requestId: res.body.error.requestId,
        });
      };

      it('answers 404 to an agent on no shift who never held a seat with the company', async () => {
        const agent = await registerAgent(t);
        await setProfile(t, agent, { languages: ['pt'], skills: skilled.skills });
        await unknownToAgent(agent);
      });

      it('refuses an agent with a seat who has not checked in', async () => {
        const {
          agents: [agent],
          shiftId,
        } = await liveAgents(t, co.auth, 1, skilled);
        await t.db.query(
          `UPDATE shift_claims SET status = 'cancelled', cancelled_at = now(), cancelled_by = 'agent' WHERE shift_id = $1`,
          [shiftId],
        );
        await refusal(agent, [{ code: 'NOT_ON_SHIFT' }]);
      });

      it("answers 404 to an agent live on another company's shift", async () => {
        const elsewhere = await registerCompany(t, 'Elsewhere');
        const {
          agents: [agent],
        } = await liveAgents(t, elsewhere.auth, 1, skilled);
        await unknownToAgent(agent);
      });

      it('names the next seat with NOT_ON_SHIFT: its start, and whether checked in', async () => {
        const agent = await registerAgent(t);
        await setProfile(t, agent, { languages: ['pt'], skills: skilled.skills });
        const shift = await t.http
          .post('/v1/shifts')
          .set(co.auth)
          .send(
            shiftBody({
              startsAt: inMinutes(10).toISOString(),
              endsAt: inMinutes(130).toISOString(),
            }),
          )
          .expect(201);
        await t.http.post(`/v1/shifts/${shift.body.id}/claims`).set(agent.auth).expect(201);
        const next = {
          code: 'NOT_ON_SHIFT',
          shiftId: shift.body.id,
          startsAt: shift.body.startsAt,
        };
        const claimNext = () =>
          t.http.post('/v1/agents/me/tickets/claim-next').set(agent.auth).expect(403);
        expect((await claimNext()).body.error.details.reasons).toEqual([
          { ...next, checkedIn: false },
        ]);
        // Checked in before the start: still not on shift, until startsAt.
        await t.http.post(`/v1/shifts/${shift.body.id}/check-in`).set(agent.auth).expect(200);
        expect((await claimNext()).body.error.details.reasons).toEqual([
          { ...next, checkedIn: true },
        ]);
        await refusal(agent, [{ ...next, checkedIn: true }]);
        // A ticket of a company the agent never held a seat with: not even that it exists.
        const elsewhere = await escalate(t, acmeKey, { language: 'pt' });
        await t.http.post(`/v1/tickets/${elsewhere.id}/claim`).set(agent.auth).expect(404);
      });

      it('refuses a missing skill', async () => {
        const {
          agents: [agent],
        } = await liveAgents(t, co.auth, 1, {
          languages: ['pt'],
          skills: [{ skill: 'billing', level: 5 }],
        });
        await refusal(agent, [{ code: 'MISSING_SKILL', skill: 'refunds', minLevel: 3 }]);
      });

      it('refuses a level too low', async () => {
        const {
          agents: [agent],
        } = await liveAgents(t, co.auth, 1, {
          languages: ['pt'],
          skills: [{ skill: 'refunds', level: 2 }],
        });
        await refusal(agent, [
          { code: 'SKILL_LEVEL_TOO_LOW', skill: 'refunds', minLevel: 3, level: 2 },
        ]);
      });

      it('refuses the wrong language', async () => {
        const {
          agents: [agent],
        } = await liveAgents(t, co.auth, 1, { languages: ['en'], skills: skilled.skills });
        await refusal(agent, [{ code: 'MISSING_LANGUAGE', language: 'pt' }]);
      });

      /** A certified agent checked in on a live shift that requires the certification. */
      const certifiedOnShift = async () => {
        const agent = await registerAgent(t);
        await setProfile(t, agent, { languages: ['pt'], skills: skilled.skills });
        await t.http.put(`/v1/companies/me/certified-agents/${agent.id}`).set(co.auth).expect(200);
        const shift = await t.http
          .post('/v1/shifts')
          .set(co.auth)
          .send(shiftBody({ requiresCertification: true }))
          .expect(201);
        await goLive(t, shift.body.id, [agent]);
        return agent;
      };

      it('refuses when the shift requires a certification the agent lost (its seat ended with it)', async () => {
        const agent = await certifiedOnShift();
        await t.http
          .delete(`/v1/companies/me/certified-agents/${agent.id}`)
          .set(co.auth)
          .expect(204);
        // The revocation ended the seat (a check-out): off shift, whatever the ticket.
        await refusal(agent, [{ code: 'NOT_ON_SHIFT' }]);
      });

      it('refuses when the live shift requires a certification the agent does not hold', async () => {
        const agent = await certifiedOnShift();
        // The row gone by other means than a revocation (an operator's repair): the matcher's
        // own check still refuses.
        await t.db.query('DELETE FROM certifications WHERE agent_id = $1', [agent.id]);
        await refusal(agent, [{ code: 'NOT_CERTIFIED', companyId: co.companyId }]);
      });

      it('refuses a suspended agent', async () => {
        const {
          agents: [agent],
        } = await liveAgents(t, co.auth, 1, skilled);
        const admin = await createStaff(t, 'admin');
        await t.http
          .post(`/v1/agents/${agent.id}/suspend`)
          .set(admin.auth)
          .send({ reason: 'review' })
          .expect(200);
        // The suspension also cancelled its seat, so it is off shift as well.
        await refusal(agent, [{ code: 'SUSPENDED' }, { code: 'NOT_ON_SHIFT' }]);
        const next = await t.http
          .post('/v1/agents/me/tickets/claim-next')
          .set(agent.auth)
          .expect(403);
        expect(next.body.error.details.reasons).toEqual([
          { code: 'SUSPENDED' },
          { code: 'NOT_ON_SHIFT' },
        ]);
      });

      it('refuses an agent at capacity with 409', async () => {
        const {
          agents: [agent],
        } = await liveAgents(t, co.auth, 1, { ...skilled, maxConcurrentTickets: 1 });
        const first = await escalate(t, coKey, {
          requiredSkills: [{ skill: 'refunds', minLevel: 3 }],
          language: 'pt',
        });
        await t.http.post(`/v1/tickets/${first.id}/claim`).set(agent.auth).expect(200);
        const res = await t.http.post(`/v1/tickets/${ticketId}/claim`).set(agent.auth).expect(409);
        expect(res.body.error).toMatchObject({
          code: 'AGENT_AT_CAPACITY',
          details: { activeTickets: 1, maxConcurrentTickets: 1 },
        });
      });
    });

    describe('release, resolve, reopen', () => {
      const claimAndResolve = async (agent: SignedIn, ticketId: string, summary: string) => {
        await t.http.post(`/v1/tickets/${ticketId}/claim`).set(agent.auth).expect(200);
        await t.http
          .post(`/v1/tickets/${ticketId}/resolve`)
          .set(agent.auth)
          .send({ resolutionSummary: summary })
          .expect(200);
      };
      it('release returns it to the queue, not to the releasing agent for a while', async () => {
        const {
          agents: [a, b],
        } = await liveAgents(t, co.auth, 2);
        const ticket = await escalate(t, coKey, { priority: 'urgent' });
        await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(a.auth).expect(200);
        const released = await t.http
          .post(`/v1/tickets/${ticket.id}/release`)
          .set(a.auth)
          .send({ reason: 'needs fraud team' })
          .expect(200);
        expect(released.body.status).toBe('open');
        expect(released.body.claims[0]).toMatchObject({
          status: 'released',
          releasedBy: 'agent',
          releaseReason: 'needs fraud team',
        });
        const queueA = await t.http.get('/v1/agents/me/queue?limit=50').set(a.auth).expect(200);
        expect(queueA.body.items.map((x: { id: string }) => x.id)).not.toContain(ticket.id);
        const again = await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(a.auth).expect(403);
        expect(again.body.error.details.reasons[0].code).toBe('RELEASED_RECENTLY');
        await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(b.auth).expect(200);
      });

      it('resolve by the claiming agent records the shift rate; nobody else can resolve or release it', async () => {
        const {
          agents: [a, b],
        } = await liveAgents(
          t,
          co.auth,
          2,
          {},
          { ratePerTicket: { amountMinor: 375, currency: 'USD' } },
        );
        const ticket = await escalate(t, coKey);
        await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(a.auth).expect(200);
        const theft = await t.http
          .post(`/v1/tickets/${ticket.id}/resolve`)
          .set(b.auth)
          .send({ resolutionSummary: 'mine' })
          .expect(403);
        expect(theft.body.error.code).toBe('TICKET_NOT_CLAIMED_BY_YOU');
        await t.http
          .post(`/v1/tickets/${ticket.id}/release`)
          .set(b.auth)
          .send({ reason: 'x' })
          .expect(403);
        const done = await t.http
          .post(`/v1/tickets/${ticket.id}/resolve`)
          .set(a.auth)
          .send({ resolutionSummary: 'Refund re-issued' })
          .expect(200);
        expect(done.body).toMatchObject({ status: 'resolved', claimedBy: null });
        expect(done.body.claims[0]).toMatchObject({
          status: 'resolved',
          resolutionSummary: 'Refund re-issued',
          pay: { amountMinor: 375, currency: 'USD' },
        });
        const [event] = await t.db.query(
          `SELECT payload FROM outbox WHERE job_name = 'ticket.resolved' AND payload->>'ticketId' = $1`,
          [ticket.id],
        );
        expect(event.payload.data).toMatchObject({ pay: { amountMinor: 375, currency: 'USD' } });
        // Resolved already, with another summary (issue 13: was 403 TICKET_NOT_CLAIMED_BY_YOU).
        const again = await t.http
          .post(`/v1/tickets/${ticket.id}/resolve`)
          .set(a.auth)
          .send({ resolutionSummary: 'again' })
          .expect(409);
        expect(again.body.error.code).toBe('TICKET_ALREADY_RESOLVED');
      });

      it('answers a retried resolve with the same result; another summary 409; not after a reopen', async () => {
        const {
          agents: [a, b],
        } = await liveAgents(t, co.auth, 2);
        const ticket = await escalate(t, coKey);
        await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(a.auth).expect(200);
        const resolve = (agent: SignedIn, resolutionSummary: string) =>
          t.http
            .post(`/v1/tickets/${ticket.id}/resolve`)
            .set(agent.auth)
            .send({ resolutionSummary });
        const first = await resolve(a, 'Refund re-issued').expect(200);
        const retry = await resolve(a, '  Refund re-issued ').expect(200);
        expect(retry.body).toEqual(first.body);
        const [{ n }] = await t.db.query(
          `SELECT count(*)::int AS n FROM outbox WHERE job_name = 'ticket.resolved' AND payload->>'ticketId' = $1`,
          [ticket.id],
        );
        expect(n).toBe(1);
        const changed = await resolve(a, 'Refund sent by cheque').expect(409);
        expect(changed.body.error).toMatchObject({
          code: 'TICKET_ALREADY_RESOLVED',
          details: {
            resolvedAt: first.body.resolvedAt,
            resolutionSummary: 'Refund re-issued',
          },
        });
        const other = await resolve(b, 'Refund re-issued').expect(403);
        expect(other.body.error.code).toBe('TICKET_NOT_CLAIMED_BY_YOU');
        const reopened = await t.http
          .post(`/v1/tickets/${ticket.id}/reopen`)
          .set(bearer(coKey))
          .send({ reason: 'customer wrote back' })
          .expect(200);
        // Open again, claimed by nobody since: no claim time left over from the last one.
        expect(reopened.body).toMatchObject({ status: 'open', claimedBy: null, claimedAt: null });
        const afterReopen = await resolve(a, 'Refund re-issued').expect(403);
        expect(afterReopen.body.error.code).toBe('TICKET_NOT_CLAIMED_BY_YOU');
      });

      it("a reopen retried with its Idempotency-Key gets its first answer, never reopening the next agent's resolution", async () => {
        const {
          agents: [a, b],
        } = await liveAgents(t, co.auth, 2);
        const ticket = await escalate(t, coKey);
        const work = (agent: SignedIn, summary: string) =>
          claimAndResolve(agent, ticket.id, summary);
        await work(a, 'done');
        const reopen = () =>
          t.http
            .post(`/v1/tickets/${ticket.id}/reopen`)
            .set(bearer(coKey))
            .set('Idempotency-Key', `reopen-${ticket.id}`)
            .send({ reason: 'customer wrote back' })
            .expect(200);
        const first = await reopen();
        // The answer was lost; meanwhile another agent took the ticket and resolved it.
        await work(b, 'done properly');
        const again = await reopen();
        expect(again.headers['idempotent-replayed']).toBe('true');
        expect(again.body).toEqual(first.body);
        const now = await t.http.get(`/v1/tickets/${ticket.id}`).set(co.auth).expect(200);
        expect(now.body).toMatchObject({ status: 'resolved', reopenCount: 1 });
      });

      it("a resolve retried with its Idempotency-Key gets its first answer, never resolving the agent's next claim of the ticket reopened", async () => {
        const {
          agents: [a],
        } = await liveAgents(t, co.auth, 1);
        const ticket = await escalate(t, coKey);
        await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(a.auth).expect(200);
        const resolve = () =>
          t.http
            .post(`/v1/tickets/${ticket.id}/resolve`)
            .set(a.auth)
            .set('Idempotency-Key', `resolve-${ticket.id}`)
            .send({ resolutionSummary: 'Refund re-issued' });
        const first = await resolve().expect(200);
        // The answer was lost; meanwhile the company reopened it and the agent took it again.
        await t.http
          .post(`/v1/tickets/${ticket.id}/reopen`)
          .set(bearer(coKey))
          .send({ reason: 'customer wrote back' })
          .expect(200);
        await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(a.auth).expect(200);
        const again = await resolve().expect(200);
        expect(again.headers['idempotent-replayed']).toBe('true');
        expect(again.body).toEqual(first.body);
        // Without the key that retry had resolved the new claim with the old summary.
        const now = await t.http.get(`/v1/tickets/${ticket.id}`).set(co.auth).expect(200);
        expect(now.body).toMatchObject({ status: 'claimed', reopenCount: 1 });
      });

      it("a reopen naming the resolution it means refuses once another stands: the key's answer lost, or no key", async () => {
        const {
          agents: [a, b],
        } = await liveAgents(t, co.auth, 2);
        const ticket = await escalate(t, coKey);
        const work = (agent: SignedIn) => claimAndResolve(agent, ticket.id, 'done');
        await work(a);
        const read = await t.http.get(`/v1/tickets/${ticket.id}`).set(co.auth).expect(200);
        const aClaim = read.body.claims[0].claimId as string;
        const reopen = (claimId: unknown) =>
          t.http
            .post(`/v1/tickets/${ticket.id}/reopen`)
            .set(bearer(coKey))
            .send({ reason: 'customer wrote back', claimId });
        const bad = await reopen('not-a-uuid').expect(400);
        expect(bad.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
          'claimId',
        ]);
        await reopen(aClaim).expect(200);
        // The answer was lost (no key kept it); meanwhile another agent resolved it again.
        await work(b);
        const refused = await reopen(aClaim).expect(409);
        const now = await t.http.get(`/v1/tickets/${ticket.id}`).set(co.auth).expect(200);
        const bClaim = now.body.claims[1].claimId as string;
        expect(refused.body.error).toMatchObject({
          code: 'TICKET_RESOLVED_AGAIN',
          details: { claimId: bClaim },
        });
        expect(now.body).toMatchObject({ status: 'resolved', reopenCount: 1 });
        expect(now.body.claims[1]).toMatchObject({ status: 'resolved', reopenedAt: null });
        // Naming the one that stands reopens it, in either case (a UUID is one whatever its case),
        // and the ticket in the path too.
        await t.http
          .post(`/v1/tickets/${ticket.id.toUpperCase()}/reopen`)
          .set(bearer(coKey))
          .send({ reason: 'customer wrote back', claimId: bClaim.toUpperCase() })
          .expect(200);
      });

      it('reopen inside the window sends it back to the queue; after the window, 409', async () => {
        const {
          agents: [a],
        } = await liveAgents(t, co.auth, 1);
        const ticket = await escalate(t, coKey);
        await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(a.auth).expect(200);
        await t.http
          .post(`/v1/tickets/${ticket.id}/resolve`)
          .set(a.auth)
          .send({ resolutionSummary: 'done' })
          .expect(200);
        const reopened = await t.http
          .post(`/v1/tickets/${ticket.id}/reopen`)
          .set(bearer(coKey))
          .send({ reason: 'customer wrote back' })
          .expect(200);
        expect(reopened.body).toMatchObject({
          status: 'open',
          reopenCount: 1,
          reopenDeadline: null, // open again: nothing to reopen
        });
        expect(reopened.body.claims[0].reopenedAt).not.toBeNull();
        await t.http
          .post(`/v1/tickets/${ticket.id}/reopen`)
          .set(co.auth)
          .send({ reason: 'x' })
          .expect(409);

        const late = await escalate(t, coKey);
        await t.http.post(`/v1/tickets/${late.id}/claim`).set(a.auth).expect(200);
        await t.http
          .post(`/v1/tickets/${late.id}/resolve`)
          .set(a.auth)
          .send({ resolutionSummary: 'done' })
          .expect(200);
        // The company's read says until when it may reopen: 72 hours after the resolution.
        const read = async () =>
          (await t.http.get(`/v1/tickets/${late.id}`).set(co.auth).expect(200)).body;
        const resolved = await read();
        expect(Date.parse(resolved.reopenDeadline) - Date.parse(resolved.resolvedAt)).toBe(
          72 * 3_600_000,
        );
        await t.db.query(
          `UPDATE tickets SET resolved_at = now() - interval '73 hours' WHERE id = $1`,
          [late.id],
        );
        expect(Date.parse((await read()).reopenDeadline)).toBeLessThan(Date.now());
        const closed = await t.http
          .post(`/v1/tickets/${late.id}/reopen`)
          .set(co.auth)
          .send({ reason: 'x' })
          .expect(409);
        expect(closed.body.error.code).toBe('REOPEN_WINDOW_CLOSED');
        const events = await t.db.query(
          `SELECT job_name FROM outbox WHERE payload->>'ticketId' = $1 AND job_name LIKE 'ticket.%' AND job_name NOT IN ('ticket.sla-check', 'ticket.handle-timeout') ORDER BY id`,
          [ticket.id],
        );
        expect(events.map((e: { job_name: string }) => e.job_name)).toEqual([
          'ticket.claimed',
          'ticket.resolved',
          'ticket.reopened',
        ]);
      });
    });
  });
});
