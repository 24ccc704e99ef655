import { Inject, Logger, Module, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { Env } from '../../config/env.validation';
import { DataSource } from 'typeorm';
import { JobsModule } from '../jobs/jobs.module';
import { FakeStripeStateRepository } from './fake-stripe-state.repository';
import { FakeStripe } from './fake-stripe.server';
import { PacedHttpClient } from './paced-http-client';
import { StripePacer } from './stripe-pacer.service';

export const STRIPE = Symbol('STRIPE');
export const STRIPE_SETTINGS = Symbol('STRIPE_SETTINGS');

export interface StripeSettings {
  /** Which Stripe moves the money: `fake` moves none (no STRIPE_SECRET_KEY outside production). */
  mode: 'live' | 'test' | 'fake';
  webhookSecret: string;
  connectWebhookSecret: string;
  /** The in-process fake, when no real key is configured (never in production). */
  fake: FakeStripe | null;
}

interface StripeSetup {
  client: Stripe;
  settings: StripeSettings;
}

const SETUP = Symbol('STRIPE_SETUP');

/**
 * The one Stripe SDK client. Retries are ours (BullMQ with backoff, idempotency keys from our
 * rows), so the SDK's own are off; every request waits for its turn (PacedHttpClient). Without
 * STRIPE_SECRET_KEY outside production, a fake Stripe runs in-process so onboarding and
 * payouts work end to end on a laptop.
 */
/**
 * Starts the fake with the state this database kept (on the port it had, when free, so links
 * it handed out still work) and saves its state after changes, at most once a second.
 */
async function startPersisted(fake: FakeStripe, db: DataSource): Promise<number> {
  const states = new FakeStripeStateRepository();
  const log = new Logger('Stripe');
  const saved = await states.load(db.manager);
  if (saved) fake.importState(saved);
  let port: number;
  try {
    port = await fake.start(fake.port);
  } catch {
    port = await fake.start(0);
  }
  let timer: NodeJS.Timeout | null = null;
  let saving: Promise<void> = Promise.resolve();
  const save = () =>
    (saving = saving
      .then(() => states.save(db.manager, JSON.stringify(fake.exportState())))
      .catch((e: unknown) => log.warn({ err: e }, 'fake Stripe state not saved')));
  fake.onChange = () => {
    timer ??= setTimeout(() => {
      timer = null;
      void save();
    }, 1000);
  };
  fake.flush = async () => {
    if (timer) clearTimeout(timer);
    timer = null;
    await save();
  };
  return port;
}

/**
 * Points the in-process fake's webhooks at this API's port: the configured one at start-up, the
 * one bound once listening when PORT=0 let the OS choose (main.ts).
 */
export function fakeWebhooksTo(fake: FakeStripe, port: number): void {
  const api = `http://127.0.0.1:${port}/v1/stripe`;
  if (fake.connectWebhook) fake.connectWebhook.url = `${api}/connect-webhooks`;
  if (fake.platformWebhook) fake.platformWebhook.url = `${api}/webhooks`;
}

async function setUp(
  config: ConfigService<Env, true>,
  db: DataSource,
  pacer: StripePacer,
): Promise<StripeSetup> {
  const key = config.get('STRIPE_SECRET_KEY', { infer: true });
  const base = config.get('STRIPE_API_BASE', { infer: true });
  const timeout = config.get('STRIPE_TIMEOUT_MS', { infer: true });
  const httpClient = new PacedHttpClient(Stripe.createNodeHttpClient(), pacer);
  const options = (url: string | undefined): Stripe.StripeConfig => {
    if (!url) return { maxNetworkRetries: 0, timeout, httpClient };
    const u = new URL(url);
    return {
      host: u.hostname,
      port: Number(u.port) || (u.protocol === 'https:' ? 443 : 80),
      protocol: u.protocol.replace(':', '') as 'http' | 'https',
      maxNetworkRetries: 0,
      timeout,
      httpClient,
    };
  };
  if (key) {
    return {
      client: new Stripe(key, options(base)),
      settings: {
        mode: /^(sk|rk)_live_/.test(key) ? 'live' : 'test',
        webhookSecret: config.get('STRIPE_WEBHOOK_SECRET', { infer: true })!,
        connectWebhookSecret: config.get('STRIPE_CONNECT_WEBHOOK_SECRET', { infer: true })!,
        fake: null,
      },
    };
  }
  const fake = new FakeStripe();
  fake.startingBalanceMinor = config.get('FAKE_STRIPE_BALANCE_MINOR', { infer: true });
  const port = await startPersisted(fake, db);
  new Logger('Stripe').warn(
    `STRIPE_SECRET_KEY is not set: using an in-process FAKE Stripe on 127.0.0.1:${port}. ` +
      'No real money moves. Set STRIPE_SECRET_KEY (and the webhook secrets) to use Stripe.',
  );
  const connectWebhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
  const webhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
  // The fake's hosted pages (onboarding, Checkout) report back to this API, as Stripe would.
  fake.connectWebhook = { url: '', secret: connectWebhookSecret };
  fake.platformWebhook = { url: '', secret: webhookSecret };
  fakeWebhooksTo(fake, config.get('PORT', { infer: true }));
  return {
    client: new Stripe('sk_test_fake', options(`http://127.0.0.1:${port}`)),
    settings: {
      mode: 'fake',
      webhookSecret,
      connectWebhookSecret,
      fake,
    },
  };
}

@Module({
  // The pacer's Redis is the payouts queue's (jobs).
  imports: [JobsModule],
  providers: [
    StripePacer,
    { provide: SETUP, inject: [ConfigService, DataSource, StripePacer], useFactory: setUp },
    { provide: STRIPE, inject: [SETUP], useFactory: (s: StripeSetup) => s.client },
    { provide: STRIPE_SETTINGS, inject: [SETUP], useFactory: (s: StripeSetup) => s.settings },
  ],
  exports: [STRIPE, STRIPE_SETTINGS, StripePacer],
})
export class StripeModule implements OnModuleDestroy {
  constructor(@Inject(STRIPE_SETTINGS) private readonly settings: StripeSettings) {}

  async onModuleDestroy(): Promise<void> {
    await this.settings.fake?.flush?.();
    await this.settings.fake?.stop();
  }
}
