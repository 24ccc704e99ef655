import { WEBHOOK_RESOLVER } from '../src/modules/webhooks/webhook-resolver';
import { createApiKey, registerCompany, SignedIn } from './support/factories';
import { waitFor } from './support/wait-for';
import { createTestApp, TestApp } from './support/test-app';
import { fakeResolver, slaBreachNow, webhookReceiver } from './support/webhooks';

/**
 * Issue 11, finding 6: a webhook URL must not let a company reach our own network. These run
 * with the address rule ON (WEBHOOK_ALLOW_PRIVATE_URLS=false) and a fake resolver, so no test
 * depends on real DNS; the only traffic sent anywhere is to a receiver on 127.0.0.1, and the
 * tests check it receives nothing.
 */
const dns = new Map<string, string[]>([
  ['public.example', ['93.184.216.34']],
  ['public6.example', ['2606:2800:220:1:248:1893:25c8:1946']],
  ['internal.example', ['10.1.2.3']],
  ['loopback.example', ['127.0.0.1']],
  ['loopback6.example', ['::1']],
  ['metadata.example', ['169.254.169.254']],
  ['mapped.example', ['::ffff:127.0.0.1']],
  ['cgnat.example', ['100.64.0.9']],
  ['unique-local.example', ['fd00::1']],
  // one bad address among good ones is enough to refuse
  ['mixed.example', ['93.184.216.34', '192.168.0.10']],
]);
const lookups: string[] = [];

