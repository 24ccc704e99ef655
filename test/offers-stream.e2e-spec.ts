import type { AddressInfo } from 'node:net';
import { createApiKey, registerCompany } from './support/factories';
import { SseClient } from './support/sse-client';
import { escalate, liveAgents } from './support/tickets';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * Push routing across processes: the API process `api` takes the escalation and holds the
 * agent's stream; the worker process `worker` (same database and Redis) runs the outbox relay
 * and the router job. Nothing here calls the router directly.
 */
describe('an offer made by a worker reaches a stream on an API process', () => {
  let api: TestApp;
  let worker: TestApp;
  let base: string;
  const clients: SseClient[] = [];

  beforeAll(async () => {
    const env = { EVENTS_POLL_MS: '100', EVENTS_HEARTBEAT_MS: '200' };
    api = await createTestApp({ env });
    worker = await createTestApp({ env, shareWith: api, workers: true });
    await api.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await worker.close();
    await api.close();
  });

  it('streams offer.created to the agent the router picked, and to nobody else', async () => {
    const acme = await registerCompany(api, 'Acme');
    const bot = await createApiKey(api, acme);
    const { agents } = await liveAgents(api, acme.auth, 2, {}, { routing: 'push' });
    const streams = agents.map((a) => {
      const c = new SseClient(base, { Authorization: a.auth.Authorization });
      clients.push(c);
      return c;
    });
    for (const c of streams) {
      await waitFor(async () => c.frames.some((f) => f.comment === 'connected'), 'connected');
    }
    const ticket = await escalate(api, bot);
    const offered = await waitFor(
      async () =>
        streams
          .map((c, i) => ({ i, e: c.events.find((e) => e.type === 'offer.created') }))
          .find((x) => x.e),
      'an offer.created frame on one stream',
      15_000,
    );
    // agents[0] checked in first: idle longest, so the router picks it.
    expect(offered.i).toBe(0);
    expect(offered.e!.data).toMatchObject({ ticketId: ticket.id });
    const [row] = await api.db.query(`SELECT id, agent_id FROM offers WHERE ticket_id = $1`, [
      ticket.id,
    ]);
    expect(row).toMatchObject({ id: offered.e!.data.offerId, agent_id: agents[0].id });
    // The other agent's stream saw no offer (its heartbeat proves it is still live).
    await waitFor(
      async () => streams[1].frames.some((f) => f.comment === 'heartbeat'),
      'a heartbeat on the other stream',
    );
    expect(streams[1].events.filter((e) => e.type === 'offer.created')).toEqual([]);
    // The agent accepts through the API process.
    const accepted = await api.http
      .post(`/v1/offers/${row.id}/accept`)
      .set(agents[0].auth)
      .expect(200);
    expect(accepted.body).toMatchObject({ id: ticket.id, status: 'claimed' });
  });
});
