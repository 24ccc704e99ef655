import { ApiProperty } from '@nestjs/swagger';
import { ApiInteger } from '../../common/http/openapi-property';
import { BILLING_PERIODS } from '../companies/billing-period';
import { CreditStandingDto, OutstandingDto } from './credit.dto';

export class SavedCardDto {
  /** @example visa */
  brand: string;
  /** @example "4242" */
  last4: string;
  /** @example 12 */
  @ApiInteger()
  expMonth: number;
  /** @example 2029 */
  @ApiInteger()
  expYear: number;
  /**
   * When Stripe saved it (its `checkout.session.completed` event's time). Back from Checkout
   * with `since`, the console waits for a card saved at or after it, not just any card.
   * @example 2026-12-03T09:00:00.000Z
   */
  savedAt: Date;
}

/** An invoice written off unpaid: still payable at Stripe. */
export class WrittenOffInvoiceDto {
  /** @example 0b8c8a9e-3f51-4f5e-9a39-3d4f0f8f2a10 */
  invoiceId: string;
  /** Stripe's invoice number. @example HND-0042 */
  number: string | null;
  /** @example EUR */
  currency: string;
  /** Its total less credit notes, in minor units. @example 28800 */
  @ApiInteger()
  amountMinor: number;
  /**
   * Stripe's hosted page, where it can still be paid.
   * @example https://invoice.stripe.com/i/acct_1Q2w3E/test_YWNjdF8x
   */
  hostedInvoiceUrl: string | null;
}

export class BillingDto {
  /**
   * The company's Stripe Customer (null until the first billing setup).
   * @example cus_Q1w2E3r4T5y6U7
   */
  stripeCustomerId: string | null;
  /** The card invoices are charged to (null until one is saved through Checkout). */
  paymentMethod: SavedCardDto | null;
  /** @example weekly */
  @ApiProperty({ enum: BILLING_PERIODS })
  billingPeriod: string;
  /** @example billing@acme.test */
  billingEmail: string | null;
  /**
   * Billing periods close at midnight in this zone.
   * @example Europe/Berlin
   */
  timeZone: string;
  outstanding: OutstandingDto[];
  /**
   * Invoices written off unpaid and not forgiven: the books moved them from what
   * is owed (`outstanding`) to bad debt, yet Stripe still takes payment on their hosted page,
   * and each holds the company (`credit.hold`) until paid or waived by finance.
   */
  writtenOff: WrittenOffInvoiceDto[];
  /** Its credit limit and, if billing holds it, why (and until when finance lifted it). */
  credit: CreditStandingDto;
}

export class BillingSetupDto {
  /**
   * Stripe Checkout (setup mode): open it in the browser to save a card; Stripe sends the
   * browser back to the console's billing page.
   * @example https://checkout.stripe.com/c/pay/cs_test_a1b2c3
   */
  url: string;
  /** @example 2030-05-05T08:00:00.000Z */
  expiresAt: Date;
}
