import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { accountUnreadable } from '../stripe/stripe-errors';
import { STRIPE } from '../stripe/stripe.module';
import { StripePacer } from '../stripe/stripe-pacer.service';
import { PayoutAccountsRepository } from './payout-accounts.repository';
import { toStripeAccountState } from './payout.mapper';

/** Accounts read per page by a sync (each read is one Stripe call, made in turn). */
const PAGE = 100;
/**
 * A sync stops after this many accounts in a row that Stripe kept refusing: Stripe is down or
 * unreachable, and each further account would cost its retries (and, without an answer, its
 * timeouts) for nothing.
 */
const FAILED_IN_A_ROW_STOPS = 3;

/** Stripe refused for now (its rate limit, an outage), or did not answer: worth another try. */
const passing = (e: unknown): boolean =>
  e instanceof Stripe.errors.StripeRateLimitError ||
  e instanceof Stripe.errors.StripeConnectionError ||
  (e instanceof Stripe.errors.StripeError && (e.statusCode ?? 0) >= 500);

export interface PayoutAccountSync {
  refreshed: number;
  /** Accounts Stripe will not show us (left as stored). */
  unreadable: string[];
  /** Accounts not read: Stripe kept refusing for now (left as stored; run the sync again). */
  failed: string[];
  /** Stopped after FAILED_IN_A_ROW_STOPS of them in a row, the rest not read. */
  stopped: boolean;
}

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
    private readonly pacer: StripePacer,
  ) {}

  /** A sync's waits before reading an account again after a 429, a 5xx or no answer. */
  readonly retryWaitsMs: readonly number[] = [500, 1_000, 2_000];

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
   * `refresh` in a transaction of its own, read now (on request), its Stripe call's turn taken
   * before the account's row is locked (StripePacer.prepaid).
   */
  refreshNow(accountId: string): Promise<boolean> {
    return this.pacer.prepaid(() => this.db.transaction((em) => this.refresh(em, accountId, null)));
  }

  /**
   * Refreshes every account still on our platform (a rejected one too: Stripe can lift a
   * rejection), one at a time, each in its own transaction. The reads take their turns with
   * the payout workers' Stripe calls (PacedHttpClient), so a sync of thousands of accounts during a
   * run neither trips Stripe's rate limit nor slows the run past it; an account Stripe keeps
   * refusing for now is left as stored and named (`failed`), and the sync goes on (one 429
   * used to end it there, the rest unread), unless Stripe kept refusing several in a row.
   */
  async syncAll(): Promise<PayoutAccountSync> {
    const result: PayoutAccountSync = { refreshed: 0, unreadable: [], failed: [], stopped: false };
    let after = '';
    let failedInARow = 0;
    pages: for (;;) {
      const ids = await this.accounts.linkedStripeIds(this.db.manager, after, PAGE);
      for (const id of ids) {
        const read = await this.refreshOnRequest(id);
        if (read === 'read') result.refreshed += 1;
        else result[read].push(id);
        failedInARow = read === 'failed' ? failedInARow + 1 : 0;
        if (failedInARow === FAILED_IN_A_ROW_STOPS) {
          result.stopped = true;
          break pages;
        }
      }
      if (ids.length < PAGE) break;
      after = ids[ids.length - 1];
    }
    if (result.unreadable.length > 0) {
      this.logger.warn(
        { unreadable: result.unreadable },
        'payout accounts Stripe will not show; left as stored',
      );
    }
    if (result.failed.length > 0) {
      this.logger.warn(
        { failed: result.failed },
        'payout accounts not read (Stripe kept refusing); left as stored',
      );
    }
    return result;
  }

  private async refreshOnRequest(id: string): Promise<'read' | 'unreadable' | 'failed'> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.refreshNow(id)) ? 'read' : 'unreadable';
      } catch (e) {
        if (!passing(e)) throw e;
        if (attempt === this.retryWaitsMs.length) return 'failed';
        await new Promise((r) => setTimeout(r, this.retryWaitsMs[attempt]));
      }
    }
  }
}
