import type { QueryRunner } from 'typeorm';
import { DomainMetrics } from '../src/modules/metrics/domain-metrics';
import { ShiftCompleteHandler } from '../src/modules/shifts/shift-timers.handlers';
import {
  HandleTimeoutHandler,
  ShiftEndReleaseHandler,
  SlaCheckHandler,
} from '../src/modules/tickets/ticket-timers.handlers';
import { createApiKey, PASSWORD, registerCompany, SignedIn } from './support/factories';
import { withRowsHeld, waitForLockWaiters } from './support/row-locks';
import { inMinutes, moveShift, shiftBody } from './support/shifts';
import { escalate, liveAgents } from './support/tickets';
import { withApiClockOff } from './support/clock';
import { createTestApp, TestApp } from './support/test-app';

describe('ticket timers (each fired twice)', () => {
  let t: TestApp;
  let co: SignedIn;
  let key: string;
  beforeAll(async () => {
    t = await createTestApp({
      env: { HANDLE_TIMEOUT_MINUTES: '30', SHIFT_END_TICKET_GRACE_MINUTES: '10' },
    });
    co = await registerCompany(t, 'Timers');
    key = await createApiKey(t, co);
  });
  afterAll(async () => {
    await t.close();
  });

  const timers = (name: string, field: string, id: string) =>
    t.db.query(`SELECT run_at FROM outbox WHERE job_name = $1 AND payload->>$2 = $3 ORDER BY id`, [
      name,
      field,
      id,
    ]);

  describe('claim SLA', () => {
    it('breaches an unclaimed ticket once: priority up, skills relaxed (recorded), company told', async () => {
      const ticket = await escalate(t, key, {
        priority: 'normal',
        requiredSkills: [
          { skill: 'refunds', minLevel: 3 },
          { skill: 'billing', minLevel: 1 },
        ],
      });
      const handler = t.app.get(SlaCheckHandler);
      expect(await handler.handle({ ticketId: ticket.id })).toEqual({ breached: false }); // not due
      expect(await timers('ticket.sla-check', 'ticketId', ticket.id)).toHaveLength(2); // re-armed
      await t.db.query(
        `UPDATE tickets SET sla_deadline = now() - interval '1 second' WHERE id = $1`,
        [ticket.id],
      );
      expect(await handler.handle({ ticketId: ticket.id })).toEqual({ breached: true });
      expect(await handler.handle({ ticketId: ticket.id })).toEqual({ breached: false });
      const res = await t.http.get(`/v1/tickets/${ticket.id}`).set(co.auth).expect(200);
      expect(res.body).toMatchObject({
        priority: 'normal',
        effectivePriority: 'high',
        slaBreachedAt: expect.any(String),
      });
      expect(res.body.requiredSkills).toEqual([
        { skill: 'billing', minLevel: 1, requestedLevel: 1 },
        { skill: 'refunds', minLevel: 2, requestedLevel: 3 },
      ]);
      const events = await t.db.query(
        `SELECT payload FROM outbox WHERE job_name = 'ticket.sla_breached' AND payload->>'ticketId' = $1`,
        [ticket.id],
      );
      expect(events).toHaveLength(1);
      expect(events[0].payload.data).toMatchObject({
        priorityRaisedTo: 'high', // the ticket API's word (issue 13), as effectivePriority above
        relaxedSkills: [{ skill: 'refunds', from: 3, to: 2 }],
      });
    });

    /** Claimed a minute ago, and its deadline `ago` past: the claim came before the deadline. */
    const claimedBeforeDeadline = async (ticketId: string, agent: SignedIn, ago: string) => {
      await t.http.post(`/v1/tickets/${ticketId}/claim`).set(agent.auth).expect(200);
      await t.db.query(
        `UPDATE ticket_claims SET claimed_at = now() - interval '1 minute' WHERE ticket_id = $1`,
        [ticketId],
      );
      await t.db.query(`UPDATE tickets SET sla_deadline = now() - $2::interval WHERE id = $1`, [
        ticketId,
        ago,
      ]);
    };

    it('leaves a ticket claimed before its deadline alone', async () => {
      const {
        agents: [agent],
      } = await liveAgents(t, co.auth, 1);
      const ticket = await escalate(t, key);
      await claimedBeforeDeadline(ticket.id, agent, '1 second');
      expect(await t.app.get(SlaCheckHandler).handle({ ticketId: ticket.id })).toEqual({
        breached: false,
      });
    });

    it('breaches a ticket released after its deadline and claimed again before its timer ran', async () => {
      const { agents } = await liveAgents(t, co.auth, 2);
      const ticket = await escalate(t, key);
      // Held across its deadline…
      await claimedBeforeDeadline(ticket.id, agents[0], '30 seconds');
      // …then back in the queue after it, and taken again before the timer's job ran.
      await t.http
        .post(`/v1/tickets/${ticket.id}/release`)
        .set(agents[0].auth)
        .send({ reason: 'Needs billing access' })
        .expect(200);
      await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agents[1].auth).expect(200);
      const handler = t.app.get(SlaCheckHandler);
      expect(await handler.handle({ ticketId: ticket.id })).toEqual({ breached: true });
    });

    it('breaches a ticket claimed (or resolved) after its deadline, before its timer ran', async () => {
      const {
        agents: [agent],
      } = await liveAgents(t, co.auth, 1);
      const breached = [];
      for (const resolve of [false, true]) {
        const ticket = await escalate(t, key, { priority: 'low' });
        // The deadline passed a minute ago with the ticket open; the timer is late.
        await t.db.query(
          `UPDATE tickets SET sla_deadline = now() - interval '1 minute' WHERE id = $1`,
          [ticket.id],
        );
        await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
        if (resolve) {
          await t.http
            .post(`/v1/tickets/${ticket.id}/resolve`)
            .set(agent.auth)
            .send({ resolutionSummary: 'Refunded' })
            .expect(200);
        }
        const handler = t.app.get(SlaCheckHandler);
        expect(await handler.handle({ ticketId: ticket.id })).toEqual({ breached: true });
        expect(await handler.handle({ ticketId: ticket.id })).toEqual({ breached: false });
        breached.push(ticket.id);
      }
      const events = await t.db.query(
        `SELECT payload FROM outbox WHERE job_name = 'ticket.sla_breached'
            AND payload->>'ticketId' = ANY($1)`,
        [breached],
      );
      expect(events).toHaveLength(2);
      const res = await t.http.get(`/v1/tickets/${breached[0]}`).set(co.auth).expect(200);
      expect(res.body).toMatchObject({
        effectivePriority: 'normal',
        slaBreachedAt: expect.any(String),
      });
    });
    it("breaches a reopened ticket's first life that missed its deadline before its late timer ran, once; not one that met it", async () => {
      const {
        agents: [agent],
      } = await liveAgents(t, co.auth, 1);
      const breaches = (ticketId: string) =>
        t.db.query(
          `SELECT payload FROM outbox WHERE job_name = 'ticket.sla_breached'
              AND payload->>'ticketId' = $1`,
          [ticketId],
        );
      const handler = t.app.get(SlaCheckHandler);
      const counted = jest.spyOn(t.app.get(DomainMetrics), 'slaBreached');
      for (const late of [true, false]) {
        counted.mockClear();
        const ticket = await escalate(t, key, {
          priority: 'low',
          requiredSkills: [{ skill: 'refunds', minLevel: 2 }],
        });
        if (late) {
          // Open a minute past its deadline; claimed, resolved and reopened before the timer ran.
          await t.db.query(
            `UPDATE tickets SET sla_deadline = now() - interval '1 minute' WHERE id = $1`,
            [ticket.id],
          );
        } else {
          await claimedBeforeDeadline(ticket.id, agent, '1 second');
        }
        if (late) await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
        await t.http
          .post(`/v1/tickets/${ticket.id}/resolve`)
          .set(agent.auth)
          .send({ resolutionSummary: 'Refunded' })
          .expect(200);
        const reopened = await t.http
          .post(`/v1/tickets/${ticket.id}/reopen`)
          .set(co.auth)
          .send({ reason: 'Not refunded' })
          .expect(200);
        // The new life starts clean: its own deadline, its priority and levels as asked.
        expect(reopened.body).toMatchObject({
          status: 'open',
          effectivePriority: 'low',
          slaBreachedAt: null,
        });
        expect(reopened.body.requiredSkills).toEqual([
          { skill: 'refunds', minLevel: 2, requestedLevel: 2 },
        ]);
        // The first life's timer runs at last: it finds the new life, not due, and breaches nothing.
        expect(await handler.handle({ ticketId: ticket.id })).toEqual({ breached: false });
        const events = await breaches(ticket.id);
        expect(counted).toHaveBeenCalledTimes(late ? 1 : 0);
        if (!late) {
          expect(events).toEqual([]);
          continue;
        }
        // The first life's breach was told once, as an on-time timer would have told it.
        expect(events).toHaveLength(1);
        expect(events[0].payload.data).toMatchObject({
          priorityRaisedTo: 'normal',
          relaxedSkills: [{ skill: 'refunds', from: 2, to: 1 }],
        });
        const order = await t.db.query(
          `SELECT job_name FROM outbox WHERE payload->>'ticketId' = $1
              AND job_name IN ('ticket.sla_breached', 'ticket.reopened') ORDER BY id`,
          [ticket.id],
        );
        expect(order.map((r: { job_name: string }) => r.job_name)).toEqual([
          'ticket.sla_breached',
          'ticket.reopened',
        ]);
      }
      counted.mockRestore();
    });
    it('breaches a ticket withdrawn after it missed its deadline, before its late timer ran; not one that met it', async () => {
      const {
        agents: [agent],
      } = await liveAgents(t, co.auth, 1);
      const handler = t.app.get(SlaCheckHandler);
      const counted = jest.spyOn(t.app.get(DomainMetrics), 'slaBreached');
      const bot = { Authorization: `Bearer ${key}` };
      const jobs = (ticketId: string) =>
        t.db
          .query(
            `SELECT job_name FROM outbox WHERE payload->>'ticketId' = $1
                AND job_name IN ('ticket.sla_breached', 'ticket.withdrawn') ORDER BY id`,
            [ticketId],
          )
          .then((rows: { job_name: string }[]) => rows.map((r) => r.job_name));
      // Open past its deadline; claimed after it; claimed before it (met); not due yet.
      for (const life of ['open', 'claimed late', 'claimed in time', 'not due'] as const) {
        counted.mockClear();
        const ticket = await escalate(t, key, { priority: 'low' });
        if (life === 'claimed in time') await claimedBeforeDeadline(ticket.id, agent, '1 second');
        else if (life !== 'not due') {
          await t.db.query(
            `UPDATE tickets SET sla_deadline = now() - interval '1 minute' WHERE id = $1`,
            [ticket.id],
          );
        }
        if (life === 'claimed late') {
          await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
        }
        const late = life === 'open' || life === 'claimed late';
        const withdrawn = await t.http
          .post(`/v1/escalations/${String(ticket.externalId)}/withdraw`)
          .set(bot)
          .send({ reason: 'The customer closed the chat' })
          .expect(200);
        expect(withdrawn.body.status).toBe('withdrawn');
        expect(Boolean(withdrawn.body.slaBreachedAt)).toBe(late);
        // The timer runs at last and finds a withdrawn ticket: nothing more.
        expect(await handler.handle({ ticketId: ticket.id })).toEqual({ breached: false });
        expect(await jobs(ticket.id)).toEqual(
          late ? ['ticket.sla_breached', 'ticket.withdrawn'] : ['ticket.withdrawn'],
        );
        expect(counted).toHaveBeenCalledTimes(late ? 1 : 0);
      }
      counted.mockRestore();
    });
  });

  describe('a claim or a withdrawal that waits on the ticket across its deadline', () => {
    /**
     * Fires `request` while another transaction holds the ticket, and lets it go once the
     * deadline (a second ahead) has passed: the request began before it, and took the ticket
     * after it.
     */
    const acrossTheDeadline = async <T>(
      ticketId: string,
      request: () => PromiseLike<T>,
      meanwhile?: (held: QueryRunner) => Promise<unknown>,
    ) => {
      await t.db.query(
        `UPDATE tickets SET sla_deadline = clock_timestamp() + interval '1 second' WHERE id = $1`,
        [ticketId],
      );
      return withRowsHeld(
        t,
        'SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE',
        [ticketId],
        async (held) => {
          const answer = Promise.resolve(request());
          await waitForLockWaiters(t, 1, 'the request waiting for the ticket');
          const [{ wait }]: { wait: number }[] = await t.db.query(
            `SELECT greatest(0, extract(epoch FROM sla_deadline - clock_timestamp()) * 1000)::int + 200
               AS wait FROM tickets WHERE id = $1`,
            [ticketId],
          );
          await new Promise((resume) => setTimeout(resume, wait));
          await meanwhile?.(held);
          await held.commitTransaction();
          return answer;
        },
      );
    };

    it('breaches a ticket claimed after its deadline though the claim began before it', async () => {
      const {
        agents: [agent],
      } = await liveAgents(t, co.auth, 1);
      const ticket = await escalate(t, key, { priority: 'low' });
      await acrossTheDeadline(ticket.id, () =>
        t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200),
      );
      const [stamp] = await t.db.query(
        `SELECT c.claimed_at > t.sla_deadline AS late, t.claimed_at = c.claimed_at AS same
           FROM ticket_claims c JOIN tickets t ON t.id = c.ticket_id WHERE t.id = $1`,
        [ticket.id],
      );
      expect(stamp).toEqual({ late: true, same: true });
      // Its event says so too: a claim on time followed by a breach would read as a contradiction.
      const [event] = await t.db.query(
        `SELECT (o.payload->>'occurredAt')::timestamptz > t.sla_deadline AS late
           FROM outbox o JOIN tickets t ON t.id = (o.payload->>'ticketId')::uuid
          WHERE o.job_name = 'ticket.claimed' AND t.id = $1`,
        [ticket.id],
      );
      expect(event).toEqual({ late: true });
      expect(await t.app.get(SlaCheckHandler).handle({ ticketId: ticket.id })).toEqual({
        breached: true,
      });
    });

    it('breaches a ticket withdrawn after its deadline though the withdrawal began before it', async () => {
      const ticket = await escalate(t, key, { priority: 'low' });
      const withdrawn = await acrossTheDeadline(ticket.id, () =>
        t.http
          .post(`/v1/escalations/${String(ticket.externalId)}/withdraw`)
          .set({ Authorization: `Bearer ${key}` })
          .send({ reason: 'The customer closed the chat' })
          .expect(200),
      );
      expect(withdrawn.body).toMatchObject({
        status: 'withdrawn',
        slaBreachedAt: expect.any(String),
      });
      // Breached at its deadline at the earliest, though the withdrawal began before it.
      expect(Date.parse(withdrawn.body.slaBreachedAt)).toBeGreaterThanOrEqual(
        Date.parse(withdrawn.body.slaDeadline),
      );
    });

    it('breaches a ticket claimed across its deadline while its timer, fired a moment early, waited', async () => {
      const {
        shiftId,
        agents: [agent],
      } = await liveAgents(t, co.auth, 1);
      const ticket = await escalate(t, key, { priority: 'low' });
      // The claim holding the ticket is written after the deadline, as a claim that waited.
      const checked = await acrossTheDeadline(
        ticket.id,
        () => t.app.get(SlaCheckHandler).handle({ ticketId: ticket.id }),
        async (held) => {
          await held.query(
            `UPDATE tickets SET status = 'claimed', claimed_by = $2, claimed_at = clock_timestamp()
              WHERE id = $1`,
            [ticket.id, agent.id],
          );
          await held.query(
            `INSERT INTO ticket_claims (ticket_id, agent_id, company_id, shift_id, claimed_at)
             SELECT id, $2, company_id, $3, clock_timestamp() FROM tickets WHERE id = $1`,
            [ticket.id, agent.id, shiftId],
          );
        },
      );
      expect(checked).toEqual({ breached: true });
    });
  });

  describe('handle timeout', () => {
    it('releases a claim idle too long, once; activity postpones it', async () => {
      const {
        agents: [agent],
      } = await liveAgents(t, co.auth, 1);
      const ticket = await escalate(t, key);
      const claim = await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
      const handler = t.app.get(HandleTimeoutHandler);
      const [armed] = await timers('ticket.handle-timeout', 'claimId', claim.body.claimId);
      expect(Date.parse(armed.run_at) - Date.now()).toBeGreaterThan(29 * 60_000);

      await t.db.query(
        `UPDATE tickets SET last_activity_at = now() - interval '29 minutes' WHERE id = $1`,
        [ticket.id],
      );
      expect(await handler.handle({ claimId: claim.body.claimId })).toEqual({ released: false }); // re-armed
      await t.http.post(`/v1/tickets/${ticket.id}/heartbeat`).set(agent.auth).expect(204);
      await t.db.query(
        `UPDATE tickets SET last_activity_at = now() - interval '31 minutes' WHERE id = $1`,
        [ticket.id],
      );
      expect(await handler.handle({ claimId: claim.body.claimId })).toEqual({ released: true });
      expect(await handler.handle({ claimId: claim.body.claimId })).toEqual({ released: false });
      const res = await t.http.get(`/v1/tickets/${ticket.id}`).set(co.auth).expect(200);
      expect(res.body.status).toBe('open');
      expect(res.body.claims).toEqual([
        expect.objectContaining({ status: 'released', releasedBy: 'handle_timeout' }),
      ]);
    });

    it('does nothing to a resolved ticket', async () => {
      const {
        agents: [agent],
      } = await liveAgents(t, co.auth, 1);
      const ticket = await escalate(t, key);
      const claim = await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
      await t.http
        .post(`/v1/tickets/${ticket.id}/resolve`)
        .set(agent.auth)
        .send({ resolutionSummary: 'ok' })
        .expect(200);
      await t.db.query(
        `UPDATE tickets SET last_activity_at = now() - interval '2 hours' WHERE id = $1`,
        [ticket.id],
      );
      expect(await t.app.get(HandleTimeoutHandler).handle({ claimId: claim.body.claimId })).toEqual(
        { released: false },
      );
    });
  });

  describe('shift end', () => {
    it('sends an agent’s unresolved tickets back after the grace, once', async () => {
      const {
        agents: [agent],
        shiftId,
      } = await liveAgents(t, co.auth, 1);
      const held = await escalate(t, key);
      const done = await escalate(t, key);
      await t.http.post(`/v1/tickets/${held.id}/claim`).set(agent.auth).expect(200);
      await t.http.post(`/v1/tickets/${done.id}/claim`).set(agent.auth).expect(200);
      await t.http
        .post(`/v1/tickets/${done.id}/resolve`)
        .set(agent.auth)
        .send({ resolutionSummary: 'ok' })
        .expect(200);

      await moveShift(t, shiftId, inMinutes(-125), inMinutes(-5));
      expect(await t.app.get(ShiftCompleteHandler).handle({ shiftId })).toEqual({
        completed: true,
      });
      const [armed]: { payload: { dueAt: string }; run_at: string }[] = await t.db.query(
        `SELECT payload, run_at FROM outbox WHERE job_name = 'ticket.shift-end-release' AND payload->>'shiftId' = $1`,
        [shiftId],
      );
      expect(Date.parse(armed.run_at) - Date.now()).toBeGreaterThan(9 * 60_000);

      const handler = t.app.get(ShiftEndReleaseHandler);
      expect(await handler.handle({ shiftId, agentId: null, dueAt: armed.payload.dueAt })).toEqual({
        released: 0,
        carried: 0,
      }); // not due
      const due = new Date(Date.now() - 1000).toISOString();
      expect(await handler.handle({ shiftId, agentId: null, dueAt: due })).toEqual({
        released: 1,
        carried: 0,
      });
      expect(await handler.handle({ shiftId, agentId: null, dueAt: due })).toEqual({
        released: 0,
        carried: 0,
      });
      const res = await t.http.get(`/v1/tickets/${held.id}`).set(co.auth).expect(200);
      expect(res.body.status).toBe('open');
      expect(res.body.claims[0]).toMatchObject({ status: 'released', releasedBy: 'shift_end' });
      expect((await t.http.get(`/v1/tickets/${done.id}`).set(co.auth)).body.status).toBe(
        'resolved',
      );
    });

    it("gives a checked-out agent's tickets the grace by the database's clock, though this API's runs behind", async () => {
      const {
        agents: [agent],
        shiftId,
      } = await liveAgents(t, co.auth, 1);
      const ticket = await escalate(t, key);
      await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
      // Eleven minutes behind, past the 10-minute grace: the release would be due at once.
      await withApiClockOff(-11 * 60_000, async () => {
        // Signed in by this clock: a token from the future is refused.
        const { body } = await t.http
          .post('/v1/auth/login')
          .send({ email: agent.email, password: PASSWORD })
          .expect(200);
        await t.http
          .post(`/v1/shifts/${shiftId}/check-out`)
          .set('Authorization', `Bearer ${body.accessToken}`)
          .expect(200);
      });
      const [armed]: { payload: { dueAt: string } }[] = await t.db.query(
        `SELECT payload FROM outbox WHERE job_name = 'ticket.shift-end-release'
            AND payload->>'shiftId' = $1 AND payload->>'agentId' = $2`,
        [shiftId, agent.id],
      );
      const [{ grace }] = await t.db.query(
        `SELECT $1::timestamptz - now() > interval '9 minutes' AS grace`,
        [armed.payload.dueAt],
      );
      expect(grace).toBe(true);
      await expect(
        t.app
          .get(ShiftEndReleaseHandler)
          .handle({ shiftId, agentId: agent.id, dueAt: armed.payload.dueAt }),
      ).resolves.toEqual({ released: 0, carried: 0 });
      const res = await t.http.get(`/v1/tickets/${ticket.id}`).set(co.auth).expect(200);
      expect(res.body.status).toBe('claimed');
    });

    /**
     * An agent checks out holding a ticket and is live, when the release is due, on the same
     * company's next shift, paid in `currency`.
     */
    async function checkedOutIntoNextShift(currency = 'EUR') {
      const {
        agents: [agent],
        shiftId,
      } = await liveAgents(t, co.auth, 1);
      const ticket = await escalate(t, key);
      await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
      await t.http.post(`/v1/shifts/${shiftId}/check-out`).set(agent.auth).expect(200);
      const [armed] = await t.db.query(
        `SELECT payload FROM outbox WHERE job_name = 'ticket.shift-end-release' AND payload->>'shiftId' = $1 AND payload->>'agentId' = $2`,
        [shiftId, agent.id],
      );
      expect(armed).toBeDefined();
      const next = await t.http
        .post('/v1/shifts')
        .set(co.auth)
        .send(
          shiftBody({
            startsAt: inMinutes(300).toISOString(),
            endsAt: inMinutes(400).toISOString(),
            ratePerTicket: { amountMinor: 250, currency },
          }),
        )
        .expect(201);
      await t.http.post(`/v1/shifts/${next.body.id}/claims`).set(agent.auth).expect(201);
      await moveShift(t, shiftId, inMinutes(-300), inMinutes(-10));
      await moveShift(t, next.body.id, inMinutes(-5), inMinutes(100));
      await t.http.post(`/v1/shifts/${next.body.id}/check-in`).set(agent.auth).expect(200);
      const due = new Date(Date.now() - 1000).toISOString();
      return { agent, shiftId, ticket, next: next.body.id as string, due };
    }

    /** The same, and what the first shift's release then does. */
    async function checkOutIntoNextShift(currency: string) {
      const { agent, shiftId, ticket, due } = await checkedOutIntoNextShift(currency);
      const outcome = await t.app
        .get(ShiftEndReleaseHandler)
        .handle({ shiftId, agentId: agent.id, dueAt: due });
      const mine = await t.http.get('/v1/agents/me/tickets').set(agent.auth).expect(200);
      return { outcome, ticket, mine: mine.body.map((x: { id: string }) => x.id) };
    }

    it('leaves a ticket carried to another shift while it waited to that shift’s own release', async () => {
      const { agent, shiftId, ticket, next, due } = await checkedOutIntoNextShift();
      const { pending } = await withRowsHeld(
        t,
        'SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE',
        [ticket.id],
        async (held) => {
          const run = t.app
            .get(ShiftEndReleaseHandler)
            .handle({ shiftId, agentId: agent.id, dueAt: due });
          await waitForLockWaiters(t, 1, 'the release to read the claim and wait on the ticket');
          // Meanwhile another run carried the claim to the next shift, and the agent then
          // checked out of that one too: its own release, after its own grace, is due later.
          await held.query(
            `UPDATE ticket_claims SET shift_id = $2 WHERE ticket_id = $1 AND status = 'active'`,
            [ticket.id, next],
          );
          await t.http.post(`/v1/shifts/${next}/check-out`).set(agent.auth).expect(200);
          await held.commitTransaction();
          return { pending: run };
        },
      );
      expect(await pending).toEqual({ released: 0, carried: 0 });
      const res = await t.http.get(`/v1/tickets/${ticket.id}`).set(co.auth).expect(200);
      expect(res.body.status).toBe('claimed');
      expect(await timers('ticket.shift-end-release', 'shiftId', next)).toHaveLength(1);
    });

    it('releases on check-out too, but carries tickets over to a live shift of the same company', async () => {
      // The shift before paid in EUR (shiftBody): so does this one, and the ticket moves on.
      const { outcome, ticket, mine } = await checkOutIntoNextShift('EUR');
      expect(outcome).toEqual({ released: 0, carried: 1 });
      expect(mine).toEqual([ticket.id]);
    });

    it('does not carry a ticket into a shift paid in another currency: it goes back to the queue', async () => {
      // An earning is in one currency, and a surge extra in the minor units of the shift that
      // reserved it: carried into USD, a EUR extra would have been paid as cents.
      const { outcome, ticket, mine } = await checkOutIntoNextShift('USD');
      expect(outcome).toEqual({ released: 1, carried: 0 });
      expect(mine).toEqual([]);
      const res = await t.http.get(`/v1/tickets/${ticket.id}`).set(co.auth).expect(200);
      expect(res.body.status).toBe('open');
      expect(res.body.claims[0]).toMatchObject({ status: 'released', releasedBy: 'shift_end' });
    });
  });
});

describe('ticket state machine in the database', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses moves outside the transition table, whatever the code does', async () => {
    const co = await registerCompany(t);
    const ticket = await escalate(t, await createApiKey(t, co));
    await expect(
      t.db.query(`UPDATE tickets SET status = 'resolved' WHERE id = $1`, [ticket.id]),
    ).rejects.toThrow('ticket cannot go from open to resolved');
  });
});
