import type { ServerResponse } from 'node:http';
import type { FakeStripeBilling } from './fake-stripe-billing';
import type { FakeStripeCall } from './fake-stripe-calls';
import type { FakeStripeConnect } from './fake-stripe-connect';
import type { FakeStripeEvents } from './fake-stripe-events';
import { DECLINE_CODES, type DeclineCode } from './fake-stripe-invoice-collection';
import type { FakeStripeInvoicing } from './fake-stripe-invoicing';

/* The pages Stripe hosts for a browser, as the fake serves them: an invoice's page, Checkout in
 * setup mode and Connect onboarding. Visiting one stands for what the person does there; they
 * are not recorded in `requests`. */

export class FakeStripeHostedPages {
  constructor(
    private readonly parts: {
      connect: FakeStripeConnect;
      billing: FakeStripeBilling;
      invoicing: FakeStripeInvoicing;
      events: FakeStripeEvents;
    },
  ) {}

  /** Serves a hosted page (a GET); false when the call is not for one. */
  async serve({ method, url, path, res }: FakeStripeCall): Promise<boolean> {
    if (method !== 'GET') return false;
    const hosted = /^\/invoices\/([^/]+)$/.exec(path);
    if (hosted) {
      const invoice = this.parts.invoicing.invoices.get(hosted[1]);
      res
        .writeHead(invoice ? 200 : 404, { 'Content-Type': 'text/plain' })
        .end(
          invoice
            ? `Fake Stripe invoice ${String(invoice.number)}: ${invoice.total} ${invoice.currency}, ${invoice.status}.\n`
            : 'No such invoice\n',
        );
      return true;
    }
    const checkout = /^\/checkout\/setup\/([^/]+)$/.exec(path);
    if (checkout) {
      // `?decline=card_declined` (or insufficient_funds): the card saved is one that declines,
      // as Stripe's test cards 4000 0000 0000 0002 and 9995 do.
      // `?card=mastercard-4444`: the brand and last digits of the card the customer enters.
      const decline = url.searchParams.get('decline');
      const card = /^([a-z]+)-(\d{4})$/.exec(url.searchParams.get('card') ?? '');
      await this.completeCheckout(
        checkout[1],
        res,
        (DECLINE_CODES as readonly string[]).includes(decline ?? '')
          ? (decline as DeclineCode)
          : null,
        card ? { brand: card[1], last4: card[2] } : undefined,
      );
      return true;
    }
    if (path.startsWith('/express/onboarding/')) {
      const [, , , accountId, token] = path.split('/');
      await this.parts.connect.completeOnboarding(accountId, token, res);
      return true;
    }
    return false;
  }

  /**
   * The hosted Checkout page (setup mode): the card is saved, `checkout.session.completed` goes
   * to the platform's endpoint as Stripe sends it, and the browser goes on to the success URL.
   */
  private async completeCheckout(
    sessionId: string,
    res: ServerResponse,
    decline: DeclineCode | null,
    card?: { brand: string; last4: string },
  ): Promise<void> {
    const { billing, invoicing, events } = this.parts;
    const session = billing.completeSetup(sessionId, card);
    if (!session) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('No open Checkout session');
      return;
    }
    if (decline) {
      const intent = billing.setupIntents.get(String(session.setup_intent))!;
      invoicing.declines.set(String(intent.payment_method), decline);
    }
    const sent = events.toPlatform('checkout.session.completed', session);
    const delivered = sent ? await sent.catch(() => 0) : null;
    res
      .writeHead(302, { 'Content-Type': 'text/plain', Location: String(session.success_url) })
      .end(
        `Fake Stripe: card saved for ${String(session.customer)}` +
          (delivered === null ? '.\n' : ` (checkout.session.completed answered ${delivered}).\n`),
      );
  }
}