describe('webhook URLs are refused when they reach non-public addresses', () => {
  let t: TestApp;
  let co: SignedIn;
  let key: string;
  beforeAll(async () => {
    t = await createTestApp({
      workers: true,
      env: {
        WEBHOOK_ALLOW_PRIVATE_URLS: 'false',
        WEBHOOK_BACKOFF_MS: '100',
        WEBHOOK_ATTEMPTS: '3',
        OUTBOX_POLL_MS: '100',
      },
      overrideProviders: [{ provide: WEBHOOK_RESOLVER, useValue: fakeResolver(dns, lookups) }],
    });
    co = await registerCompany(t, 'Scanner');
    key = await createApiKey(t, co);
  });
  afterAll(async () => {
    await t.close();
  });

  const put = (url: string) => t.http.put('/v1/companies/me/webhook').set(co.auth).send({ url });

  it.each([
    'http://127.0.0.1/',
    'http://127.0.0.1:6379/',
    'http://0x7f000001/', // hex
    'http://0.0.0.0/',
    'http://[::1]/',
    'http://[::]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:169.254.169.254]/',
    'http://[64:ff9b::a9fe:a9fe]/',
    'http://[fe80::1]/',
    'http://[fd00::1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/',
    'http://172.16.0.1/',
    'http://172.31.255.254/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://224.0.0.1/',
    'http://255.255.255.255/',
    'http://192.0.2.1/',
    'http://localhost/',
    'http://LOCALHOST:3000/',
    'http://api.localhost/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://metadata/',
    'https://internal.example/h',
    'https://loopback.example/h',
    'https://loopback6.example/h',
    'https://metadata.example/h',
    'https://mapped.example/h',
    'https://cgnat.example/h',
    'https://unique-local.example/h',
    'https://mixed.example/h',
  ])('refuses %s with 400 naming url', async (url) => {
    const res = await put(url).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.fields).toEqual([
      { field: 'url', messages: [expect.stringMatching(/public/)] },
    ]);
  });

  // The DTO's URL syntax check happens to refuse these spellings of loopback already; the
  // policy's own check (WHATWG-normalised host) refuses them too: see webhook-target.policy.spec.
  it.each([
    'http://127.1/',
    'http://2130706433/',
    'http://017700000001/',
    'http://0x7f.0.0.1/',
    'http://localhost./',
  ])('refuses %s with 400 naming url', async (url) => {
    const res = await put(url).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.fields).toEqual([
      { field: 'url', messages: [expect.any(String)] },
    ]);
  });

  it.each(['https://user:pass@public.example/h', 'https://token@public.example/h'])(
    'refuses credentials in the URL (%s)',
    async (url) => {
      const res = await put(url).expect(400);
      expect(res.body.error.details.fields).toEqual([
        { field: 'url', messages: [expect.stringMatching(/credentials/)] },
      ]);
    },
  );

  it.each([
    'https://public.example/h',
    'https://public6.example/h',
    'https://93.184.216.34/h',
    'https://[2606:2800:220:1:248:1893:25c8:1946]:8443/h',
    // Not resolvable now (not published yet, say): accepted; delivery checks again.
    'https://not-yet-published.example/h',
  ])('accepts %s', async (url) => {
    await put(url).expect(200);
  });

  it('resolves again at delivery and never connects to a rebound address', async () => {
    const hook = webhookReceiver();
    const port = new URL(await hook.start()).port;
    try {
      dns.set('rebind.example', ['93.184.216.34']); // public when the webhook is set…
      await put(`http://rebind.example:${port}/hooks`).expect(200);
      dns.set('rebind.example', ['127.0.0.1']); // …loopback when the delivery runs
      const ticketId = await slaBreachNow(t, key);
      const settled = await waitFor(async () => {
        const res = await t.http
          .get('/v1/companies/me/webhook-deliveries')
          .set(co.auth)
          .expect(200);
        const d = res.body.items.find(
          (x: { payload: { data: { ticketId: string } } }) => x.payload.data.ticketId === ticketId,
        );
        return d && d.status !== 'pending' && d;
      }, 'the delivery to settle');
      // Refused for good at the first attempt: retrying will not change the address soon.
      expect(settled).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastStatusCode: null,
        lastErrorKind: 'refused_by_policy',
        nextAttemptAt: null,
      });
      const failed = settled;
      expect(failed.lastError).toMatch(/rebind\.example.*non-public address/);
      expect(lookups).toContain('rebind.example');
      await new Promise((r) => setTimeout(r, 500)); // no retry sneaks through either
      expect(hook.received).toEqual([]);
    } finally {
      await hook.stop();
    }
  });

  it('holds a test ping to the same policy: refused for good, nothing sent', async () => {
    const hook = webhookReceiver();
    const port = new URL(await hook.start()).port;
    try {
      dns.set('ping-rebind.example', ['93.184.216.34']);
      await put(`http://ping-rebind.example:${port}/hooks`).expect(200);
      dns.set('ping-rebind.example', ['10.0.0.7']);
      const { body } = await t.http.post('/v1/companies/me/webhook/test').set(co.auth).expect(202);
      expect(body).toMatchObject({ eventType: 'ping', status: 'pending' });
      const settled = await waitFor(async () => {
        const res = await t.http
          .get('/v1/companies/me/webhook-deliveries?event=ping')
          .set(co.auth)
          .expect(200);
        const d = res.body.items.find((x: { id: string }) => x.id === body.id);
        return d && d.status !== 'pending' && d;
      }, 'the ping to settle');
      expect(settled).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastStatusCode: null,
        lastErrorKind: 'refused_by_policy',
        lastError: expect.stringMatching(/ping-rebind\.example.*non-public address \(private\)/),
        nextAttemptAt: null,
      });
      expect(hook.received).toEqual([]);
    } finally {
      await hook.stop();
    }
  });

  it('refuses at delivery an endpoint stored before these checks existed', async () => {
    const hook = webhookReceiver();
    const port = new URL(await hook.start()).port;
    try {
      // As written before the fix: a loopback URL, straight into the table.
      const failed = await settledDeliveryOfStoredUrl('Legacy', `http://127.0.0.1:${port}/hooks`);
      expect(failed).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastStatusCode: null,
        lastErrorKind: 'refused_by_policy',
      });
      expect(failed.lastError).toMatch(/loopback/);
      expect(hook.received).toEqual([]);
    } finally {
      await hook.stop();
    }
  });

  it('fails at once a stored URL that no longer parses (it threw at every attempt for a day)', async () => {
    const failed = await settledDeliveryOfStoredUrl('Unparsable', 'https://bad host.example/hooks');
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastErrorKind: 'refused_by_policy',
      lastError: 'the webhook URL cannot be parsed',
    });
  });

  /**
   * A new company whose endpoint URL is written straight into the table (as stored before the
   * URL checks existed, so none of them ran), one SLA breach delivered to it, and that delivery
   * once it has settled.
   */
  async function settledDeliveryOfStoredUrl(name: string, url: string) {
    const company = await registerCompany(t, name);
    await t.db.query(
      `INSERT INTO webhook_endpoints (company_id, url, secret) VALUES ($1, $2, 'whsec_legacy')`,
      [company.companyId, url],
    );
    await slaBreachNow(t, await createApiKey(t, company));
    return waitFor(async () => {
      const res = await t.http
        .get('/v1/companies/me/webhook-deliveries')
        .set(company.auth)
        .expect(200);
      const d = res.body.items[0];
      return d && d.status !== 'pending' && d;
    }, 'the delivery to settle');
  }
});
