import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRIORITIES } from '../src/modules/tickets/ticket.dto';
import { WEBHOOK_EXAMPLES } from '../src/modules/webhooks/webhook-examples';
import { WEBHOOK_EVENT_TYPES, WebhookEventType } from '../src/modules/webhooks/webhook-payload';
import { createApiKey, registerCompany, SignedIn } from './support/factories';
import { escalate, liveAgents } from './support/tickets';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';
import { slaBreachNow, webhookReceiver, WebhookReceiver } from './support/webhooks';

/*
 * Issue 13: one vocabulary across the API and webhooks, and docs whose examples are the typed
 * examples of src/modules/webhooks/webhook-examples.ts. (a) Every event, made through the real
 * code path and received over HTTP, has exactly the keys and value types of its example; (b)
 * docs/api.md's "Webhooks" section shows each example as one of its JSON blocks.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// What Date.prototype.toISOString writes.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

type Shape = string | Shape[] | { [key: string]: Shape };

/** A value's structure: object keys (sorted) with their shapes, the distinct shapes of an
 * array's items, and for a leaf its type (uuid and instant told apart from other strings). */
function shapeOf(v: unknown): Shape {
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    const distinct = new Set(v.map((x) => JSON.stringify(shapeOf(x))));
    return [...distinct].sort().map((s) => JSON.parse(s) as Shape);
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, shapeOf(o[k])]),
    );
  }
  if (typeof v === 'string')
    return UUID.test(v) ? 'uuid' : ISO_INSTANT.test(v) ? 'instant' : 'string';
  return typeof v;
}

/** The JSON code blocks of docs/api.md's "## Webhooks" section, parsed. */
function webhookDocBlocks(): unknown[] {
  const md = readFileSync(join(__dirname, '..', 'docs', 'api.md'), 'utf8');
  const start = md.indexOf('\n## Webhooks\n');
  if (start < 0) throw new Error('docs/api.md has no "## Webhooks" section');
  const end = md.indexOf('\n## ', start + 1);
  const section = md.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m, i) => {
    try {
      return JSON.parse(m[1]);
    } catch (e) {
      throw new Error(`JSON block ${i + 1} of the Webhooks section does not parse: ${e}`);
    }
  });
}

describe('webhook payloads: one vocabulary, and the docs show the typed examples', () => {
  describe('docs/api.md', () => {
    const blocks = webhookDocBlocks();
    // Structural (parsed JSON, key order aside). On failure, the expected value is the block
    // to paste: JSON.stringify(WEBHOOK_EXAMPLES[type], null, 2).
    it.each([...WEBHOOK_EVENT_TYPES])('shows the %s example of webhook-examples.ts', (type) => {
      expect(blocks).toContainEqual(WEBHOOK_EXAMPLES[type]);
    });
  });

  describe('events sent by the real code paths', () => {
    let t: TestApp;
    let co: SignedIn;
    let key: string;
    let hook: WebhookReceiver;
    beforeAll(async () => {
      t = await createTestApp({
        workers: true,
        env: { WEBHOOK_BACKOFF_MS: '100', WEBHOOK_ATTEMPTS: '3', OUTBOX_POLL_MS: '100' },
      });
      co = await registerCompany(t, 'Vocabulary');
      key = await createApiKey(t, co);
      hook = webhookReceiver();
      const url = await hook.start();
      await t.http.put('/v1/companies/me/webhook').set(co.auth).send({ url }).expect(200);
    });
    afterAll(async () => {
      await hook.stop();
      await t.close();
    });

    /** The body the receiver got for the event of this type about this ticket (or company). */
    const receivedOf = (type: WebhookEventType, ticketId?: string) =>
      waitFor(
        async () => {
          const bodies = hook.received.map((r) => JSON.parse(r.body));
          return bodies.find((b) => b.type === type && (!ticketId || b.data.ticketId === ticketId));
        },
        `a ${type} at the receiver`,
        15_000,
      );

    const expectLikeExample = (type: WebhookEventType, body: unknown) =>
      expect({ type, shape: shapeOf(body) }).toEqual({
        type,
        shape: shapeOf(WEBHOOK_EXAMPLES[type]),
      });

    it('sends every ticket event with exactly the keys and value types of its example', async () => {
      const {
        agents: [a, b],
      } = await liveAgents(t, co.auth, 2);
      const ticket = await escalate(t, key);
      await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(a.auth).expect(200);
      await t.http
        .post(`/v1/tickets/${ticket.id}/release`)
        .set(a.auth)
        .send({ reason: 'Needs the fraud team' })
        .expect(200);
      await t.http.post(`/v1/tickets/${ticket.id}/claim`).set(b.auth).expect(200);
      await t.http
        .post(`/v1/tickets/${ticket.id}/resolve`)
        .set(b.auth)
        .send({ resolutionSummary: 'Refund re-issued' })
        .expect(200);
      await t.http
        .post(`/v1/tickets/${ticket.id}/reopen`)
        .set(co.auth)
        .send({ reason: 'Customer wrote back' })
        .expect(200);
      const breached = await slaBreachNow(t, key);

      for (const type of [
        'ticket.claimed',
        'ticket.released',
        'ticket.resolved',
        'ticket.reopened',
      ] as const) {
        const body = await receivedOf(type, ticket.id);
        expectLikeExample(type, body);
        expect(body.data.companyId).toBe(co.companyId);
      }
      // However they arrived, the ticket's events carry a sequence in the order they happened.
      const bodies = await waitFor(async () => {
        const mine = hook.received
          .map((r) => JSON.parse(r.body))
          .filter((body) => body.data?.ticketId === ticket.id);
        return mine.length >= 5 && mine;
      }, 'the five events of the ticket');
      const inOrder = [...bodies].sort((x, y) => x.data.sequence - y.data.sequence);
      expect(inOrder.map((body) => [body.type, body.data.agentId])).toEqual([
        ['ticket.claimed', a.id],
        ['ticket.released', a.id],
        ['ticket.claimed', b.id],
        ['ticket.resolved', b.id],
        ['ticket.reopened', b.id],
      ]);
      expect(new Set(bodies.map((body) => body.data.sequence)).size).toBe(5);
      const sla = await receivedOf('ticket.sla_breached', breached);
      expectLikeExample('ticket.sla_breached', sla);
      expect(sla.data.companyId).toBe(co.companyId);
      // The priority in the ticket API's words: what GET /v1/tickets/:id says it is now.
      const view = await t.http.get(`/v1/tickets/${breached}`).set(co.auth).expect(200);
      expect(view.body.effectivePriority).toBe('high');
      expect(sla.data.data.priorityRaisedTo).toBe(view.body.effectivePriority);
      expect(PRIORITIES).toContain(sla.data.data.priorityRaisedTo);
    });

    it('sends a ping with exactly the keys and value types of its example', async () => {
      await t.http.post('/v1/companies/me/webhook/test').set(co.auth).expect(202);
      const ping = await receivedOf('ping');
      expectLikeExample('ping', ping);
      expect(ping.data.companyId).toBe(co.companyId);
    });
  });
});
