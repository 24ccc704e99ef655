import { EventSequencer } from '../src/modules/events/event-sequencer.service';
import { EventsRepository } from '../src/modules/events/events.repository';
import { EventsService, NewEvent } from '../src/modules/events/events.service';
import {
  createApiKey,
  createStaff,
  registerAgent,
  registerCompany,
  SignedIn,
} from './support/factories';
import { createTestApp, TestApp } from './support/test-app';
import { escalate, liveAgents } from './support/tickets';
import { waitFor } from './support/wait-for';

interface EventBody {
  id: number;
  type: string;
  companyId: string | null;
  agentId: string | null;
  data: Record<string, unknown>;
}

describe('events store and GET /v1/events', () => {
  let t: TestApp;
  let events: EventsService;
  let sequencer: EventSequencer;

  beforeAll(async () => {
    t = await createTestApp({ env: { EVENTS_POLL_MS: '100' } });
    events = t.app.get(EventsService);
    sequencer = t.app.get(EventSequencer);
  });
  afterAll(() => t.close());

  const record = (e: NewEvent) => t.db.transaction((em) => events.record(em, e));

  async function list(who: SignedIn | string, query = ''): Promise<EventBody[]> {
    const auth = typeof who === 'string' ? `Bearer ${who}` : who.auth.Authorization;
    const res = await t.http.get(`/v1/events${query}`).set('Authorization', auth).expect(200);
    return res.body.items as EventBody[];
  }

  it('keeps the ticket events written through the outbox, for their company, agent and bot', async () => {
    const company = await registerCompany(t);
    const other = await registerCompany(t);
    const bot = await createApiKey(t, company);
    const otherBot = await createApiKey(t, other);
    const { agents } = await liveAgents(t, company.auth, 1);
    const [agent] = agents;
    const bystander = await registerAgent(t);
    const ticket = await escalate(t, bot);
    // Claimed by the SQL function write_ticket_claim, released by TypeScript: both reach the store.
    await t.http.post('/v1/agents/me/tickets/claim-next').set(agent.auth).expect(200);
    await t.http
      .post(`/v1/tickets/${ticket.id}/release`)
      .set(agent.auth)
      .send({ reason: 'needs a specialist' })
      .expect(200);

    const seen = await waitFor(async () => {
      const items = await list(company);
      return items.length >= 3 && items;
    }, 'the company to see its ticket events');
    // The escalation itself too (a trigger on tickets): the company's live queue shows it.
    expect(seen.map((e) => e.type)).toEqual([
      'ticket.escalated',
      'ticket.claimed',
      'ticket.released',
    ]);
    expect(seen[0]).toMatchObject({ companyId: company.companyId, agentId: null });
    expect(seen[0].data).toMatchObject({
      ticketId: ticket.id,
      externalId: ticket.externalId,
      data: { subject: ticket.subject, slaDeadline: ticket.slaDeadline },
    });
    // Its instants as every other event's and answer's: UTC with milliseconds (the trigger
    // wrote them in the session's zone with microseconds, unequal to the ticket's as strings).
    const instant = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
    for (const e of seen) expect(e.data.occurredAt).toMatch(instant);
    expect(seen[0].data.occurredAt).toBe(ticket.createdAt);
    expect(seen[1]).toMatchObject({ companyId: company.companyId, agentId: agent.id });
    expect(seen[1].data).toMatchObject({ ticketId: ticket.id });
    expect(seen[2].id).toBeGreaterThan(seen[1].id);
    // The agent's stream has only what concerns the agent.
    expect((await list(agent)).map((e) => e.type)).toEqual(['ticket.claimed', 'ticket.released']);
    expect((await list(bot)).map((e) => e.id)).toEqual(seen.map((e) => e.id));
    expect(await list(other)).toEqual([]);
    expect(await list(otherBot)).toEqual([]);
    expect(await list(bystander)).toEqual([]);
  });

  it('shows finance only finance events, refuses admins, and filters by type', async () => {
    const finance = await createStaff(t, 'finance');
    const admin = await createStaff(t, 'admin');
    const company = await registerCompany(t);
    await record({ type: 'payout_run.created', finance: true, data: { runId: 'r1' } });
    await record({ type: 'test.noise', companyId: company.companyId, data: {} });
    await record({ type: 'test.signal', companyId: company.companyId, data: { n: 1 } });
    const financeSees = await waitFor(async () => {
      const items = await list(finance);
      return items.length > 0 && items;
    }, 'the finance event');
    expect(financeSees.map((e) => e.type)).toEqual(['payout_run.created']);
    const filtered = await waitFor(async () => {
      const items = await list(company, '?types=test.signal,test.other');
      return items.length > 0 && items;
    }, 'the filtered event');
    expect(filtered.map((e) => e.data)).toEqual([{ n: 1 }]);
    const res = await t.http.get('/v1/events').set(admin.auth).expect(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
  });

  it('pages oldest first with after and limit', async () => {
    const agent = await registerAgent(t);
    for (let n = 1; n <= 5; n++)
      await record({ type: 'test.page', agentId: agent.id, data: { n } });
    await waitFor(async () => (await list(agent)).length === 5, 'five events positioned');
    const ns: number[] = [];
    let after = 0;
    for (;;) {
      const res = await t.http.get(`/v1/events?after=${after}&limit=2`).set(agent.auth).expect(200);
      ns.push(...(res.body.items as EventBody[]).map((e) => e.data.n as number));
      expect(res.body.nextAfter).toBe(res.body.items.at(-1)?.id ?? after);
      after = res.body.nextAfter;
      if (!res.body.hasMore) break;
    }
    expect(ns).toEqual([1, 2, 3, 4, 5]);
  });

  it('answers an after past every event held with the last one held, so the next poll gets what comes', async () => {
    const agent = await registerAgent(t);
    const far = await t.http.get('/v1/events?after=900000000').set(agent.auth).expect(200);
    expect(far.body.items).toEqual([]);
    const [{ max }] = await t.db.query('SELECT coalesce(max(position), 0)::int AS max FROM events');
    expect(far.body.nextAfter).toBe(max);
    await record({ type: 'test.restored', agentId: agent.id, data: { n: 1 } });
    const next = await waitFor(async () => {
      const res = await t.http
        .get(`/v1/events?after=${far.body.nextAfter}`)
        .set(agent.auth)
        .expect(200);
      return res.body.items.length > 0 && (res.body.items as EventBody[]);
    }, 'the event after it');
    expect(next.map((e) => e.type)).toEqual(['test.restored']);
  });

  it('answers 400 naming the field for bad input', async () => {
    const agent = await registerAgent(t);
    for (const [query, field] of [
      ['?after=-1', 'after'],
      ['?after=abc', 'after'],
      ['?after=1.5', 'after'],
      ['?after=9007199254740992', 'after'],
      ['?limit=0', 'limit'],
      ['?limit=501', 'limit'],
      ['?limit=ten', 'limit'],
      ['?limit=2.5', 'limit'],
      ['?types=Ticket.Claimed', 'types'],
      ['?types=ticket', 'types'],
      ['?types=ticket.claimed,,', 'types'],
      [
        `?types=${Array.from({ length: 51 }, (_, i) => `test.t${'x'.repeat(i)}`).join(',')}`,
        'types',
      ],
      ['?cursor=x', 'cursor'],
    ]) {
      const res = await t.http.get(`/v1/events${query}`).set(agent.auth).expect(400);
      expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
  });

  it('never skips an event whose transaction took the smaller seq but committed last', async () => {
    const agent = await registerAgent(t);
    // A: starts first and writes first (smaller seq), commits last.
    const a = t.db.createQueryRunner();
    await a.connect();
    await a.startTransaction();
    await events.record(a.manager, { type: 'test.order', agentId: agent.id, data: { w: 'A' } });
    await record({ type: 'test.order', agentId: agent.id, data: { w: 'B' } }); // committed
    // While A runs nothing after it may be published: B waits too (a reader paging after B's
    // id would otherwise skip A for good).
    for (let i = 0; i < 3; i++) await sequencer.sequenceOnce();
    expect(await list(agent)).toEqual([]);
    await a.commitTransaction();
    await a.release();
    const items = await waitFor(async () => {
      const all = await list(agent);
      return all.length === 2 && all;
    }, 'both events positioned');
    expect(items.map((e) => e.data.w)).toEqual(['A', 'B']);
    expect(items[1].id).toBe(items[0].id + 1);
  });

  it('stays gap-free and in commit-safe order under concurrent writers', async () => {
    const agent = await registerAgent(t);
    const writers = Array.from({ length: 20 }, (_, w) =>
      (async () => {
        for (let n = 0; n < 10; n++) {
          await t.db.transaction(async (em) => {
            await events.record(em, { type: 'test.burst', agentId: agent.id, data: { w, n } });
            await em.query('SELECT pg_sleep(random() * 0.01)');
          });
        }
      })(),
    );
    // A reader paging while the writers run must end with every event, each once.
    const got: EventBody[] = [];
    let after = 0;
    let writing = true;
    void Promise.all(writers).then(() => (writing = false));
    while (writing || got.length < 200) {
      const res = await t.http.get(`/v1/events?after=${after}&limit=50`).set(agent.auth);
      got.push(...(res.body.items as EventBody[]));
      after = res.body.nextAfter;
      if (!writing && res.body.items.length === 0) await new Promise((r) => setTimeout(r, 50));
      if (got.length > 200) break;
    }
    expect(got).toHaveLength(200);
    const seen = new Set(got.map((e) => `${e.data.w}/${e.data.n}`));
    expect(seen.size).toBe(200);
    // Per writer, its events in its own order.
    for (let w = 0; w < 20; w++) {
      expect(got.filter((e) => e.data.w === w).map((e) => e.data.n)).toEqual([...Array(10).keys()]);
    }
  });

  it('prunes events older than the retention', async () => {
    const agent = await registerAgent(t);
    await record({ type: 'test.old', agentId: agent.id, data: {} });
    await record({ type: 'test.new', agentId: agent.id, data: {} });
    await waitFor(async () => (await list(agent)).length === 2, 'two events');
    await t.db.query(
      `UPDATE events SET occurred_at = now() - interval '31 days' WHERE type = 'test.old'`,
    );
    expect(await sequencer.prune()).toBeGreaterThanOrEqual(1);
    expect((await list(agent)).map((e) => e.type)).toEqual(['test.new']);
  });

  it('prunes a batch at a time, never the event holding the last position', async () => {
    const agent = await registerAgent(t);
    for (const n of [1, 2, 3]) await record({ type: 'test.batch', agentId: agent.id, data: { n } });
    await waitFor(async () => (await list(agent)).length === 3, 'three events');
    await t.db.query(
      `UPDATE events SET occurred_at = now() - interval '31 days' WHERE type = 'test.batch'`,
    );
    const [{ last }] = await t.db.query(`SELECT max(position)::int AS last FROM events`);
    // One row a statement: each its own short transaction, none held for the whole prune.
    const query = jest.spyOn(t.db.manager, 'query');
    try {
      expect(
        await t.app.get(EventsRepository).deleteOlderThan(t.db.manager, 30, 1),
      ).toBeGreaterThanOrEqual(2);
      expect(
        query.mock.calls.filter(([sql]) => /^\s*DELETE/.test(sql)).length,
      ).toBeGreaterThanOrEqual(3);
    } finally {
      query.mockRestore();
    }
    const left = await t.db.query(
      `SELECT (data ->> 'n')::int AS n, position::int FROM events WHERE type = 'test.batch'`,
    );
    expect(left.filter((e: { n: number }) => e.n < 3)).toEqual([]);
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM events WHERE position = $1`, [
      last,
    ]);
    expect(n).toBe(1);
  });

  it('keeps the event holding the last position: positions never start again', async () => {
    const agent = await registerAgent(t);
    await record({ type: 'test.quiet', agentId: agent.id, data: {} });
    await waitFor(async () => (await list(agent)).length === 1, 'the event');
    // A spell quieter than the retention: every event is old.
    await t.db.query(`UPDATE events SET occurred_at = now() - interval '31 days'`);
    await sequencer.prune();
    const [{ last }] = await t.db.query(`SELECT max(position)::int AS last FROM events`);
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM events`);
    expect(n).toBe(1);
    await record({ type: 'test.after', agentId: agent.id, data: {} });
    const after = await waitFor(async () => {
      const events = await list(agent);
      return events.find((e) => e.type === 'test.after');
    }, 'the next event');
    expect(after.id).toBe(last + 1);
  });

  it("prunes after the sequencer's transaction, not on a second connection inside it", async () => {
    // One connection: a prune inside the transaction would wait for a second one until the
    // pool's timeout, and fail the pass.
    const one = await createTestApp({ env: { DB_POOL_SIZE: '1', EVENTS_POLL_MS: '60000' } });
    try {
      const agent = await registerAgent(one);
      // Two: the one that takes the last position is kept (see the test above).
      await one.db.query(
        `INSERT INTO events (type, agent_id, occurred_at, data)
         VALUES ('test.old', $1, now() - interval '31 days', '{}'),
                ('test.old', $1, now() - interval '31 days', '{}')`,
        [agent.id],
      );
      const sequencerOfOne = one.app.get(EventSequencer);
      // Its first pass at start-up pruned already: the hour is made to have passed. The app's
      // own loop (woken by the insert's NOTIFY) may hold the sequencer lock when this pass
      // runs, and that pass then skips; so the hour is reset and a pass run until one prunes.
      const oldLeft = async () => {
        (sequencerOfOne as unknown as { lastPrune: number }).lastPrune = 0;
        await sequencerOfOne.sequenceOnce();
        const [{ n }] = await one.db.query(
          `SELECT count(*)::int AS n FROM events WHERE type = 'test.old'`,
        );
        return n === 1;
      };
      await waitFor(oldLeft, 'the old events pruned down to the one holding the last position');
    } finally {
      await one.close();
    }
  });
});
