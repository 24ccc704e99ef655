import { Inject, Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { callStripe } from '../stripe/stripe-call';
import { STRIPE } from '../stripe/stripe.module';

/** The platform's Stripe balance: what transfers to agents can be paid from now. */
@Injectable()
export class PlatformBalanceService {
  constructor(@Inject(STRIPE) private readonly stripe: Stripe) {}

  /** Available in a currency (minor units); a 503 when Stripe cannot be reached. */
  async available(currency: string): Promise<number> {
    const balance = await callStripe(() => this.stripe.balance.retrieve());
    const lower = currency.toLowerCase();
    return balance.available.find((b) => b.currency === lower)?.amount ?? 0;
  }

  /** The same, or null when Stripe cannot say now (a page still shows the rest). */
  async availableOrNull(currency: string): Promise<number | null> {
    try {
      return await this.available(currency);
    } catch {
      return null;
    }
  }
}
