import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { type Answer, listPage, type StripeObject } from './fake-stripe-billing';
import { withoutPaidOffStripe } from './fake-stripe-invoice-answers';

/* Events as Stripe sends them: signed with the endpoint's secret, to the webhook a test names,
 * to the Connect endpoint (about a connected account) or to the platform's (billing). */

export interface WebhookTarget {
  url: string;
  secret: string;
}

/** Where events go: FakeStripe's public fields, read again on every event. */
export interface WebhookTargets {
  readonly webhook: WebhookTarget | null;
  readonly connectWebhook: WebhookTarget | null;
  readonly platformWebhook: WebhookTarget | null;
}

export interface EmitOptions {
  account?: string;
  created?: number;
  timestamp?: number;
  eventId?: string;
  target?: WebhookTarget;
}

export type BillingEvent = { id: string; type: string; created: number; object: StripeObject };

const API_VERSION = '2026-10-28.endive';

const id = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;

export class FakeStripeEvents {
  constructor(
    private readonly targets: WebhookTargets,
    /** FakeStripe.billingEvents: each billing event sent, oldest first. */
    private readonly billingEvents: BillingEvent[],
  ) {}

  /** Sends a signed event to the webhook URL; returns the HTTP status of the receiver. */
  async emit(
    type: string,
    object: Record<string, unknown>,
    options: EmitOptions = {},
  ): Promise<{ status: number; event: Record<string, unknown> }> {
    const target = options.target ?? this.targets.webhook;
    if (!target) throw new Error('FakeStripe has no webhook target');
    const event = {
      id: options.eventId ?? id('evt'),
      object: 'event',
      type,
      created: options.created ?? Math.floor(Date.now() / 1000),
      account: options.account,
      data: { object },
      livemode: false,
      api_version: API_VERSION,
    };
    const payload = JSON.stringify(event);
    const header = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: target.secret,
      timestamp: options.timestamp,
    });
    const res = await fetch(target.url, {
      method: 'POST',
      body: payload,
      headers: { 'Content-Type': 'application/json', 'Stripe-Signature': header },
    });
    return { status: res.status, event };
  }

  /**
   * An event about a connected account, to the Connect endpoint: the receiver's status, or null
   * when no Connect endpoint is set (nothing is sent).
   */
  toConnect(
    type: string,
    object: Record<string, unknown>,
    account: string,
  ): Promise<number> | null {
    const target = this.targets.connectWebhook;
    return target ? this.emit(type, object, { account, target }).then((r) => r.status) : null;
  }

  /** An event to the platform's endpoint: its status, or null when none is set (none sent). */
  toPlatform(type: string, object: Record<string, unknown>): Promise<number> | null {
    const target = this.targets.platformWebhook;
    return target ? this.emit(type, object, { target }).then((r) => r.status) : null;
  }

  /**
   * GET /v1/events: the billing events recorded (the only platform events the fake keeps),
   * newest first, from `created[gte]` on, paged as Stripe pages.
   */
  route(method: string, path: string, p: Record<string, unknown>): Answer | null {
    if (method !== 'GET' || path !== '/v1/events') return null;
    const since = Number(
      p['created[gte]'] ?? (p.created as { gte?: string } | undefined)?.gte ?? 0,
    );
    const all = this.billingEvents
      .filter((e) => e.created >= since)
      .map((e) => ({
        id: e.id,
        object: 'event',
        type: e.type,
        created: e.created,
        data: { object: e.object },
        livemode: false,
        api_version: API_VERSION,
      }))
      .reverse();
    return listPage(all, p, '/v1/events');
  }

  /** Records a billing event and sends it to the platform's endpoint after the answer. */
  billing(type: string, object: StripeObject): void {
    const event = {
      id: id('evt'),
      type,
      created: Math.floor(Date.now() / 1000),
      // As it was at the event, not as it is when the test reads it; and as Stripe sends it,
      // without what only an expanded request gets.
      object: withoutPaidOffStripe(JSON.parse(JSON.stringify(object)) as StripeObject),
    };
    this.billingEvents.push(event);
    const target = this.targets.platformWebhook;
    if (target) {
      setImmediate(() => {
        this.emit(type, event.object, {
          target,
          eventId: event.id,
          created: event.created,
        }).catch(() => undefined);
      });
    }
  }
}
