import type { AddressInfo } from 'node:net';
import { createApiKey, createStaff, registerCompany, SignedIn } from './support/factories';
import { SseClient } from './support/sse-client';
import { escalate, liveAgents } from './support/tickets';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';
import { webhookReceiver, WebhookReceiver } from './support/webhooks';

/*
 * Issue 15's proof for the conversation, through the real SSE stream: the customer's messages
 * (relayed by the bot) reach the holding agent's stream once each, in order; the agent's
 * customer-visible messages reach the bot's stream once each, in order, and the company's
 * webhook once each (a receiver orders them by `sentAt`; deliveries may overtake each other).
 * Internal notes reach neither the bot (its stream or its events) nor the webhook; they reach
 * the company's admins and the agent's own tabs live, as `ticket.note`.
 */

interface MessageEvent {
  id: number;
  type: string;
  data: { ticketId: string; data: { messageId: string; author: string; body: string } };
}

interface HookedBody {
  id: string;
  type: string;
  data: { ticketId: string; data: { body: string; sentAt: string } };
}

describe('the conversation, live', () => {
  let t: TestApp;
  let co: SignedIn;
  let key: string;
  let hook: WebhookReceiver;
  let base: string;
  const clients: SseClient[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      workers: true,
      env: { WEBHOOK_BACKOFF_MS: '100', WEBHOOK_ATTEMPTS: '3', OUTBOX_POLL_MS: '100' },
    });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    co = await registerCompany(t, 'Live talkers');
    key = await createApiKey(t, co);
    hook = webhookReceiver();
    const url = await hook.start();
    await t.http.put('/v1/companies/me/webhook').set(co.auth).send({ url }).expect(200);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await hook.stop();
    await t.close();
  });

  const open = (auth: string) => {
    const c = new SseClient(base, { Authorization: auth });
    clients.push(c);
    return c;
  };
  const messagesOf = (c: SseClient, ticketId: string, author: string) =>
    (c.events as unknown as MessageEvent[]).filter(
      (e) =>
        e.type === 'ticket.message' &&
        e.data.ticketId === ticketId &&
        e.data.data.author === author,
    );

  it('delivers each side’s messages to the other once each, in order', async () => {
    const {
      agents: [agent],
    } = await liveAgents(t, co.auth, 1);
    const ticket = (await escalate(t, key)) as { id: string; externalId: string };
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
    const agentStream = open(agent.auth.Authorization);
    const botStream = open(`Bearer ${key}`);
    const adminStream = open(co.auth.Authorization);
    await waitFor(
      async () => [agentStream, botStream, adminStream].every((c) => c.frames.length > 0),
      'the streams connected',
    );

    const N = 6;
    const customer = Array.from({ length: N }, (_, i) => `customer says ${i + 1}`);
    const agentSays = Array.from({ length: N }, (_, i) => `agent says ${i + 1}`);
    for (let i = 0; i < N; i++) {
      const relayed = {
        messageId: `c-${i + 1}`,
        body: customer[i],
        author: 'customer',
        at: new Date(Date.UTC(2026, 10, 25, 10, i)).toISOString(),
      };
      const path = `/v1/escalations/${ticket.externalId}/messages`;
      await t.http.post(path).set('Authorization', `Bearer ${key}`).send(relayed).expect(201);
      // The bot retries (say, after a timeout): the holder still gets it once.
      if (i % 2 === 0) {
        await t.http.post(path).set('Authorization', `Bearer ${key}`).send(relayed).expect(200);
      }
      await t.http
        .post(`/v1/tickets/${ticket.id}/messages`)
        .set(agent.auth)
        .send({ body: agentSays[i], visibility: 'customer' })
        .expect(201);
      if (i === 2) {
        await t.http
          .post(`/v1/tickets/${ticket.id}/messages`)
          .set(agent.auth)
          .send({ body: 'internal: refund approved', visibility: 'internal' })
          .expect(201);
      }
    }

    // The holder's stream: the customer's messages, once each, in the order relayed.
    const toAgent = await waitFor(async () => {
      const got = messagesOf(agentStream, ticket.id, 'customer');
      return got.length >= N && got;
    }, 'the customer messages on the agent stream');
    // The bot's stream: the agent's customer-visible messages, once each, in order; no note,
    // and no echo of what the bot itself relayed.
    const toBot = await waitFor(async () => {
      const got = messagesOf(botStream, ticket.id, 'agent');
      return got.length >= N && got;
    }, 'the agent messages on the bot stream');
    // The webhook: each agent message once.
    const hooked = () =>
      hook.received
        .map((r) => JSON.parse(r.body) as HookedBody)
        .filter((b) => b.type === 'ticket.message' && b.data.ticketId === ticket.id);
    await waitFor(async () => hooked().length >= N, 'the agent messages at the webhook');

    // Let anything duplicated arrive before counting: a later event on both streams.
    await t.http
      .post(`/v1/tickets/${ticket.id}/messages`)
      .set(agent.auth)
      .send({ body: 'last', visibility: 'customer' })
      .expect(201);
    await waitFor(
      async () =>
        messagesOf(botStream, ticket.id, 'agent').length >= N + 1 &&
        agentStream.events.some((e) => (e as unknown as MessageEvent).data.data?.body === 'last'),
      'the last message on both streams',
    );

    expect(messagesOf(agentStream, ticket.id, 'customer').map((e) => e.data.data.body)).toEqual(
      customer,
    );
    expect(new Set(toAgent.map((e) => e.data.data.messageId)).size).toBe(N);
    expect(messagesOf(botStream, ticket.id, 'agent').map((e) => e.data.data.body)).toEqual([
      ...agentSays,
      'last',
    ]);
    expect(toBot.map((e) => e.id)).toEqual([...toBot.map((e) => e.id)].sort((x, y) => x - y));
    expect(messagesOf(botStream, ticket.id, 'customer')).toEqual([]);
    // The note: to the company's admins and the agent's own tabs, once, as a note (never a
    // message a bot could relay); not to the bot, streamed or listed.
    const notesOn = (c: SseClient) =>
      (c.events as unknown as MessageEvent[])
        .filter((e) => e.type === 'ticket.note' && e.data.ticketId === ticket.id)
        .map((e) => e.data.data.body);
    await waitFor(async () => notesOn(adminStream).length > 0, 'the note on the admin stream');
    for (const c of [adminStream, agentStream]) {
      expect(notesOn(c)).toEqual(['internal: refund approved']);
      // Framed as GET /v1/events has it: the company's id, though stored for its admins only.
      const note = c.frames.find((f) => f.event === 'ticket.note');
      expect(JSON.parse(note!.data!)).toMatchObject({ companyId: co.companyId });
      const asMessage = (c.events as unknown as MessageEvent[]).filter(
        (e) => e.type === 'ticket.message' && e.data.data.body === 'internal: refund approved',
      );
      expect(asMessage).toEqual([]);
    }
    expect(JSON.stringify(botStream.frames)).not.toContain('refund approved');
    const listed = async (auth: string) =>
      JSON.stringify(
        (await t.http.get('/v1/events?limit=500').set('Authorization', auth).expect(200)).body,
      );
    expect(await listed(`Bearer ${key}`)).not.toContain('refund approved');
    const forAdmins = JSON.parse(await listed(co.auth.Authorization)) as {
      items: { type: string; companyId: string }[];
    };
    expect(forAdmins.items.filter((e) => e.type === 'ticket.note')).toEqual([
      expect.objectContaining({ companyId: co.companyId }),
    ]);
    // Stored apart from the company's events: a process of the release before (a rolling
    // deploy, a rollback) reads those by company_id only, so it can never hand a note to a bot.
    const stored = await t.db.query(
      `SELECT company_id, admins_company_id FROM events WHERE type = 'ticket.note'`,
    );
    expect(stored).toEqual([{ company_id: null, admins_company_id: co.companyId }]);

    await waitFor(
      async () =>
        hook.received.filter((r) => r.body.includes('"last"') && r.body.includes(ticket.id))
          .length > 0,
      'the last message at the webhook',
    );
    const atHook = hooked();
    // Once each (every delivery answered 200 at once: nothing was retried).
    expect(new Set(atHook.map((b) => b.id)).size).toBe(atHook.length);
    const inOrder = [...atHook].sort((x, y) =>
      x.data.data.sentAt.localeCompare(y.data.data.sentAt),
    );
    expect(inOrder.map((b) => b.data.data.body)).toEqual([...agentSays, 'last']);
    expect(hook.received.map((r) => r.body).join('\n')).not.toContain('refund approved');
  });

  it('keeps a ticket’s conversation from the agents who lost it, listed and replayed', async () => {
    const {
      agents: [first, second, third],
    } = await liveAgents(t, co.auth, 3);
    const admin = await createStaff(t, 'admin');
    const ticket = (await escalate(t, key)) as { id: string; externalId: string };
    const relay = (messageId: string, body: string) =>
      t.http
        .post(`/v1/escalations/${ticket.externalId}/messages`)
        .set('Authorization', `Bearer ${key}`)
        .send({ messageId, body, author: 'customer', at: new Date().toISOString() })
        .expect(201);
    const say = (agent: SignedIn, body: string, visibility: 'customer' | 'internal') =>
      t.http
        .post(`/v1/tickets/${ticket.id}/messages`)
        .set(agent.auth)
        .send({ body, visibility })
        .expect(201);
    const take = (agent: SignedIn) =>
      t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
    const listed = async (agent: SignedIn) => {
      const res = await t.http
        .get('/v1/events?types=ticket.message,ticket.note&limit=500')
        .set(agent.auth)
        .expect(200);
      return (res.body.items as MessageEvent[])
        .filter((e) => e.data.ticketId === ticket.id)
        .map((e) => e.data.data.body);
    };
    const listedOnce = (agent: SignedIn, bodies: string[]) =>
      waitFor(async () => (await listed(agent)).length >= bodies.length, 'the events listed');
    // Replayed from the oldest kept, up to the release that ends the agent's part.
    const replayed = async (agent: SignedIn) => {
      const c = new SseClient(base, {
        Authorization: agent.auth.Authorization,
        'Last-Event-ID': '0',
      });
      clients.push(c);
      await waitFor(
        async () =>
          c.events.some(
            (e) =>
              (e as unknown as MessageEvent).type === 'ticket.released' &&
              (e as unknown as MessageEvent).data.ticketId === ticket.id,
          ),
        'the release replayed',
      );
      c.close();
      return (c.events as unknown as MessageEvent[])
        .filter((e) => e.type.startsWith('ticket.') && e.data.ticketId === ticket.id)
        .map((e) => e.type);
    };

    // The first holder reads the customer's message, its reply and its note, then releases.
    await take(first);
    await relay('c-1', 'my card is 4111-SECRET');
    await say(first, 'looking into it', 'customer');
    await say(first, 'card shared in chat', 'internal');
    const whileHeld = ['my card is 4111-SECRET', 'looking into it', 'card shared in chat'];
    await listedOnce(first, whileHeld);
    expect(await listed(first)).toEqual(whileHeld);
    await t.http
      .post(`/v1/tickets/${ticket.id}/release`)
      .set(first.auth)
      .send({ reason: 'needs billing access' })
      .expect(200);
    // As the messages endpoint: the conversation went on without it.
    await t.http.get(`/v1/tickets/${ticket.id}/messages`).set(first.auth).expect(403);
    expect(await listed(first)).toEqual([]);
    // Passed over, not an end: the cursor moves past the three hidden, a page at a time.
    const types = 'types=ticket.message,ticket.note&limit=2';
    const page = await t.http.get(`/v1/events?${types}`).set(first.auth).expect(200);
    expect(page.body).toMatchObject({ items: [], hasMore: true });
    const rest = await t.http
      .get(`/v1/events?${types}&after=${page.body.nextAfter}`)
      .set(first.auth)
      .expect(200);
    expect(rest.body).toMatchObject({ items: [], hasMore: false });
    expect(rest.body.nextAfter).toBeGreaterThan(page.body.nextAfter);
    const firstReplay = await replayed(first);
    expect(firstReplay).toContain('ticket.claimed');
    expect(
      firstReplay.filter((type) => type === 'ticket.message' || type === 'ticket.note'),
    ).toEqual([]);

    // The second is suspended while holding it: the ticket goes back, and its part with it.
    await take(second);
    await relay('c-2', 'my address is SECRET street');
    await listedOnce(second, ['my address is SECRET street']);
    await t.http
      .post(`/v1/agents/${second.id}/suspend`)
      .set(admin.auth)
      .send({ reason: 'review' })
      .expect(200);
    expect(await listed(second)).toEqual([]);

    // The first takes it again (its cooldown over) and resolves it: as the messages endpoint,
    // everything said to it up to its resolution is its to read again, its first claim's too.
    await t.db.query(`UPDATE ticket_cooldowns SET until = now() WHERE ticket_id = $1`, [ticket.id]);
    await take(first);
    await relay('c-3', 'thanks');
    await say(first, 'refunded', 'customer');
    await t.http
      .post(`/v1/tickets/${ticket.id}/resolve`)
      .set(first.auth)
      .send({ resolutionSummary: 'refunded' })
      .expect(200);
    const resolvedBy = [...whileHeld, 'thanks', 'refunded'];
    await listedOnce(first, resolvedBy);
    expect(await listed(first)).toEqual(resolvedBy);
    const fromEndpoint = await t.http
      .get(`/v1/tickets/${ticket.id}/messages?limit=100`)
      .set(first.auth)
      .expect(200);
    expect(fromEndpoint.body.items.map((m: { body: string }) => m.body)).toEqual(
      expect.arrayContaining(resolvedBy),
    );
    // The third never held it, and the second still reads nothing.
    expect(await listed(third)).toEqual([]);
    expect(await listed(second)).toEqual([]);
  });
});
