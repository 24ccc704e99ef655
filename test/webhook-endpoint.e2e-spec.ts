import { verifySignature } from '../src/modules/webhooks/webhook-signature';
import { createApiKey, registerCompany, SignedIn } from './support/factories';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';
import { ReceivedRequest, slaBreachNow, webhookReceiver } from './support/webhooks';

/*
 * Issue 13: changing the webhook URL keeps the signing secret; a new secret only on request
 * (rotate-secret), which then signs every attempt, retries of pending deliveries included; a
 * signed `ping` on request goes through the delivery path and its log.
 */
describe('a company webhook: the secret survives URL changes; rotation and pings on request', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      workers: true,
      // Ten attempts from 100 ms: a failing delivery stays pending for about a minute.
      env: { WEBHOOK_BACKOFF_MS: '100', WEBHOOK_ATTEMPTS: '10', OUTBOX_POLL_MS: '100' },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const put = (co: SignedIn, url: string) =>
    t.http.put('/v1/companies/me/webhook').set(co.auth).send({ url });
  const storedSecret = async (co: SignedIn): Promise<string> =>
    (
      await t.db.query('SELECT secret FROM webhook_endpoints WHERE company_id = $1', [co.companyId])
    )[0].secret;
  const signedWith = (secret: string, r: ReceivedRequest) =>
    verifySignature(secret, r.body, String(r.headers['handoff-signature']));
  const deliveries = async (co: SignedIn, query = '') =>
    (await t.http.get(`/v1/companies/me/webhook-deliveries${query}`).set(co.auth).expect(200)).body
      .items;

  it('creates the secret with the webhook, shows it once, and keeps it when the URL changes', async () => {
    const co = await registerCompany(t, 'Moving');
    const key = await createApiKey(t, co);
    const before = webhookReceiver();
    const after = webhookReceiver();
    try {
      const first = await put(co, await before.start()).expect(200);
      expect(first.body).toEqual({
        url: expect.any(String),
        secret: expect.stringMatching(/^whsec_/),
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const secret: string = first.body.secret;
      const sealed = await storedSecret(co);

      const newUrl = await after.start();
      const moved = await put(co, newUrl).expect(200);
      expect(moved.body).toEqual({
        url: newUrl,
        secret: null, // unchanged, so not shown again
        createdAt: first.body.createdAt,
        updatedAt: expect.any(String),
      });
      expect(new Date(moved.body.updatedAt).getTime()).toBeGreaterThanOrEqual(
        new Date(first.body.updatedAt).getTime(),
      );
      expect(await storedSecret(co)).toBe(sealed); // the very same ciphertext
      // The same URL again changes nothing either.
      expect((await put(co, newUrl).expect(200)).body.secret).toBeNull();

      // Deliveries go to the new URL, signed with the secret given at creation.
      await slaBreachNow(t, key);
      await waitFor(async () => after.received.length > 0, 'a delivery at the new URL', 10_000);
      expect(signedWith(secret, after.received[0])).toBe(true);
      expect(before.received).toEqual([]);
      expect((await t.http.get('/v1/companies/me/webhook').set(co.auth).expect(200)).body.url).toBe(
        newUrl,
      );
    } finally {
      await before.stop();
      await after.stop();
    }
  });

  it('sets a new secret after the webhook was removed (a new endpoint)', async () => {
    const co = await registerCompany(t, 'Again');
    const first = await put(co, 'https://hooks.example.test/a').expect(200);
    await t.http.delete('/v1/companies/me/webhook').set(co.auth).expect(204);
    const again = await put(co, 'https://hooks.example.test/a').expect(200);
    expect(again.body.secret).toMatch(/^whsec_/);
    expect(again.body.secret).not.toBe(first.body.secret);
  });

  it('gives two first PUTs at once one secret: only one of them shows it', async () => {
    const co = await registerCompany(t, 'Racing');
    const answers = await Promise.all(
      Array.from({ length: 4 }, (_, i) => put(co, `https://hooks.example.test/${i}`)),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    const shown = answers.map((a) => a.body.secret).filter((s) => s !== null);
    expect(shown).toHaveLength(1);
  });

  it('rotates the secret on request; retries of a pending delivery then sign with the new one', async () => {
    const co = await registerCompany(t, 'Rotating');
    const key = await createApiKey(t, co);
    let current = '';
    // A receiver that verifies signatures, as a real one does: it knows only `current`.
    const hook = webhookReceiver({ answer: (r) => (signedWith(current, r) ? 200 : 400) });
    const url = await hook.start();
    try {
      const created = await put(co, url).expect(200);
      const oldSecret: string = created.body.secret;
      const ticketId = await slaBreachNow(t, key);
      // The receiver was not told yet: the first attempt, signed with the old secret, is refused.
      await waitFor(async () => hook.received.length >= 1, 'a first attempt', 10_000);
      expect(signedWith(oldSecret, hook.received[0])).toBe(true);
      const pending = await waitFor(async () => {
        const [d] = await deliveries(co, '?status=pending');
        return d?.attempts >= 1 && d;
      }, 'the refused attempt in the log');
      expect(pending).toMatchObject({ lastStatusCode: 400, lastErrorKind: 'http_status' });

      const rotated = await t.http
        .post('/v1/companies/me/webhook/rotate-secret')
        .set(co.auth)
        .expect(200);
      expect(rotated.body).toEqual({
        url,
        secret: expect.stringMatching(/^whsec_/),
        createdAt: created.body.createdAt,
        updatedAt: expect.any(String),
      });
      const newSecret: string = rotated.body.secret;
      expect(newSecret).not.toBe(oldSecret);
      current = newSecret; // the receiver is updated

      const delivered = await waitFor(async () => {
        const [d] = await deliveries(co);
        return d?.status === 'delivered' && d;
      }, 'the pending delivery delivered with the new secret');
      expect(delivered.payload.data.ticketId).toBe(ticketId);
      const accepted = hook.received[hook.received.length - 1];
      expect(signedWith(newSecret, accepted)).toBe(true);
      expect(signedWith(oldSecret, accepted)).toBe(false);
      // The secret is still shown nowhere else.
      const get = await t.http.get('/v1/companies/me/webhook').set(co.auth).expect(200);
      expect(get.body).not.toHaveProperty('secret');
    } finally {
      await hook.stop();
    }
  });

  it('answers 404 WEBHOOK_NOT_CONFIGURED to rotate or test without a webhook', async () => {
    const co = await registerCompany(t, 'Hookless');
    for (const path of ['rotate-secret', 'test']) {
      const res = await t.http.post(`/v1/companies/me/webhook/${path}`).set(co.auth).expect(404);
      expect(res.body.error.code).toBe('WEBHOOK_NOT_CONFIGURED');
    }
    expect(await deliveries(co)).toEqual([]);
  });

  it('sends a signed ping through the delivery path and logs it like any delivery', async () => {
    const co = await registerCompany(t, 'Pinging');
    const other = await registerCompany(t, 'Other');
    const hook = webhookReceiver();
    const url = await hook.start();
    try {
      const { secret } = (await put(co, url).expect(200)).body;
      const before = Date.now();
      const res = await t.http.post('/v1/companies/me/webhook/test').set(co.auth).expect(202);
      expect(res.body).toMatchObject({
        id: expect.any(String),
        eventType: 'ping',
        status: 'pending',
        attempts: 0,
        lastError: null,
        lastErrorKind: null,
        payload: {
          id: res.body.eventId,
          type: 'ping',
          createdAt: expect.any(String),
          data: { companyId: co.companyId },
        },
      });
      // Not tried yet: due right away.
      expect(new Date(res.body.nextAttemptAt).getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(new Date(res.body.nextAttemptAt).getTime()).toBeLessThanOrEqual(Date.now() + 1000);

      await waitFor(async () => hook.received.length >= 1, 'the ping at the receiver', 10_000);
      const [ping] = hook.received;
      expect(signedWith(secret, ping)).toBe(true);
      expect(JSON.parse(ping.body)).toEqual(res.body.payload);
      expect(ping.headers).toMatchObject({
        'handoff-event': 'ping',
        'handoff-event-id': res.body.eventId,
        'handoff-delivery': res.body.id,
      });
      const logged = await waitFor(async () => {
        const [d] = await deliveries(co, '?event=ping');
        return d?.status === 'delivered' && d;
      }, 'the ping delivered in the log');
      expect(logged).toMatchObject({
        id: res.body.id,
        attempts: 1,
        lastStatusCode: 200,
        nextAttemptAt: null,
      });
      // Another company sees nothing of it and cannot redeliver it.
      expect(await deliveries(other)).toEqual([]);
      await t.http
        .post(`/v1/companies/me/webhook-deliveries/${res.body.id}/redeliver`)
        .set(other.auth)
        .expect(404);
      // A ping can be redelivered like any delivery.
      await t.http
        .post(`/v1/companies/me/webhook-deliveries/${res.body.id}/redeliver`)
        .set(co.auth)
        .expect(202);
      await waitFor(async () => hook.received.length >= 2, 'the ping again', 10_000);
      expect(hook.received[1].body).toBe(ping.body);
    } finally {
      await hook.stop();
    }
  });
});
