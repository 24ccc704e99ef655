import type { FakeStripeBilling } from './fake-stripe-billing';
import type { FakeStripeCall } from './fake-stripe-calls';
import type { FakeStripeConnect } from './fake-stripe-connect';
import { DECLINE_CODES, type DeclineCode } from './fake-stripe-invoice-collection';
import type { FakeStripeInvoicing } from './fake-stripe-invoicing';
import type { FakeStripeRefunds } from './fake-stripe-refunds';

/* The fake's own controls under /_fake/, which Stripe's API has no path for: what happens in
 * Stripe's dashboard, at a card's bank or with an account's owner. Tests, the demo and the
 * console's local mode call them; they are not recorded in `requests`. */

export class FakeStripeDashboard {
  constructor(
    private readonly parts: {
      connect: FakeStripeConnect;
      billing: FakeStripeBilling;
      invoicing: FakeStripeInvoicing;
      refunds: FakeStripeRefunds;
    },
  ) {}

  /** Answers a control (always a POST under /_fake/); false when the call is not one. */
  async serve({ method, url, path, res }: FakeStripeCall): Promise<boolean> {
    if (method !== 'POST' || !path.startsWith('/_fake/')) return false;
    const { connect, billing, invoicing, refunds } = this.parts;
    // The account's owner disconnects it from the platform (`deauthorize`).
    const leaving = /^\/_fake\/accounts\/([^/]+)\/deauthorize$/.exec(path);
    if (leaving) {
      const known = connect.accounts.has(leaving[1]);
      if (known) await connect.deauthorize(leaving[1]).catch(() => undefined);
      res.writeHead(known ? 204 : 404).end();
      return true;
    }
    // Stripe's dashboard, where the platform (or Stripe) restricts a connected account: its
    // transfers capability goes inactive (or back to active) with no event sent, as when the
    // account.updated webhook is late; `?notify=1` sends it (to the Connect endpoint, when one is
    // set). Tests of a refused transfer use it; Stripe has no such API.
    const restrict = /^\/_fake\/accounts\/([^/]+)\/transfers\/(active|inactive)$/.exec(path);
    if (restrict) {
      const known = await connect.restrictTransfers(
        restrict[1],
        restrict[2] as 'active' | 'inactive',
        url.searchParams.get('notify') === '1',
      );
      res.writeHead(known ? 204 : 404).end();
      return true;
    }
    // Stripe's test cards that decline, on a saved card: `none` makes it pay again.
    const decline = /^\/_fake\/payment_methods\/([^/]+)\/decline\/([a-z_]+)$/.exec(path);
    if (decline) {
      const known = billing.paymentMethods.has(decline[1]);
      const code = decline[2];
      if (known && code === 'none') invoicing.declines.delete(decline[1]);
      else if (known && (DECLINE_CODES as readonly string[]).includes(code))
        invoicing.declines.set(decline[1], code as DeclineCode);
      res.writeHead(known ? 204 : 404).end();
      return true;
    }
    // Finance refunds the charge that paid an invoice in Stripe's dashboard (`?amount=` minor
    // units; all that is left by default).
    const refund = /^\/_fake\/invoices\/([^/]+)\/refund$/.exec(path);
    if (refund) {
      const amount = url.searchParams.get('amount');
      const [status, body] = refunds.refundInvoice(refund[1], amount ? Number(amount) : undefined);
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      return true;
    }
    // The bank's side of a dispute: a charge (or the charge that paid an invoice) disputed,
    // then the dispute won or lost.
    const disputed = /^\/_fake\/(charges|invoices)\/([^/]+)\/dispute$/.exec(path);
    const closed = /^\/_fake\/disputes\/([^/]+)\/(won|lost)$/.exec(path);
    if (disputed || closed) {
      const dispute = disputed
        ? disputed[1] === 'charges'
          ? invoicing.dispute(disputed[2])
          : invoicing.disputeInvoice(disputed[2])
        : invoicing.closeDispute(closed![1], closed![2] as 'won' | 'lost');
      res
        .writeHead(dispute ? 200 : 404, { 'Content-Type': 'application/json' })
        .end(JSON.stringify(dispute ?? { error: { message: 'No such charge or open dispute' } }));
      return true;
    }
    return false;
  }
}
