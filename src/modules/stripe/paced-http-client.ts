import { Logger } from '@nestjs/common';
import Stripe from 'stripe';
import type { StripePacer } from './stripe-pacer.service';

type MakeRequest = Stripe.HttpClient['makeRequest'];

/**
 * The SDK's HTTP client with every request made in its turn (StripePacer): payouts, billing's
 * invoices at a period's close, onboarding and card setup in API requests, the reconciliation's
 * pages and the command line's reads all share one rate at Stripe across every process. Each
 * used to be paced at its own call site, and the ones that were not (billing, onboarding) spent
 * the payout workers' budget unseen: a period's close ran four invoice jobs of unpaced calls
 * beside a run, and both met Stripe's 429s.
 *
 * Best effort: when the pacer's Redis is down or does not answer within a moment
 * (StripePacer.slot), the request goes ahead unpaced (a 429 is retried like any other),
 * logged at most every 10 s.
 */
export class PacedHttpClient extends Stripe.HttpClient {
  private readonly log = new Logger('Stripe');
  private lastUnpacedLog = 0;

  constructor(
    private readonly inner: Stripe.HttpClient,
    private readonly pacer: Pick<StripePacer, 'turn'>,
  ) {
    super();
  }

  override getClientName(): string {
    return this.inner.getClientName();
  }

  override async makeRequest(...args: Parameters<MakeRequest>): ReturnType<MakeRequest> {
    await this.pacer.turn().catch((e: unknown) => {
      if (Date.now() - this.lastUnpacedLog < 10_000) return;
      this.lastUnpacedLog = Date.now();
      this.log.warn({ err: e }, 'Stripe calls not paced: the pacer could not reach Redis');
    });
    return this.inner.makeRequest(...args);
  }
}
