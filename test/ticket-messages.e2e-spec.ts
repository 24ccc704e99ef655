import { EventsService, NewEvent } from '../src/modules/events/events.service';
import { createApiKey, registerCompany, SignedIn } from './support/factories';
import { waitForLockWaiters, withRowsHeld } from './support/row-locks';
import { escalate, liveAgents } from './support/tickets';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';
import { webhookReceiver, WebhookReceiver } from './support/webhooks';

/*
 * Issue 15, the conversation: the holder's customer-visible messages reach the company's
 * webhook once each (internal notes never), the bot's relayed messages are idempotent on
 * messageId and kept in order, other tenants see nothing, and a transfer requeues the ticket
 * with its new skills and its rank.
 */

describe('the conversation on a ticket', () => {
  let t: TestApp;
  let co: SignedIn;
  let bot: Record<string, string>;
  let hook: WebhookReceiver;
  let recorded: NewEvent[];

  beforeAll(async () => {
    t = await createTestApp({
      workers: true,
      env: { WEBHOOK_BACKOFF_MS: '100', WEBHOOK_ATTEMPTS: '3', OUTBOX_POLL_MS: '100' },
    });
    co = await registerCompany(t, 'Talkers');
    bot = { Authorization: `Bearer ${await createApiKey(t, co)}` };
    hook = webhookReceiver();
    const url = await hook.start();
    await t.http.put('/v1/companies/me/webhook').set(co.auth).send({ url }).expect(200);
    // What is handed to the events store (its own tests cover storing and streaming).
    recorded = [];
    const events = t.app.get(EventsService);
    const record = events.record.bind(events);
    jest.spyOn(events, 'record').mockImplementation((em, e) => {
      recorded.push(e);
      return record(em, e);
    });
  });
  afterAll(async () => {
    await hook.stop();
    await t.close();
  });

  const bodiesAtHook = () =>
    hook.received.map(
      (r) => JSON.parse(r.body) as { type: string; data: { ticketId: string; data: never } },
    );

  async function claimed(agent: SignedIn) {
    const ticket = await escalate(t, bot.Authorization.slice(7));
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(agent.auth).expect(200);
    return ticket as { id: string; externalId: string };
  }

  it('finds a ticket by the longest conversation id, slashes and all, in the path', async () => {
    // 200 characters with "/" in them (sent as %2F): the router must neither cut a parameter
    // this long (Fastify's default stops at 100) nor split it at the slashes.
    const externalId = `thread/${'x'.repeat(100)}/${'y'.repeat(200 - 108)}`;
    expect(externalId).toHaveLength(200);
    const ticket = await escalate(t, bot.Authorization.slice(7), { externalId });
    const res = await t.http
      .get(`/v1/escalations/${encodeURIComponent(externalId)}`)
      .set(bot)
      .expect(200);
    expect(res.body).toMatchObject({ id: ticket.id, externalId });
  });

  it("sends the holder's customer-visible message to the webhook once; an internal note never", async () => {
    const {
      agents: [agent],
    } = await liveAgents(t, co.auth, 1);
    const ticket = await claimed(agent);
    const sent = await t.http
      .post(`/v1/tickets/${ticket.id}/messages`)
      .set(agent.auth)
      .send({ body: 'Refund re-issued.\nIt takes 3 days.', visibility: 'customer' })
      .expect(201);
    expect(sent.body).toMatchObject({
      ticketId: ticket.id,
      author: 'agent',
      agentId: agent.id,
      visibility: 'customer',
      body: 'Refund re-issued.\nIt takes 3 days.',
      messageId: null,
      number: 1,
    });
    const note = await t.http
      .post(`/v1/tickets/${ticket.id}/messages`)
      .set(agent.auth)
      .send({ body: 'Customer seems upset, be gentle', visibility: 'internal' })
      .expect(201);
    expect(note.body.number).toBe(2);
    // The resolution comes after both messages. Deliveries run side by side and may arrive in
    // any order (the payload's sequence says which came first): wait for the customer message
    // and the resolution; the note, had it been sent, was written between them.
    await t.http
      .post(`/v1/tickets/${ticket.id}/resolve`)
      .set(agent.auth)
      .send({ resolutionSummary: 'done' })
      .expect(200);
    const ofTicket = (type: string) =>
      bodiesAtHook().filter((b) => b.type === type && b.data.ticketId === ticket.id);
    await waitFor(
      async () => ofTicket('ticket.resolved').length > 0 && ofTicket('ticket.message').length > 0,
      'the message and the resolution at the hook',
    );
    const messages = ofTicket('ticket.message');
    expect(messages).toHaveLength(1);
    expect(messages[0].data).toMatchObject({
      agentId: agent.id,
      externalId: ticket.externalId,
      data: {
        // Joined to the REST answers on `id` (there `messageId` is the bot's own id).
        id: sent.body.id,
        messageId: sent.body.id,
        botMessageId: null,
        number: 1, // the bot orders deliveries by it
        author: 'agent',
        body: 'Refund re-issued.\nIt takes 3 days.',
      },
    });
    expect(hook.received.map((r) => r.body).join('\n')).not.toContain('be gentle');
    // The agent reads the resolved ticket back (earnings link to it), notes included, with the
    // pay fixed at the resolution; writing on it is over.
    const back = await t.http.get(`/v1/agents/me/tickets/${ticket.id}`).set(agent.auth).expect(200);
    expect(back.body).toMatchObject({
      id: ticket.id,
      status: 'resolved',
      pay: { amountMinor: expect.any(Number), currency: expect.any(String) },
    });
    const read = await t.http.get(`/v1/tickets/${ticket.id}/messages`).set(agent.auth).expect(200);
    expect(read.body.items.map((m: { body: string }) => m.body)).toContain(
      'Customer seems upset, be gentle',
    );
    await t.http
      .post(`/v1/tickets/${ticket.id}/messages`)
      .set(agent.auth)
      .send({ body: 'one more thing', visibility: 'customer' })
      .expect(403);
    // The events store: the company's stream gets the message; the note is an event for the
    // company's admins only, never its bot keys. (The agent's earning.booked, from the
    // resolution's ledger job, is not the conversation's.)
    const forTicket = recorded.filter(
      (e) =>
        (e.data as { ticketId?: string }).ticketId === ticket.id && !e.type.startsWith('earning.'),
    );
    expect(forTicket.map((e) => [e.type, e.companyId, e.adminsOnly ?? false])).toEqual([
      ['ticket.message', co.companyId, false],
      ['ticket.note', co.companyId, true],
    ]);
  });

  it("keeps the bot's messages in order, idempotent on messageId, and tells the holder", async () => {
    const {
      agents: [agent],
    } = await liveAgents(t, co.auth, 1);
    const ticket = await claimed(agent);
    const path = `/v1/escalations/${ticket.externalId}/messages`;
    const first = {
      messageId: 'm-1',
      body: 'Hello?',
      author: 'customer',
      at: '2026-11-25T10:00:00Z',
    };
    const created = await t.http.post(path).set(bot).send(first).expect(201);
    const again = await t.http.post(path).set(bot).send(first).expect(200);
    expect(again.body).toEqual(created.body);
    // The same instant written otherwise is the same message; another body, author or time is
    // another message.
    await t.http
      .post(path)
      .set(bot)
      .send({ ...first, at: '2026-11-25T11:00:00.000+01:00' })
      .expect(200);
    for (const other of [
      { body: 'Something else' },
      { author: 'bot' },
      { at: '2026-11-25T10:00:00.000001Z' },
    ]) {
      const conflict = await t.http
        .post(path)
        .set(bot)
        .send({ ...first, ...other })
        .expect(409);
      expect(conflict.body.error.code).toBe('MESSAGE_ID_CONFLICT');
    }
    await t.http
      .post(`/v1/tickets/${ticket.id}/messages`)
      .set(agent.auth)
      .send({ body: 'Hi, I am on it', visibility: 'customer' })
      .expect(201);
    await t.http
      .post(path)
      .set(bot)
      .send({ messageId: 'm-2', body: 'Thanks', author: 'customer', at: '2026-11-25T10:01:00Z' })
      .expect(201);
    await t.http
      .post(`/v1/tickets/${ticket.id}/messages`)
      .set(agent.auth)
      .send({ body: 'note to self', visibility: 'internal' })
      .expect(201);

    // The holder sees everything, oldest first, across pages.
    const page1 = await t.http
      .get(`/v1/tickets/${ticket.id}/messages?limit=2`)
      .set(agent.auth)
      .expect(200);
    const page2 = await t.http
      .get(`/v1/tickets/${ticket.id}/messages?limit=2&cursor=${page1.body.nextCursor}`)
      .set(agent.auth)
      .expect(200);
    expect(page2.body.nextCursor).toBeNull();
    expect([...page1.body.items, ...page2.body.items].map((m: { body: string }) => m.body)).toEqual(
      ['Hello?', 'Hi, I am on it', 'Thanks', 'note to self'],
    );
    // The company's admin sees the note; its bot, relaying to the customer, does not.
    const asAdmin = await t.http.get(`/v1/tickets/${ticket.id}/messages`).set(co.auth).expect(200);
    expect(asAdmin.body.items).toHaveLength(4);
    const asBot = await t.http.get(`/v1/tickets/${ticket.id}/messages`).set(bot).expect(200);
    expect(asBot.body.items.map((m: { body: string }) => m.body)).toEqual([
      'Hello?',
      'Hi, I am on it',
      'Thanks',
    ]);
    // Each customer message was handed once to the holder's stream (the retry added none).
    const toHolder = recorded.filter(
      (e) => e.agentId === agent.id && !e.companyId && e.type === 'ticket.message',
    );
    expect(toHolder.map((e) => (e.data as { data: { body: string } }).data.body)).toEqual([
      'Hello?',
      'Thanks',
    ]);
    // The bot finds its ticket by its own id.
    const found = await t.http.get(`/v1/escalations/${ticket.externalId}`).set(bot).expect(200);
    expect(found.body.id).toBe(ticket.id);
  });

  it('serialises concurrent retries of one messageId: one row, every answer the same message', async () => {
    const {
      agents: [agent],
    } = await liveAgents(t, co.auth, 1);
    const ticket = await claimed(agent);
    const body = {
      messageId: 'dup',
      body: 'Are you there?',
      author: 'customer',
      at: '2026-11-25T10:00:00Z',
    };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        t.http.post(`/v1/escalations/${ticket.externalId}/messages`).set(bot).send(body),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const [{ n }] = await t.db.query(
      'SELECT count(*)::int AS n FROM ticket_messages WHERE ticket_id = $1',
      [ticket.id],
    );
    expect(n).toBe(1);
  });

  it('lets only the holder write, and hides the conversation from other agents and tenants', async () => {
    const {
      agents: [holder, other],
    } = await liveAgents(t, co.auth, 2);
    const ticket = await claimed(holder);
    const notMine = await t.http
      .post(`/v1/tickets/${ticket.id}/messages`)
      .set(other.auth)
      .send({ body: 'hi', visibility: 'customer' })
      .expect(403);
    expect(notMine.body.error.code).toBe('TICKET_NOT_CLAIMED_BY_YOU');
    await t.http.get(`/v1/tickets/${ticket.id}/messages`).set(other.auth).expect(403);
    const asAgent = (a: SignedIn) => t.http.get(`/v1/agents/me/tickets/${ticket.id}`).set(a.auth);
    expect((await asAgent(holder).expect(200)).body).toMatchObject({ status: 'claimed' });
    await asAgent(other).expect(404);

    const stranger = await registerCompany(t, 'Strangers');
    const strangerBot = { Authorization: `Bearer ${await createApiKey(t, stranger)}` };
    await t.http.get(`/v1/tickets/${ticket.id}/messages`).set(stranger.auth).expect(404);
    await t.http.get(`/v1/tickets/${ticket.id}/messages`).set(strangerBot).expect(404);
    await t.http.get(`/v1/escalations/${ticket.externalId}`).set(strangerBot).expect(404);
    await t.http
      .post(`/v1/escalations/${ticket.externalId}/messages`)
      .set(strangerBot)
      .send({ messageId: 'x', body: 'hi', author: 'customer', at: '2026-11-25T10:00:00Z' })
      .expect(404);
    await t.http
      .post(`/v1/escalations/${ticket.externalId}/withdraw`)
      .set(strangerBot)
      .send({ reason: 'gone' })
      .expect(404);
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM ticket_messages WHERE ticket_id = $1`,
      [ticket.id],
    );
    expect(n).toBe(0);
    // Released, it is no longer the agent's to read.
    await t.http
      .post(`/v1/tickets/${ticket.id}/release`)
      .set(holder.auth)
      .send({ reason: 'out of my depth' })
      .expect(200);
    await asAgent(holder).expect(404);
    await t.http.get(`/v1/tickets/${ticket.id}/messages`).set(holder.auth).expect(403);
  });

  it('hands a release reason to the next agent as an internal note; the bot never reads it', async () => {
    const {
      agents: [first, next],
    } = await liveAgents(t, co.auth, 2);
    const ticket = await claimed(first);
    await t.http
      .post(`/v1/tickets/${ticket.id}/release`)
      .set(first.auth)
      .send({ reason: '  Needs a German speaker ' })
      .expect(200);
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(next.auth).expect(200);
    const items = async (who: Record<string, string>) =>
      (await t.http.get(`/v1/tickets/${ticket.id}/messages`).set(who).expect(200)).body.items;
    expect(await items(next.auth)).toEqual([
      expect.objectContaining({
        author: 'agent',
        visibility: 'internal',
        body: 'Needs a German speaker',
      }),
    ]);
    expect(await items(bot)).toEqual([]);
  });

  it('shows an agent whose resolution was reopened the conversation up to it, not what followed', async () => {
    const {
      agents: [first, next],
    } = await liveAgents(t, co.auth, 2);
    const ticket = await claimed(first);
    const say = (a: SignedIn, body: string, visibility: 'customer' | 'internal') =>
      t.http
        .post(`/v1/tickets/${ticket.id}/messages`)
        .set(a.auth)
        .send({ body, visibility })
        .expect(201);
    await say(first, 'Refund issued.', 'customer');
    await say(first, 'Order 1142 checked', 'internal');
    await t.http
      .post(`/v1/tickets/${ticket.id}/resolve`)
      .set(first.auth)
      .send({ resolutionSummary: 'refunded' })
      .expect(200);
    await t.http
      .post(`/v1/tickets/${ticket.id}/reopen`)
      .set(co.auth)
      .send({ reason: 'the refund never came' })
      .expect(200);
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(next.auth).expect(200);
    await t.http
      .post(`/v1/escalations/${ticket.externalId}/messages`)
      .set(bot)
      .send({ messageId: 'm-after', body: 'Still nothing', author: 'customer', at: new Date() })
      .expect(201);
    await say(next, 'Re-sent it by wire.', 'customer');
    await say(next, 'First refund bounced: wrong IBAN', 'internal');

    const read = async (a: SignedIn) =>
      (
        await t.http.get(`/v1/tickets/${ticket.id}/messages`).set(a.auth).expect(200)
      ).body.items.map((m: { body: string }) => m.body);
    expect(await read(first)).toEqual(['Refund issued.', 'Order 1142 checked']);
    expect(await read(next)).toEqual([
      'Refund issued.',
      'Order 1142 checked',
      'Still nothing',
      'Re-sent it by wire.',
      'First refund bounced: wrong IBAN',
    ]);
    // The ticket itself stays readable to the first agent: their earning links to it. Its
    // claims are only theirs: the next holder's pay and notes are not (nor are the first's to
    // the next holder).
    const asFirst = await t.http
      .get(`/v1/agents/me/tickets/${ticket.id}`)
      .set(first.auth)
      .expect(200);
    expect(asFirst.body.claims.map((c: { agentId: string }) => c.agentId)).toEqual([first.id]);
    expect(asFirst.body).toMatchObject({ claimedBy: null, claimedByName: null, claimedAt: null });
    const asNext = await t.http
      .get(`/v1/agents/me/tickets/${ticket.id}`)
      .set(next.auth)
      .expect(200);
    expect(asNext.body.claims.map((c: { agentId: string }) => c.agentId)).toEqual([next.id]);
    expect(asNext.body.claimedBy).toBe(next.id);
    // So are the answers to their work: a resolve, a release, a transfer show only the
    // answering agent's claims, never the other's summary, pay or notes.
    const agentsIn = (res: { body: { claims: { agentId: string }[] } }) =>
      res.body.claims.map((c) => c.agentId);
    const resolved = await t.http
      .post(`/v1/tickets/${ticket.id}/resolve`)
      .set(next.auth)
      .send({ resolutionSummary: 'wired' })
      .expect(200);
    expect(agentsIn(resolved)).toEqual([next.id]);
    expect(resolved.body.pay).toEqual({ amountMinor: 250, currency: 'EUR' });
    await t.http
      .post(`/v1/tickets/${ticket.id}/reopen`)
      .set(co.auth)
      .send({ reason: 'the wire bounced too' })
      .expect(200);
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(first.auth).expect(200);
    const released = await t.http
      .post(`/v1/tickets/${ticket.id}/release`)
      .set(first.auth)
      .send({ reason: 'needs finance' })
      .expect(200);
    expect(agentsIn(released)).toEqual([first.id, first.id]);
    expect(released.body).toMatchObject({ claimedBy: null, status: 'open' });
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(next.auth).expect(200);
    const transferred = await t.http
      .post(`/v1/tickets/${ticket.id}/transfer`)
      .set(next.auth)
      .send({ requiredSkills: [{ skill: 'refunds', minLevel: 2 }], note: 'for finance' })
      .expect(200);
    expect(agentsIn(transferred)).toEqual([next.id, next.id]);
    // The company sees the whole history.
    const asCompany = await t.http.get(`/v1/tickets/${ticket.id}`).set(co.auth).expect(200);
    expect(asCompany.body.claims).toHaveLength(4);
  });

  it('reads back, after resolving, a message written while the resolution waited for the ticket', async () => {
    const {
      agents: [agent],
    } = await liveAgents(t, co.auth, 1);
    const ticket = await claimed(agent);
    const resolved = await withRowsHeld(
      t,
      'SELECT 1 FROM tickets WHERE id = $1 FOR NO KEY UPDATE',
      [ticket.id],
      async (held) => {
        const resolve = t.http
          .post(`/v1/tickets/${ticket.id}/resolve`)
          .set(agent.auth)
          .send({ resolutionSummary: 'answered' })
          .then();
        await waitForLockWaiters(t, 1, 'the resolution to wait for the ticket');
        // Written after the resolution began, committed before it takes the ticket: part of
        // the conversation it resolved. (Through the API it would queue behind the resolution
        // for the ticket's lock; inserted here, its transaction starts after the resolution's.
        // The ticket is held FOR NO KEY UPDATE so that the insert's foreign key check passes.)
        await t.db.query(
          `INSERT INTO ticket_messages (ticket_id, company_id, author, agent_id, claim_id,
                                        visibility, body, sent_at)
           SELECT ticket_id, $2, 'agent', agent_id, id, 'customer', 'Last word', now()
             FROM ticket_claims WHERE ticket_id = $1 AND status = 'active'`,
          [ticket.id, co.companyId],
        );
        await held.commitTransaction();
        return resolve;
      },
    );
    expect(resolved.status).toBe(200);
    const read = await t.http.get(`/v1/tickets/${ticket.id}/messages`).set(agent.auth).expect(200);
    expect(read.body.items.map((m: { body: string }) => m.body)).toEqual(['Last word']);
  });

  it('refuses control characters and oversized bodies, naming the field, and writes nothing', async () => {
    const {
      agents: [agent],
    } = await liveAgents(t, co.auth, 1);
    const ticket = await claimed(agent);
    for (const body of [
      'a\u0000b',
      'bell\u0007',
      'esc\u001b[31m',
      'c1\u0085',
      '   ',
      '\u200b', // a zero-width space alone reads as an empty message
      '\u2060\ufeff\u3164',
      '\ufe0f\u034f\u17b4', // a variation selector and other default-ignorables alone
      'x'.repeat(4001),
      '',
    ]) {
      const res = await t.http
        .post(`/v1/tickets/${ticket.id}/messages`)
        .set(agent.auth)
        .send({ body, visibility: 'customer' })
        .expect(400);
      expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
        'body',
      ]);
    }
    // Tabs, line feeds, emoji and 4,000 characters (counted as a person counts them) are fine;
    // a carriage return is read as a line feed.
    await t.http
      .post(`/v1/tickets/${ticket.id}/messages`)
      .set(agent.auth)
      .send({ body: `a\tb\r\nc ${'😀'.repeat(3994)}`, visibility: 'internal' })
      .expect(201);
    const rows = await t.db.query(`SELECT body FROM ticket_messages WHERE ticket_id = $1`, [
      ticket.id,
    ]);
    expect(rows).toEqual([{ body: `a\tb\nc ${'😀'.repeat(3994)}` }]);
  });

  it('refuses control characters in a release reason (kept as a note for the next agent), naming the field', async () => {
    const {
      agents: [agent],
    } = await liveAgents(t, co.auth, 1);
    const ticket = await claimed(agent);
    for (const reason of ['a\u0000b', 'esc\u001b[31m', 'c1\u0085', 'x'.repeat(1001)]) {
      const res = await t.http
        .post(`/v1/tickets/${ticket.id}/release`)
        .set(agent.auth)
        .send({ reason })
        .expect(400);
      expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([
        'reason',
      ]);
    }
    const [row] = await t.db.query('SELECT status FROM tickets WHERE id = $1', [ticket.id]);
    expect(row.status).toBe('claimed');
    await t.http
      .post(`/v1/tickets/${ticket.id}/release`)
      .set(agent.auth)
      .send({ reason: 'Needs\ta German speaker 🇩🇪' })
      .expect(200);
  });

  it('refuses control characters in a resolution summary and a reopen reason (both reach the bot), naming the field', async () => {
    const {
      agents: [agent],
    } = await liveAgents(t, co.auth, 1);
    const ticket = await claimed(agent);
    const fieldsOf = (res: { body: { error: { details: { fields: { field: string }[] } } } }) =>
      res.body.error.details.fields.map((f) => f.field);
    for (const text of ['a\u0000b', 'esc\u001b[2J', 'bell\u0007', 'c1\u0085', 'vt\u000b']) {
      const res = await t.http
        .post(`/v1/tickets/${ticket.id}/resolve`)
        .set(agent.auth)
        .send({ resolutionSummary: text })
        .expect(400);
      expect(fieldsOf(res)).toEqual(['resolutionSummary']);
    }
    const [open] = await t.db.query('SELECT status FROM tickets WHERE id = $1', [ticket.id]);
    expect(open.status).toBe('claimed');
    await t.http
      .post(`/v1/tickets/${ticket.id}/resolve`)
      .set(agent.auth)
      .send({ resolutionSummary: 'Refunded\n\t- the second charge 💶' })
      .expect(200);
    for (const reason of ['a\u0000b', 'esc\u001b[2J', 'bell\u0007', 'x'.repeat(1001)]) {
      const res = await t.http
        .post(`/v1/tickets/${ticket.id}/reopen`)
        .set(co.auth)
        .send({ reason })
        .expect(400);
      expect(fieldsOf(res)).toEqual(['reason']);
    }
    const [resolved] = await t.db.query('SELECT status FROM tickets WHERE id = $1', [ticket.id]);
    expect(resolved.status).toBe('resolved');
    await t.http
      .post(`/v1/tickets/${ticket.id}/reopen`)
      .set(co.auth)
      .send({ reason: 'Still charged\ntwice 💶' })
      .expect(200);
  });

  it('transfers back to the queue with the new skills, its rank kept, a note for the next agent', async () => {
    const {
      agents: [first],
    } = await liveAgents(t, co.auth, 1);
    const {
      agents: [specialist],
    } = await liveAgents(t, co.auth, 1, {
      skills: [
        { skill: 'refunds', level: 3 },
        { skill: 'chargebacks', level: 4 },
      ],
    });
    const ticket = await escalate(t, bot.Authorization.slice(7), { priority: 'high' });
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(first.auth).expect(200);
    const res = await t.http
      .post(`/v1/tickets/${ticket.id}/transfer`)
      .set(first.auth)
      .send({
        requiredSkills: [
          { skill: 'refunds', minLevel: 2 },
          { skill: 'chargebacks', minLevel: 4 },
        ],
        note: 'A chargeback was opened',
      })
      .expect(200);
    expect(res.body).toMatchObject({ status: 'open', effectivePriority: 'high' });
    // Its event reaches the agent who transferred it (its other tabs drop the ticket), as a
    // release's does.
    const mine = await waitFor(async () => {
      const e = await t.http.get('/v1/events?types=ticket.transferred').set(first.auth).expect(200);
      return e.body.items.length > 0 && e.body.items;
    }, 'the transfer among the agent’s events');
    expect(mine.map((e: { data: { ticketId: string } }) => e.data.ticketId)).toEqual([ticket.id]);
    const [row] = await t.db.query(
      `SELECT status, rank, skill_codes, skill_levels, primary_skill FROM tickets WHERE id = $1`,
      [ticket.id],
    );
    expect(row).toEqual({
      status: 'open',
      rank: 2,
      skill_codes: ['chargebacks', 'refunds'],
      skill_levels: [4, 2],
      primary_skill: 'chargebacks',
    });
    // The first agent no longer qualifies; the specialist claims it and reads the note.
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(first.auth).expect(403);
    await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(specialist.auth).expect(200);
    const thread = await t.http
      .get(`/v1/tickets/${ticket.id}/messages`)
      .set(specialist.auth)
      .expect(200);
    expect(thread.body.items).toMatchObject([
      {
        author: 'agent',
        agentId: first.id,
        visibility: 'internal',
        body: 'A chargeback was opened',
      },
    ]);
    const claims = (await t.http.get(`/v1/tickets/${ticket.id}`).set(co.auth).expect(200)).body
      .claims as { agentId: string; status: string; releasedBy: string | null }[];
    expect(claims[0]).toMatchObject({
      agentId: first.id,
      status: 'released',
      releasedBy: 'transfer',
    });
    await waitFor(
      async () =>
        bodiesAtHook().find(
          (b) => b.type === 'ticket.transferred' && b.data.ticketId === ticket.id,
        ),
      'the transfer at the hook',
    );
    // Unknown skills are refused by field, and nothing changes.
    const bad = await t.http
      .post(`/v1/tickets/${ticket.id}/transfer`)
      .set(specialist.auth)
      .send({ requiredSkills: [{ skill: 'astrology', minLevel: 1 }], note: 'x' })
      .expect(400);
    expect(bad.body.error.details.fields[0].field).toBe('requiredSkills.0.skill');
  });
});
