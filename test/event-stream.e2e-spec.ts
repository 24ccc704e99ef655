import type { FastifyInstance } from 'fastify';
import { sign } from 'jsonwebtoken';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeStreamsAndServer } from '../src/bootstrap/shutdown';
import { EventHub } from '../src/modules/events/event-hub.service';
import { EventsRepository } from '../src/modules/events/events.repository';
import { ShutdownState } from '../src/modules/health/shutdown-state';
import { EventsService, NewEvent } from '../src/modules/events/events.service';
import {
  createApiKey,
  createStaff,
  PASSWORD,
  registerAgent,
  registerCompany,
  SignedIn,
} from './support/factories';
import { runJobs } from './support/billing';
import { SseClient } from './support/sse-client';
import { createTestApp, TEST_JWT_SECRET, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

describe('GET /v1/events/stream', () => {
  let a: TestApp; // the API process the clients stream from
  let b: TestApp; // another process of the same deployment, where the events are committed
  let base: string;
  const clients: SseClient[] = [];

  beforeAll(async () => {
    const env = {
      EVENTS_POLL_MS: '100',
      EVENTS_HEARTBEAT_MS: '200',
      EVENTS_STREAM_MAX_BEHIND: '50',
      EVENTS_STREAM_MAX_BEHIND_BYTES: '65536',
      API_KEY_CACHE_SECONDS: '1',
      EVENTS_STREAMS_PER_SUBJECT: '3',
    };
    a = await createTestApp({ env });
    b = await createTestApp({ env, shareWith: a });
    await a.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(a.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await b.close();
    await a.close();
  });

  const stream = (auth: string, lastEventId?: string) => {
    const headers: Record<string, string> = { Authorization: auth };
    if (lastEventId !== undefined) headers['Last-Event-ID'] = lastEventId;
    const c = new SseClient(base, headers);
    clients.push(c);
    return c;
  };
  // Committed by the other process: fan-out must go through Redis (or its database fallback).
  const recordOnB = (e: NewEvent) =>
    b.db.transaction((em) => b.app.get(EventsService).record(em, e));
  const unpositioned = async () => {
    const [row]: { n: number }[] = await a.db.query(
      `SELECT count(*)::int AS n FROM events WHERE position IS NULL`,
    );
    return row.n;
  };
  const eventsOf = (c: SseClient, n: number, what: string) =>
    waitFor(async () => c.events.length >= n && c.events, what, 10_000);

  it('delivers an event committed by another process, then replays exactly the missed ones', async () => {
    const agent = await registerAgent(a);
    const other = await registerAgent(a);
    const first = stream(agent.auth.Authorization);
    await waitFor(async () => first.frames.some((f) => f.comment === 'connected'), 'connected');
    expect(first.status).toBe(200);
    expect(first.res!.headers['content-type']).toMatch(/^text\/event-stream/);
    await recordOnB({ type: 'test.one', agentId: agent.id, data: { n: 1 } });
    await recordOnB({ type: 'test.one', agentId: other.id, data: { n: 'not yours' } });
    const [one] = await eventsOf(first, 1, 'the first event live');
    expect(one).toMatchObject({ type: 'test.one', data: { n: 1 } });
    first.close();
    await waitFor(async () => a.app.get(EventHub).openStreams === 0, 'the stream to close');

    for (const n of [2, 3]) await recordOnB({ type: 'test.one', agentId: agent.id, data: { n } });
    await recordOnB({ type: 'test.one', agentId: other.id, data: { n: 'still not yours' } });
    // Positioned before the stream opens, so that they come in its replay, not live.
    await waitFor(async () => (await unpositioned()) === 0, 'the missed events positioned');
    const again = stream(agent.auth.Authorization, String(one.id));
    await eventsOf(again, 2, 'the replay');
    await recordOnB({ type: 'test.one', agentId: agent.id, data: { n: 4 } });
    const all = await eventsOf(again, 3, 'the live event after the replay');
    expect(all.map((e) => e.data.n)).toEqual([2, 3, 4]);
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((x, y) => x - y));
    // Heartbeats keep the connection alive.
    await waitFor(async () => again.frames.some((f) => f.comment === 'heartbeat'), 'a heartbeat');
    again.close();
  });

  // A stream that dropped before its first event had no id to reconnect with: what was
  // committed while it was away never came (the console's desk missed its offers).
  it('says where a new stream stands, so one that drops before any event misses nothing', async () => {
    const agent = await registerAgent(a);
    const first = stream(agent.auth.Authorization);
    await waitFor(
      async () => first.lastId !== undefined,
      'a bare id: where the stream stands',
      5000,
    );
    expect(first.events).toEqual([]);
    first.close();
    await recordOnB({ type: 'test.away', agentId: agent.id, data: { n: 1 } });
    const again = stream(agent.auth.Authorization, first.lastId);
    const [missed] = await eventsOf(again, 1, 'the event committed while away');
    expect(missed).toMatchObject({ type: 'test.away', data: { n: 1 } });
    expect(again.events).toHaveLength(1);
    // After the replay, the stream stands at the head: past the replayed event, never behind it.
    await waitFor(async () => Number(again.lastId) >= missed.id, 'the head after the replay');
    again.close();
  });

  it('gives a company its events, a bot its company’s, an agent only its own', async () => {
    const company = await registerCompany(a);
    const rival = await registerCompany(a);
    const bot = await createApiKey(a, company);
    const agent = await registerAgent(a);
    const s = {
      company: stream(company.auth.Authorization),
      bot: stream(`Bearer ${bot}`),
      rival: stream(rival.auth.Authorization),
      agent: stream(agent.auth.Authorization),
    };
    await waitFor(async () => a.app.get(EventHub).openStreams >= 4, 'four streams open');
    await recordOnB({ type: 'test.co', companyId: company.companyId, data: { n: 1 } });
    await recordOnB({ type: 'test.co', companyId: rival.companyId, data: { n: 2 } });
    await recordOnB({ type: 'test.co', agentId: agent.id, data: { n: 3 } });
    await recordOnB({
      type: 'test.co',
      companyId: company.companyId,
      agentId: agent.id,
      data: { n: 4 },
    });
    await eventsOf(s.company, 2, 'company events');
    await eventsOf(s.agent, 2, 'agent events');
    await eventsOf(s.rival, 1, 'rival events');
    await eventsOf(s.bot, 2, 'bot events');
    expect(s.company.events.map((e) => e.data.n)).toEqual([1, 4]);
    expect(s.bot.events.map((e) => e.data.n)).toEqual([1, 4]);
    expect(s.rival.events.map((e) => e.data.n)).toEqual([2]);
    expect(s.agent.events.map((e) => e.data.n)).toEqual([3, 4]);
    for (const c of Object.values(s)) c.close();
  });

  // Any spacing passport takes ("Bearer" and the token split on whitespace): the stream read
  // the expiry with its own stricter pattern, found none for the second, and never ended.
  it.each([
    ['Bearer %s', 'one space'],
    ['Bearer \t %s', 'a tab and spaces'],
  ])('ends the stream when the access token expires (header "%s": %s)', async (header) => {
    const agent = await registerAgent(a);
    const token = sign(
      // 3-4 s: time for a loaded machine to open the stream before it, not much more to wait.
      { sub: agent.id, role: 'agent', cid: null, exp: Math.floor(Date.now() / 1000) + 4 },
      TEST_JWT_SECRET,
      { algorithm: 'HS256' },
    );
    const c = stream(header.replace('%s', token));
    await waitFor(async () => c.ended, 'the stream to end at expiry', 10_000);
    expect(c.status).toBe(200);
    expect(c.frames.find((f) => f.event === 'stream.end')?.data).toBe('{"reason":"token_expired"}');
  });

  it('ends a user’s streams in every process on request (logout, suspension)', async () => {
    const agent = await registerAgent(a);
    const c = stream(agent.auth.Authorization);
    await waitFor(async () => c.frames.length > 0, 'connected');
    await b.app.get(EventHub).endStreamsOf(agent.id);
    await waitFor(async () => c.ended, 'the stream to end');
    expect(c.frames.find((f) => f.event === 'stream.end')?.data).toBe('{"reason":"session_ended"}');
  });

  // Reuse revoked the login but left its streams open: the thief kept the victim's live events
  // until its access token expired.
  it('ends the streams of a login whose refresh token was used twice (one copy was stolen)', async () => {
    const agent = await registerAgent(a);
    const refresh = (refreshToken: string) =>
      a.http.post('/v1/auth/refresh').send({ refreshToken });
    const stolen = await refresh(agent.refreshToken).expect(200);
    const auth = `Bearer ${stolen.body.accessToken}`;
    const thief = stream(auth);
    await waitFor(async () => thief.frames.length > 0, 'connected');
    await refresh(stolen.body.refreshToken).expect(200);
    const reuse = await b.http
      .post('/v1/auth/refresh')
      .send({ refreshToken: agent.refreshToken })
      .expect(401);
    expect(reuse.body.error.code).toBe('REFRESH_TOKEN_REUSED');
    await waitFor(async () => thief.ended, 'the stream to end on reuse');
    expect(thief.frames.find((f) => f.event === 'stream.end')?.data).toBe(
      '{"reason":"session_ended"}',
    );
    const again = stream(auth);
    await waitFor(async () => again.frames.length > 0 || again.ended, 'answered');
    expect(again.status).toBe(401);
  });

  it('ends a stream whose opening raced a logout: checked before it, registered after it', async () => {
    const agent = await registerAgent(a);
    const hub = a.app.get(EventHub);
    const real = hub.endedSince.bind(hub);
    let first = true;
    const spy = jest.spyOn(hub, 'endedSince').mockImplementation(async (subject, issuedAt) => {
      if (!first || subject !== agent.id) return real(subject, issuedAt);
      first = false;
      const before = await real(subject, issuedAt); // not ended yet
      // The logout runs now, and its message is handled, before the stream registers.
      await b.http.post('/v1/auth/logout').send({ refreshToken: agent.refreshToken }).expect(204);
      await new Promise((r) => setTimeout(r, 300));
      return before;
    });
    try {
      const late = stream(agent.auth.Authorization);
      await waitFor(async () => late.ended, 'the stream to end', 5_000);
      expect(late.frames.find((f) => f.event === 'stream.end')?.data).toBe(
        '{"reason":"session_ended"}',
      );
    } finally {
      spy.mockRestore();
    }
  });

  /**
   * The agent signed in again a second on (an end marked for the user ends its tokens issued up
   * to then), with a stream open on the new login.
   */
  const signedInAgain = async (agent: SignedIn) => {
    await new Promise((r) => setTimeout(r, 1100));
    const again = await a.http
      .post('/v1/auth/login')
      .send({ email: agent.email, password: PASSWORD })
      .expect(200);
    const auth = `Bearer ${again.body.accessToken}`;
    const live = stream(auth);
    await waitFor(async () => live.frames.length > 0, 'connected');
    return { auth, live, refreshToken: again.body.refreshToken as string };
  };
  /** No end was marked for the user: its stream stands, and its token opens another. */
  const streamsStand = async ({ auth, live }: { auth: string; live: { ended: boolean } }) => {
    const another = stream(auth);
    await waitFor(async () => another.frames.length > 0 || another.ended, 'answered');
    expect(another.status).toBe(200);
    expect(live.ended).toBe(false);
  };

  /** How many `events.end-streams` jobs were written for the subject. */
  const endStreamsJobsOf = async (subject: string) => {
    const [row]: { n: number }[] = await a.db.query(
      `SELECT count(*)::int AS n FROM outbox
        WHERE job_name = 'events.end-streams' AND payload->>'subject' = $1`,
      [subject],
    );
    return row.n;
  };

  it('a logout with a refresh token whose login had already ended signs nobody out', async () => {
    const agent = await registerAgent(a);
    await a.http.post('/v1/auth/logout').send({ refreshToken: agent.refreshToken }).expect(204);
    const next = await signedInAgain(agent);
    // The spent token of the first login (a former device, or a stranger who kept it).
    await b.http.post('/v1/auth/logout').send({ refreshToken: agent.refreshToken }).expect(204);
    // It wrote no job either: the one there is the first logout's, which ends only the tokens
    // issued by then.
    expect(await endStreamsJobsOf(agent.id)).toBe(1);
    await runJobs(b, ['events.end-streams']);
    await streamsStand(next);
  });

  it('a refresh with a spent token of a login that has expired signs nobody out', async () => {
    const agent = await registerAgent(a);
    const first = await a.http
      .post('/v1/auth/refresh')
      .send({ refreshToken: agent.refreshToken })
      .expect(200);
    // Every token of that login expired since (a device abandoned a month ago).
    await a.db.query(
      `UPDATE refresh_tokens SET expires_at = now() - interval '1 second'
        WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE id = $1)`,
      [agent.refreshToken.split('.')[0]],
    );
    const next = await signedInAgain(agent);
    // The spent token sent again, as often as anyone likes: invalid, not a reuse.
    for (const token of [agent.refreshToken, agent.refreshToken, first.body.refreshToken]) {
      const res = await b.http.post('/v1/auth/refresh').send({ refreshToken: token }).expect(401);
      expect(res.body.error.code).toBe('INVALID_REFRESH_TOKEN');
    }
    expect(await endStreamsJobsOf(agent.id)).toBe(0);
    await streamsStand(next);
    // The live login goes on.
    await a.http.post('/v1/auth/refresh').send({ refreshToken: next.refreshToken }).expect(200);
  });

  it("ends a revoked key's stream within API_KEY_CACHE_SECONDS when no message says so", async () => {
    const company = await registerCompany(a);
    const key = await createApiKey(a, company);
    const bot = stream(`Bearer ${key}`);
    await waitFor(async () => bot.frames.length > 0, 'connected');
    // Revoked with no word to the hub: as if Redis lost the message, or the revocation
    // committed while the stream was opening.
    await a.db.query(
      `UPDATE api_keys SET revoked_at = now() WHERE company_id = $1 AND revoked_at IS NULL`,
      [company.companyId],
    );
    await waitFor(async () => bot.ended, 'the stream to end', 5_000);
    expect(bot.frames.find((f) => f.event === 'stream.end')?.data).toBe(
      '{"reason":"session_ended"}',
    );
  });

  /** The end-streams jobs run: `open` ends, and the agent's old token opens no stream. */
  const endedByTheJob = async (open: SseClient, agent: SignedIn) => {
    expect(await runJobs(b, ['events.end-streams'])).toBeGreaterThanOrEqual(1);
    await waitFor(async () => open.ended, 'the stream to end by the job', 5_000);
    expect(open.frames.find((f) => f.event === 'stream.end')?.data).toBe(
      '{"reason":"session_ended"}',
    );
    const again = await a.http
      .get('/v1/events/stream')
      .set('Authorization', agent.auth.Authorization)
      .expect(401);
    expect(again.body.error.code).toBe('UNAUTHENTICATED');
  };

  // The suspension's own call after its commit never ran (its process died) or could not reach
  // Redis: the agent's stream stayed open until its token ran out. The job its transaction
  // wrote ends it, as of the suspension, however late it runs: a session begun after it (the
  // agent reinstated and signed in again before the job ran) is left alone.
  it("ends a suspended agent's stream by the job its suspension wrote, as of the suspension", async () => {
    const agent = await registerAgent(a);
    const admin = await createStaff(a, 'admin');
    const old = stream(agent.auth.Authorization);
    await waitFor(async () => old.frames.length > 0, 'connected');
    const hub = b.app.get(EventHub);
    const spy = jest.spyOn(hub, 'endStreamsOf').mockResolvedValueOnce(undefined);
    try {
      await b.http
        .post(`/v1/agents/${agent.id}/suspend`)
        .set(admin.auth)
        .send({ reason: 'test' })
        .expect(200);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
    // Before the job runs: reinstated, and signed in again a second later.
    await b.http.post(`/v1/agents/${agent.id}/reinstate`).set(admin.auth).expect(200);
    const fresh = await signedInAgain(agent);

    await endedByTheJob(old, agent);
    // The new session streams on.
    expect(fresh.live.ended).toBe(false);
    const reopened = stream(fresh.auth);
    await waitFor(async () => reopened.frames.length > 0, 'the new token to open a stream');
    expect(reopened.status).toBe(200);
  });

  // The same for the other ends of a session: each writes the job in its own transaction, so a
  // process that died after the commit (or a Redis outage then) leaves no stream open.
  const sessionEnds: [string, (agent: SignedIn) => Promise<unknown>][] = [
    [
      'a logout',
      (agent) =>
        b.http.post('/v1/auth/logout').send({ refreshToken: agent.refreshToken }).expect(204),
    ],
    [
      'a refresh token used twice',
      async (agent) => {
        const next = await b.http
          .post('/v1/auth/refresh')
          .send({ refreshToken: agent.refreshToken })
          .expect(200);
        // The chain moved on, so the first token again is the copy of a token used twice.
        await b.http
          .post('/v1/auth/refresh')
          .send({ refreshToken: next.body.refreshToken })
          .expect(200);
        await b.http
          .post('/v1/auth/refresh')
          .send({ refreshToken: agent.refreshToken })
          .expect(401);
      },
    ],
    [
      'a password change',
      (agent) =>
        b.http
          .post('/v1/auth/password')
          .set(agent.auth)
          .send({ currentPassword: PASSWORD, newPassword: 'a longer horse, stapled twice' })
          .expect(204),
    ],
  ];
  it.each(sessionEnds)('ends the streams of %s by the job it wrote', async (_, end) => {
    const agent = await registerAgent(a);
    const open = stream(agent.auth.Authorization);
    await waitFor(async () => open.frames.length > 0, 'connected');
    const hub = b.app.get(EventHub);
    const spy = jest.spyOn(hub, 'endStreamsOf').mockResolvedValue(undefined);
    try {
      await end(agent);
      expect(spy).toHaveBeenCalledWith(agent.id);
    } finally {
      spy.mockRestore();
    }
    // Nothing has ended it yet: the job alone does.
    await new Promise((r) => setTimeout(r, 300));
    expect(open.ended).toBe(false);
    expect(await endStreamsJobsOf(agent.id)).toBe(1);
    await endedByTheJob(open, agent);
  });

  it('ends the stream after logout, after suspension, and when the API key is revoked', async () => {
    const agent = await registerAgent(a);
    const suspended = await registerAgent(a);
    const admin = await createStaff(a, 'admin');
    const company = await registerCompany(a);
    const key = await createApiKey(a, company);
    const keys = await a.http.get('/v1/companies/me/api-keys').set(company.auth).expect(200);
    const keyId = (keys.body as { id: string; prefix: string }[]).find((k) =>
      key.startsWith(k.prefix),
    )!.id;
    const s = {
      agent: stream(agent.auth.Authorization),
      suspended: stream(suspended.auth.Authorization),
      bot: stream(`Bearer ${key}`),
      // Untouched by the others' ends.
      company: stream(company.auth.Authorization),
    };
    await waitFor(async () => Object.values(s).every((c) => c.frames.length > 0), 'connected');
    const ended = (c: SseClient) => c.frames.find((f) => f.event === 'stream.end')?.data;

    // Through process b: the end reaches a's streams over Redis.
    await b.http.post('/v1/auth/logout').send({ refreshToken: agent.refreshToken }).expect(204);
    await waitFor(async () => s.agent.ended, 'the stream to end on logout');
    expect(ended(s.agent)).toBe('{"reason":"session_ended"}');
    expect(s.suspended.ended).toBe(false);

    await b.http
      .post(`/v1/agents/${suspended.id}/suspend`)
      .set(admin.auth)
      .send({ reason: 'test' })
      .expect(200);
    await waitFor(async () => s.suspended.ended, 'the stream to end on suspension');
    expect(ended(s.suspended)).toBe('{"reason":"session_ended"}');

    await b.http.delete(`/v1/companies/me/api-keys/${keyId}`).set(company.auth).expect(204);
    await waitFor(async () => s.bot.ended, 'the stream to end on revocation');
    expect(ended(s.bot)).toBe('{"reason":"session_ended"}');

    // Reconnecting with the same (still unexpired) credential opens nothing, in either process.
    for (const app of [a, b]) {
      for (const auth of [
        agent.auth.Authorization,
        suspended.auth.Authorization,
        `Bearer ${key}`,
      ]) {
        const again = await app.http
          .get('/v1/events/stream')
          .set('Authorization', auth)
          .expect(401);
        expect(again.body.error.code).toBe(
          auth === `Bearer ${key}` ? 'INVALID_API_KEY' : 'UNAUTHENTICATED',
        );
      }
    }
    // A new sign-in (a later second) streams again.
    const fresh = await signedInAgain(agent);
    expect(fresh.live.status).toBe(200);
    fresh.live.close();
    expect(s.company.ended).toBe(false);
    expect(a.app.get(EventHub).openStreamsOf(company.id)).toBe(true);
    s.company.close();
  });

  it('gives one user at most EVENTS_STREAMS_PER_SUBJECT streams on a process; a closed one frees its place', async () => {
    const agent = await registerAgent(a);
    const open = [0, 1, 2].map(() => stream(agent.auth.Authorization));
    await waitFor(async () => open.every((c) => c.frames.length > 0), 'three streams connected');
    const fourth = await a.http.get('/v1/events/stream').set(agent.auth).expect(429);
    expect(fourth.body.error).toMatchObject({
      code: 'RATE_LIMITED',
      details: { openStreams: 3 },
    });
    // Another user is not counted with it.
    const other = stream((await registerAgent(a)).auth.Authorization);
    await waitFor(async () => other.frames.length > 0, 'another user connected');
    open[0].close();
    const hub = a.app.get(EventHub);
    const place = await waitFor(async () => hub.reserve(agent.id, 3), 'the place freed');
    place();
  });

  it('refuses new streams with 503 and Retry-After while the process drains', async () => {
    const agent = await registerAgent(a);
    const state = a.app.get(ShutdownState);
    state.draining = true;
    try {
      const res = await a.http.get('/v1/events/stream').set(agent.auth).expect(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      state.draining = false;
    }
    expect(a.app.get(EventHub).openStreamsOf(agent.id)).toBe(false);
  });

  it('cuts off a reader that falls too far behind instead of buffering', async () => {
    const agent = await registerAgent(a);
    const c = stream(agent.auth.Authorization);
    await waitFor(async () => c.res !== null && c.frames.length > 0, 'connected');
    c.res!.pause(); // reads nothing more
    await b.db.query(
      `INSERT INTO events (type, agent_id, data)
       SELECT 'test.flood', $1, jsonb_build_object('pad', repeat('x', 4000))
         FROM generate_series(1, 3000)`,
      [agent.id],
    );
    b.app.get(EventsService).poke();
    await waitFor(
      async () => !a.app.get(EventHub).openStreamsOf(agent.id),
      'the slow stream to be cut off',
      15_000,
    );
    c.res!.resume();
    await waitFor(async () => c.ended, 'the client to see the end');
    expect(c.events.length).toBeLessThan(3000);
  });

  it('takes a Last-Event-ID past every event held as the last one held (a restored database): new events come', async () => {
    const agent = await registerAgent(a);
    // The largest id GET /v1/events takes as `after` (the stream took 15 digits at most).
    const far = stream(agent.auth.Authorization, String(Number.MAX_SAFE_INTEGER));
    await waitFor(async () => far.frames.some((f) => f.comment === 'connected'), 'connected');
    await recordOnB({ type: 'test.restored', agentId: agent.id, data: { n: 1 } });
    const [next] = await eventsOf(far, 1, 'the next event, not dropped as already seen');
    expect(next).toMatchObject({ type: 'test.restored', data: { n: 1 } });
    expect(next.id).toBeLessThan(900000000);
    far.close();
    // A process that handed out ids the database no longer holds (restored under it) goes back
    // to the database's last event at its next poll, and hands out what comes after it.
    const hub = a.app.get(EventHub) as unknown as { head: number };
    hub.head = 900000000;
    const live = stream(agent.auth.Authorization);
    await waitFor(async () => live.frames.some((f) => f.comment === 'connected'), 'connected');
    await waitFor(async () => hub.head < 900000000, 'the hub back at the last event held');
    await recordOnB({ type: 'test.restored', agentId: agent.id, data: { n: 2 } });
    const [second] = await eventsOf(live, 1, 'an event after the restore, live');
    expect(second).toMatchObject({ data: { n: 2 } });
    live.close();
  });

  it('answers 400 for a bad Last-Event-ID and 401 without a credential', async () => {
    const agent = await registerAgent(a);
    for (const id of ['abc', '9007199254740992', '12345678901234567', '-1']) {
      const bad = await a.http
        .get('/v1/events/stream')
        .set(agent.auth)
        .set('Last-Event-ID', id)
        .expect(400);
      expect(bad.body.error.details.fields[0].field).toBe('Last-Event-ID');
    }
    await a.http.get('/v1/events/stream').expect(401);
  });

  // Last: it ends every stream of process a.
  it('replays a backlog of large events whole: the byte limit is for live events', async () => {
    const agent = await registerAgent(a);
    const text = 'ü'.repeat(4_000); // 8 KB of UTF-8, as a long ticket message
    for (let n = 1; n <= 150; n++) {
      await recordOnB({ type: 'test.large', agentId: agent.id, data: { n, text } });
    }
    // All positioned first, so that all come in the replay (live ones would queue behind it,
    // and more than EVENTS_STREAM_MAX_BEHIND of those cut the stream: another rule).
    await waitFor(async () => {
      const [{ n }] = await a.db.query(
        `SELECT count(*)::int AS n FROM events WHERE agent_id = $1 AND position IS NOT NULL`,
        [agent.id],
      );
      return n === 150;
    }, 'the backlog positioned');
    // 1.2 MB in the first page against a 64 KB limit (EVENTS_STREAM_MAX_BEHIND_BYTES here).
    const c = stream(agent.auth.Authorization, '0');
    const all = await eventsOf(c, 150, 'the whole backlog');
    expect(all.map((e) => e.data.n)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    expect(c.ended).toBe(false);
    c.close();
  });

  it('a process whose hub failed to start (the database away) starts it with the next stream', async () => {
    // No catch-up poll within the test: only the hub's starts read the head, so the count below
    // is theirs and the catch-up once subscribed (a poll every 500 ms on a loaded machine read it three more times in CI).
    const c = await createTestApp({ shareWith: a, env: { EVENTS_POLL_MS: '600000' } });
    try {
      await c.app.listen(0, '127.0.0.1');
      const own = `http://127.0.0.1:${(c.app.getHttpServer().address() as AddressInfo).port}`;
      const head = jest
        .spyOn(c.app.get(EventsRepository), 'maxPosition')
        .mockRejectedValueOnce(new Error('Connection terminated unexpectedly'));
      const agent = await registerAgent(a);
      const failed = new SseClient(own, agent.auth);
      clients.push(failed);
      await waitFor(async () => failed.ended, 'the first stream to end');
      const next = new SseClient(own, agent.auth);
      clients.push(next);
      await waitFor(async () => next.frames.some((f) => f.comment === 'connected'), 'connected');
      await waitFor(async () => c.app.get(EventHub).openStreams === 1, 'registered');
      await recordOnB({ type: 'test.restarted', agentId: agent.id, data: { n: 1 } });
      const [event] = await eventsOf(next, 1, 'an event on the second stream');
      expect(event).toMatchObject({ type: 'test.restarted' });
      // The failed start, the one that worked, and its catch-up once subscribed.
      expect(head).toHaveBeenCalledTimes(3);
      next.close();
    } finally {
      await c.close();
    }
  });

  it('queues one poll step at a time while the database does not answer', async () => {
    const c = await createTestApp({ shareWith: a, env: { EVENTS_POLL_MS: '50' } });
    try {
      await c.app.listen(0, '127.0.0.1');
      const own = `http://127.0.0.1:${(c.app.getHttpServer().address() as AddressInfo).port}`;
      const agent = await registerAgent(a);
      const s = new SseClient(own, agent.auth);
      clients.push(s);
      await waitFor(async () => c.app.get(EventHub).openStreams === 1, 'the hub started');
      let answer = () => {};
      const heads = jest
        .spyOn(c.app.get(EventsRepository), 'maxPosition')
        .mockImplementationOnce(() => new Promise((r) => (answer = () => r(0))));
      await waitFor(async () => heads.mock.calls.length === 1, 'a poll waiting for its answer');
      await new Promise((r) => setTimeout(r, 1000)); // twenty more ticks of the poll
      answer();
      await new Promise((r) => setTimeout(r, 30));
      // The one step queued behind it, and perhaps the next tick's: not the twenty.
      expect(heads.mock.calls.length).toBeLessThanOrEqual(3);
      s.close();
    } finally {
      await c.close();
    }
  });

  it('a stream that registers after shutdown ended the streams is ended too', async () => {
    // Its own process: this one is shut down.
    const c = await createTestApp({ shareWith: a });
    try {
      await c.app.listen(0, '127.0.0.1');
      const own = `http://127.0.0.1:${(c.app.getHttpServer().address() as AddressInfo).port}`;
      const agent = await registerAgent(a);
      const hub = c.app.get(EventHub);
      const warm = new SseClient(own, agent.auth); // the hub started
      clients.push(warm);
      await waitFor(async () => hub.openStreams === 1, 'the first stream');
      // The second passed the draining check before shutdown began, and reaches the hub after
      // the streams were ended.
      const register = hub.register.bind(hub);
      let late: Promise<void> | undefined;
      jest.spyOn(hub, 'register').mockImplementationOnce((stream) => {
        hub.closeAll('shutdown');
        const head = register(stream);
        late = head.then(() => undefined);
        return head;
      });
      const second = new SseClient(own, agent.auth);
      clients.push(second);
      await waitFor(async () => second.ended && warm.ended, 'both streams to end', 5000);
      await late;
      expect(second.frames.find((f) => f.event === 'stream.end')?.data).toBe(
        '{"reason":"shutdown"}',
      );
      expect(hub.openStreams).toBe(0);
    } finally {
      await c.close();
    }
  });

  it('on shutdown ends the open streams, so the server can close instead of waiting for them', async () => {
    // A server of its own on a's application: closing it leaves a's for the other tests.
    const fastify = a.app.getHttpAdapter().getInstance() as FastifyInstance;
    const server = http.createServer((req, res) => fastify.routing(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const own = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const agent = await registerAgent(a);
    const company = await registerCompany(a);
    const c = [new SseClient(own, agent.auth), new SseClient(own, company.auth)];
    clients.push(...c);
    await waitFor(async () => c.every((x) => x.frames.length > 0), 'connected');
    let closed = false;
    const closing = closeStreamsAndServer(a.app, server).then(() => (closed = true));
    await waitFor(async () => closed, 'the server to close', 5000);
    await closing;
    for (const x of c) {
      await waitFor(async () => x.ended, 'the client to see the end');
      expect(x.frames.find((f) => f.event === 'stream.end')?.data).toBe('{"reason":"shutdown"}');
    }
    expect(a.app.get(EventHub).openStreams).toBe(0);
  });
});

export type { SignedIn };
