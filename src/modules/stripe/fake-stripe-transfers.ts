import { randomBytes } from 'node:crypto';
import { type Answer, listPage, notFound, type StripeObject } from './fake-stripe-billing';

/* The money-out half of the fake Stripe: transfers to connected accounts, their reversals, and
 * the platform's balance they draw on (which paid invoices, refunds and disputes move too).
 * FakeStripe routes these paths here. */

const id = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;

/**
 * Currencies the fake platform balance lists before money moved in them (at its starting
 * balance): what a platform settling in many currencies would hold.
 */
const FUNDED_CURRENCIES = [
  'aud',
  'bgn',
  'brl',
  'cad',
  'chf',
  'czk',
  'dkk',
  'eur',
  'gbp',
  'hkd',
  'huf',
  'inr',
  'jpy',
  'mxn',
  'nok',
  'nzd',
  'pln',
  'ron',
  'sek',
  'sgd',
  'thb',
  'usd',
];

const refused = (code: string, message: string): Answer => [
  400,
  { error: { type: 'invalid_request_error', code, message } },
];

export class FakeStripeTransfers {
  /** The platform's available balance per currency (lower case), once it has moved. */
  readonly availableBalance = new Map<string, number>();

  constructor(
    /** FakeStripe.transfers, and the accounts they go to. */
    private readonly transfers: Map<string, StripeObject>,
    private readonly accounts: Map<string, StripeObject>,
    /** FakeStripe.startingBalanceMinor, read when a currency's balance has not moved yet. */
    private readonly startingBalanceMinor: () => number,
  ) {}

  /** The platform's available balance in a currency (minor units). */
  balanceOf(currency: string): number {
    return this.availableBalance.get(currency.toLowerCase()) ?? this.startingBalanceMinor();
  }

  /** Money in (positive) or out of (negative) the platform's balance. */
  credit(currency: string, amount: number): void {
    this.availableBalance.set(currency.toLowerCase(), this.balanceOf(currency) + amount);
  }

  /** Answers a transfers or balance path, or null when the path is not one. */
  route(method: string, path: string, p: Record<string, unknown>): Answer | null {
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/transfers') return this.create(p);
    if (method === 'GET' && (m = /^\/v1\/transfers\/([^/]+)$/.exec(path))) {
      const transfer = this.transfers.get(m[1]);
      return transfer ? [200, transfer] : notFound('transfer');
    }
    if (method === 'GET' && path === '/v1/transfers') {
      const all = [...this.transfers.values()]
        .filter(
          (t) =>
            (!p.destination || t.destination === p.destination) &&
            (!p.transfer_group || t.transfer_group === p.transfer_group),
        )
        .reverse();
      return listPage(all, p, '/v1/transfers');
    }
    if (method === 'POST' && (m = /^\/v1\/transfers\/([^/]+)\/reversals$/.exec(path))) {
      return this.reverse(m[1], p);
    }
    if (method === 'GET' && path === '/v1/balance') {
      return [
        200,
        {
          object: 'balance',
          // Every currency money moved in, and the usual ones at their starting balance.
          available: [...new Set([...FUNDED_CURRENCIES, ...this.availableBalance.keys()])].map(
            (currency) => ({ currency, amount: this.balanceOf(currency) }),
          ),
          pending: [],
        },
      ];
    }
    return null;
  }

  private create(p: Record<string, unknown>): Answer {
    const destination = this.accounts.get(String(p.destination));
    if (!destination) return notFound('destination account');
    if ((destination.capabilities as { transfers: string }).transfers !== 'active') {
      return refused(
        'insufficient_capabilities_for_transfer',
        'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
      );
    }
    const amount = Number(p.amount);
    if (amount > this.balanceOf(String(p.currency))) {
      return refused(
        'balance_insufficient',
        'You have insufficient available funds in your Stripe account. Try adding funds directly to your available balance by creating Top-ups.',
      );
    }
    const transfer: StripeObject = {
      id: id('tr'),
      object: 'transfer',
      amount,
      amount_reversed: 0,
      currency: String(p.currency),
      destination: destination.id,
      metadata: p.metadata ?? {},
      transfer_group: p.transfer_group ?? null,
      reversed: false,
      reversals: { object: 'list', data: [] },
      created: Math.floor(Date.now() / 1000),
    };
    this.transfers.set(transfer.id, transfer);
    this.credit(String(p.currency), -amount);
    return [200, transfer];
  }

  private reverse(transferId: string, p: Record<string, unknown>): Answer {
    const transfer = this.transfers.get(transferId);
    if (!transfer) return notFound('transfer');
    const left = Number(transfer.amount) - Number(transfer.amount_reversed);
    const amount = p.amount === undefined ? left : Number(p.amount);
    const reversal = {
      id: id('trr'),
      object: 'transfer_reversal',
      amount,
      currency: transfer.currency,
      transfer: transfer.id,
      created: Math.floor(Date.now() / 1000),
    };
    transfer.amount_reversed = Number(transfer.amount_reversed) + amount;
    // The reversed money comes back to the platform's balance.
    this.credit(String(transfer.currency), amount);
    transfer.reversed = transfer.amount_reversed === transfer.amount;
    (transfer.reversals as { data: unknown[] }).data.push(reversal);
    return [200, reversal];
  }
}
