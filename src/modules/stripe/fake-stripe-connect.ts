import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type Answer, notFound, type StripeObject } from './fake-stripe-billing';
import type { FakeStripeEvents } from './fake-stripe-events';

/* Connect in the fake Stripe: express accounts, their onboarding links and the hosted page that
 * completes them, the platform rejecting an account, an account restricted or leaving the
 * platform, and the events Stripe sends the Connect endpoint about them. FakeStripe routes
 * these paths here. */

const id = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;

export class FakeStripeConnect {
  /** Each onboarding link's return_url (by the link's last path segment), for the redirect. */
  readonly linkReturns = new Map<string, string>();

  constructor(
    /** FakeStripe.accounts and FakeStripe.deauthorized. */
    readonly accounts: Map<string, StripeObject>,
    private readonly deauthorized: Set<string>,
    private readonly base: () => string,
    private readonly events: FakeStripeEvents,
  ) {}

  /** Answers a Connect path, or a call about an account that left; null otherwise. */
  route(method: string, path: string, p: Record<string, unknown>): Answer | null {
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/accounts') {
      const account: StripeObject = {
        id: id('acct'),
        object: 'account',
        type: p.type ?? 'express',
        email: p.email ?? null,
        metadata: p.metadata ?? {},
        charges_enabled: false,
        payouts_enabled: false,
        details_submitted: false,
        capabilities: { transfers: 'inactive' },
        requirements: {
          currently_due: ['external_account', 'individual.dob.day', 'tos_acceptance.date'],
          disabled_reason: 'requirements.past_due',
        },
        created: Math.floor(Date.now() / 1000),
      };
      this.accounts.set(account.id, account);
      return [200, account];
    }
    // Calls about an account that left: the account itself, links to it, transfers to it (the
    // platform's own lists, of transfers say, still answer).
    const gone =
      /^\/v1\/accounts\/([^/]+)/.exec(path)?.[1] ??
      (method === 'POST' && path === '/v1/account_links' ? String(p.account) : undefined) ??
      (method === 'POST' && path === '/v1/transfers' ? String(p.destination) : undefined);
    if (gone !== undefined && this.deauthorized.has(gone)) {
      return [
        403,
        {
          error: {
            type: 'invalid_request_error',
            code: 'account_invalid',
            message: `The provided key does not have access to account '${gone}' (or that account does not exist). Application access may have been revoked.`,
          },
        },
      ];
    }
    if (method === 'GET' && (m = /^\/v1\/accounts\/([^/]+)$/.exec(path))) {
      const account = this.accounts.get(m[1]);
      return account ? [200, account] : notFound('account');
    }
    // The platform rejects an account (and may undo its own rejection): payouts off for good.
    if (method === 'POST' && (m = /^\/v1\/accounts\/([^/]+)\/(reject|unreject)$/.exec(path))) {
      const account = this.accounts.get(m[1]);
      if (!account) return notFound('account');
      const rejected = m[2] === 'reject';
      Object.assign(account, {
        payouts_enabled: !rejected,
        charges_enabled: !rejected,
        capabilities: { transfers: rejected ? 'inactive' : 'active' },
        requirements: {
          ...(account.requirements as object),
          disabled_reason: rejected ? `rejected.platform_${String(p.reason)}` : null,
        },
      });
      // Stripe tells the Connect endpoint of every change to an account.
      void this.events.toConnect('account.updated', account, m[1])?.catch(() => undefined);
      return [200, account];
    }
    if (method === 'POST' && path === '/v1/account_links') {
      if (!this.accounts.has(String(p.account))) return notFound('account');
      const token = randomBytes(8).toString('hex');
      if (p.return_url) this.linkReturns.set(token, String(p.return_url));
      return [
        200,
        {
          object: 'account_link',
          // Stripe's hosted onboarding; here a page that completes it on a visit.
          url: `${this.base()}/express/onboarding/${p.account}/${token}`,
          created: Math.floor(Date.now() / 1000),
          expires_at: Math.floor(Date.now() / 1000) + 300,
        },
      ];
    }
    return null;
  }

  /** Changes what Stripe knows about an account (as the onboarding flow would). */
  updateAccount(accountId: string, changes: Record<string, unknown>): StripeObject {
    const account = this.accounts.get(accountId);
    if (!account) throw new Error(`no fake account ${accountId}`);
    Object.assign(account, changes);
    return account;
  }

  /**
   * The account leaves the platform (its owner disconnects it): every call about it answers 403
   * account_invalid from then on, and `account.application.deauthorized` goes to the Connect
   * endpoint when one is set.
   */
  async deauthorize(accountId: string): Promise<void> {
    this.deauthorized.add(accountId);
    await this.events.toConnect(
      'account.application.deauthorized',
      { id: id('ca'), object: 'application', name: 'Handoff' },
      accountId,
    );
  }

  /**
   * The account's transfers capability goes inactive (or back to active) with no event sent, as
   * when the account.updated webhook is late; `notify` sends it (to the Connect endpoint, when
   * one is set). False when there is no such account.
   */
  async restrictTransfers(
    accountId: string,
    transfers: 'active' | 'inactive',
    notify: boolean,
  ): Promise<boolean> {
    const account = this.accounts.get(accountId);
    if (!account) return false;
    account.capabilities = { transfers };
    if (notify) {
      await this.events.toConnect('account.updated', account, accountId)?.catch(() => undefined);
    }
    return true;
  }

  /**
   * The hosted onboarding page: visiting it stands for the agent filling in Stripe's forms. The
   * account becomes fully enabled and, when a Connect endpoint is set, `account.updated` is sent
   * to it as Stripe would; then, as Stripe does, the browser goes back to the link's return_url.
   */
  async completeOnboarding(accountId: string, token: string, res: ServerResponse): Promise<void> {
    const returnUrl = this.linkReturns.get(token);
    const account = this.accounts.get(accountId);
    if (!account) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('No such account');
      return;
    }
    this.updateAccount(accountId, {
      details_submitted: true,
      payouts_enabled: true,
      charges_enabled: true,
      capabilities: { transfers: 'active' },
      requirements: { currently_due: [], disabled_reason: null },
    });
    const sent = this.events.toConnect('account.updated', account, accountId);
    const delivered = sent ? await sent.catch(() => 0) : null;
    res
      .writeHead(returnUrl ? 302 : 200, {
        'Content-Type': 'text/plain',
        ...(returnUrl && { Location: returnUrl }),
      })
      .end(
        `Fake Stripe: onboarding of ${accountId} complete` +
          (delivered === null ? '.\n' : ` (account.updated answered ${delivered}).\n`),
      );
  }
}
