import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { accountUnreadable } from '../stripe/stripe-errors';
import { STRIPE } from '../stripe/stripe.module';
import { PayoutAccountsRepository } from './payout-accounts.repository';
import { toStripeAccountState } from './payout.mapper';

/** Accounts read per page by a sync (each read is one Stripe call, made in turn). */
const PAGE = 100;

/**
 * Brings an agent's payout account to its state at Stripe: on `account.updated`, and for every
 * account still on the platform on request (`npm run cli -- payouts:sync-accounts`: after a release that reads
 * more of the account, such as the transfers capability, or after events were lost).
 */
@Injectable()
export class PayoutAccountRefresh {
  private readonly logger = new Logger(PayoutAccountRefresh.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(STRIPE) private readonly stripe: Stripe,
    private readonly accounts: PayoutAccountsRepository,
  ) {}

  /**
   * Reads the account as Stripe has it now, under the account's row lock (of two refreshes the
   * one that writes last also read last), and stores it as of `asOf` (an event's `created`, in
   * Unix seconds), unless a newer event's state is stored; `null` for a read on request. False when Stripe will not show it: it left the platform (its own
   * event closes it) or our key cannot see it, which is no reason to close it either.
   */
  async refresh(em: EntityManager, accountId: string, asOf: number | null): Promise<boolean> {
    await this.accounts.lockByStripeId(em, accountId);
    const a = await this.stripe.accounts.retrieve(accountId).catch((e: unknown) => {
      if (accountUnreadable(e)) return null;
      throw e;
    });
    if (!a) return false;
    await this.accounts.applyStripeState(em, a.id, toStripeAccountState(a), asOf);
    return true;
  }

  /**
   * Refreshes every account still on our platform (a rejected one too: Stripe can lift a
   * rejection), one at a time, each in its own transaction.
   */
  async syncAll(): Promise<{ refreshed: number; unreadable: string[] }> {
    const unreadable: string[] = [];
    let refreshed = 0;
    let after = '';
    for (;;) {
      const ids = await this.accounts.linkedStripeIds(this.db.manager, after, PAGE);
      for (const id of ids) {
        const read = await this.db.transaction((em) => this.refresh(em, id, null));
        if (read) refreshed += 1;
        else unreadable.push(id);
      }
      if (ids.length < PAGE) break;
      after = ids[ids.length - 1];
    }
    if (unreadable.length > 0) {
      this.logger.warn({ unreadable }, 'payout accounts Stripe will not show; left as stored');
    }
    return { refreshed, unreadable };
  }
}
