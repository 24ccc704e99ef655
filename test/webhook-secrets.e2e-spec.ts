import { Test, TestingModule } from '@nestjs/testing';
import pino from 'pino';
import { AppModule } from '../src/app.module';
import { generateSecretKey, SecretBox } from '../src/common/crypto/secret-box';
import { Env, validateEnv } from '../src/config/env.validation';
import { WebhookSecrets } from '../src/modules/webhooks/webhook-secrets.service';
import { verifySignature } from '../src/modules/webhooks/webhook-signature';
import { createApiKey, registerCompany, SignedIn } from './support/factories';
import { waitFor } from './support/wait-for';
import { createTestApp, TEST_SECRETS_KEY, TestApp } from './support/test-app';
import { slaBreachNow, WebhookReceiver, webhookReceiver } from './support/webhooks';

/**
 * Issue 11, finding 7: webhook signing secrets are encrypted at rest. Secrets written in clear
 * before this change are encrypted at start-up or on first use, and keep signing correctly.
 */
/** Another process of the same deployment (same database), e.g. one starting up. */
async function otherProcess(env: Env, overrides: Record<string, string> = {}) {
  const moduleRef: TestingModule = await Test.createTestingModule({
    imports: [
      AppModule.register({
        env: validateEnv({ ...env, ...overrides }),
        logger: pino({ level: 'silent' }),
        workers: false,
      }),
    ],
  }).compile();
  await moduleRef.init(); // runs onApplicationBootstrap, as a start-up does
  return moduleRef;
}

describe('webhook signing secrets at rest', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      workers: true,
      env: { WEBHOOK_BACKOFF_MS: '100', WEBHOOK_ATTEMPTS: '5', OUTBOX_POLL_MS: '100' },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const storedSecret = async (co: SignedIn): Promise<string> =>
    (
      await t.db.query('SELECT secret FROM webhook_endpoints WHERE company_id = $1', [co.companyId])
    )[0].secret;

  /** Makes the company's next webhook event (an SLA breach) and returns what its receiver got. */
  async function deliverOne(co: SignedIn, key: string, hook: WebhookReceiver) {
    const before = hook.received.length;
    await slaBreachNow(t, key);
    await waitFor(async () => hook.received.length > before, 'a delivery', 10_000);
    return hook.received[before];
  }

  it('keeps a ciphertext in the database, never the secret the company got', async () => {
    const co = await registerCompany(t, 'Sealed');
    const hook = webhookReceiver();
    const url = await hook.start();
    try {
      const first = await t.http.put('/v1/companies/me/webhook').set(co.auth).send({ url });
      const secret: string = first.body.secret;
      const stored = await storedSecret(co);
      expect(stored).toMatch(/^enc:v1:[\w-]+:[\w-]+:[\w-]+:[\w-]+$/);
      expect(stored).not.toContain(secret);
      expect(stored).not.toContain(secret.slice('whsec_'.length));
      const got = await deliverOne(co, await createApiKey(t, co), hook);
      expect(verifySignature(secret, got.body, String(got.headers['handoff-signature']))).toBe(
        true,
      );
    } finally {
      await hook.stop();
    }
  });

  it('encrypts a secret stored in clear at start-up, and it still signs', async () => {
    const co = await registerCompany(t, 'Legacy start-up');
    const key = await createApiKey(t, co);
    const hook = webhookReceiver();
    const url = await hook.start();
    try {
      const clear = 'whsec_written-in-clear-before-encryption';
      await t.db.query(
        `INSERT INTO webhook_endpoints (company_id, url, secret) VALUES ($1, $2, $3)`,
        [co.companyId, url, clear],
      );
      const starting = await otherProcess(t.env);
      await starting.close();
      const stored = await storedSecret(co);
      expect(stored).toMatch(/^enc:v1:/);
      expect(stored).not.toContain('written-in-clear');
      const got = await deliverOne(co, key, hook);
      expect(verifySignature(clear, got.body, String(got.headers['handoff-signature']))).toBe(true);
    } finally {
      await hook.stop();
    }
  });

  it('encrypts a secret stored in clear on first use, and it signs', async () => {
    const co = await registerCompany(t, 'Legacy first use');
    const key = await createApiKey(t, co);
    const hook = webhookReceiver();
    const url = await hook.start();
    try {
      const clear = 'whsec_still-in-clear-after-start-up';
      await t.db.query(
        `INSERT INTO webhook_endpoints (company_id, url, secret) VALUES ($1, $2, $3)`,
        [co.companyId, url, clear],
      );
      const got = await deliverOne(co, key, hook);
      expect(verifySignature(clear, got.body, String(got.headers['handoff-signature']))).toBe(true);
      const stored = await waitFor(
        async () => {
          const s = await storedSecret(co);
          return s.startsWith('enc:') && s;
        },
        'the secret encrypted',
        5_000,
      );
      expect(stored).not.toContain('still-in-clear');
    } finally {
      await hook.stop();
    }
  });

  // Last: afterwards the test app's own key no longer opens the secrets.
  it('secrets:reencrypt seals every secret with the new key, so the old one can go', async () => {
    const a = await registerCompany(t, 'Rotating');
    const { body } = await t.http
      .put('/v1/companies/me/webhook')
      .set(a.auth)
      .send({ url: 'https://hooks.example.test/a' })
      .expect(200);
    const lost = await registerCompany(t, 'Sealed with a lost key');
    await t.db.query(
      `INSERT INTO webhook_endpoints (company_id, url, secret) VALUES ($1, $2, $3)`,
      [
        lost.companyId,
        'https://hooks.example.test/lost',
        new SecretBox(generateSecretKey()).seal(
          'whsec_gone',
          `webhook_endpoints.secret:${lost.companyId}`,
        ),
      ],
    );
    const newKey = generateSecretKey();
    const newKeyId = new SecretBox(newKey).currentKeyId;

    // Deployed with the new key, the old one kept as previous: the command's use case.
    const rotating = await otherProcess(t.env, {
      SECRETS_ENCRYPTION_KEY: newKey,
      SECRETS_ENCRYPTION_KEY_PREVIOUS: TEST_SECRETS_KEY,
    });
    const result = await rotating.get(WebhookSecrets).reencryptAll();
    await rotating.close();
    expect(result.failed).toEqual([lost.companyId]);
    expect(result.reencrypted).toBeGreaterThanOrEqual(4); // every company of this file
    const rows: { company_id: string; secret: string }[] = await t.db.query(
      'SELECT company_id, secret FROM webhook_endpoints WHERE company_id <> $1',
      [lost.companyId],
    );
    for (const r of rows) expect(r.secret.startsWith(`enc:v1:${newKeyId}:`)).toBe(true);

    // The old key dropped: everything still opens, to what the companies were given.
    const after = await otherProcess(t.env, { SECRETS_ENCRYPTION_KEY: newKey });
    try {
      const secrets = after.get(WebhookSecrets);
      const stored = await storedSecret(a);
      expect(secrets.reveal(a.companyId!, stored)).toBe(body.secret);
      for (const r of rows) expect(() => secrets.reveal(r.company_id, r.secret)).not.toThrow();
      expect(await secrets.reencryptAll()).toEqual({ reencrypted: 0, failed: [lost.companyId] });
    } finally {
      await after.close();
    }
  });
});
