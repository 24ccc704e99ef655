import { ApiProperty } from '@nestjs/swagger';
import { ApiInteger } from '../../common/http/openapi-property';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { BILLING_PERIODS } from '../companies/billing-period';
import { INVOICE_STATUSES, InvoiceLineKind } from './invoice.rows';

export const INVOICE_LINE_KINDS = [
  'shift',
  'reversals',
  'carried_credit',
  'carried_balance',
  'withheld_credits',
  'restored_credits',
  'rebilled_disputes',
  'appealed_disputes',
] as const satisfies readonly InvoiceLineKind[];

export class InvoiceLineDto {
  /**
   * `shift`: the shift's resolved tickets; `reversals`: its tickets reopened after an earlier
   * invoice (or in this period), credited; `carried_credit`: credit carried from before;
   * `carried_balance`: an earlier total below the smallest charge for the currency, carried;
   * `withheld_credits`: credits of reopened tickets billed back, as the invoice that charged
   * them was written off; `restored_credits`: those credited again, as it was paid after all;
   * `rebilled_disputes`: charges the company's bank took back (disputes lost), billed again;
   * `appealed_disputes`: those disputes won on appeal since, what was billed again credited back
   * (positive when that credit is withheld: the invoice that billed it again went unpaid).
   * @example shift
   */
  @ApiProperty({ enum: INVOICE_LINE_KINDS })
  kind: string;
  /** @example 5b0e6c1f-8a2d-4c3b-9e7f-1a2b3c4d5e6f */
  shiftId: string | null;
  /** @example "Weekend refunds cover (2026-12-05): 12 tickets resolved" */
  description: string;
  /** @example 12 */
  @ApiInteger()
  tickets: number;
  /**
   * Minor units, in the invoice's currency; negative for a credit.
   * @example 3450
   */
  @ApiInteger()
  amountMinor: number;
}

export class InvoiceDto {
  /** @example 0b8c8a9e-3f51-4f5e-9a39-3d4f0f8f2a10 */
  id: string;
  /** @example EUR */
  currency: string;
  /**
   * Midnight in the company's zone when the period began.
   * @example 2026-11-29T23:00:00.000Z
   */
  periodStartsAt: Date;
  /**
   * Midnight when it ended (exclusive).
   * @example 2026-12-06T23:00:00.000Z
   */
  periodEndsAt: Date;
  /** @example Europe/Berlin */
  timeZone: string;
  /** @example weekly */
  @ApiProperty({ enum: BILLING_PERIODS })
  billingPeriod: string;
  /**
   * `draft`: closed, not yet at Stripe; `open`: finalized, being charged; `past_due`: a charge
   * failed (see `nextPaymentAttempt`, `lastPaymentError`); `paid`; `uncollectible`: written
   * off; `void`; `no_charge`: nothing to charge: credits covered the period, or its total is
   * below the smallest amount Stripe charges in the currency (carried to the next invoice; when
   * Stripe itself declined to charge it, it keeps Stripe's `number`, marked paid there with
   * nothing charged).
   * @example paid
   */
  @ApiProperty({ enum: INVOICE_STATUSES })
  status: string;
  /**
   * What the ledger booked to the company's receivable in the period (charges less credits).
   * @example 34500
   */
  @ApiInteger()
  bookedMinor: number;
  /**
   * Carried in from earlier periods: a credit (negative), or a total below the smallest charge
   * (positive). @example 0
   */
  @ApiInteger()
  carriedInMinor: number;
  /**
   * Charged: booked plus what was carried in; zero when that is negative or below the smallest
   * amount Stripe charges in the currency (EUR 0.50, GBP 0.30…). @example 34500
   */
  @ApiInteger()
  totalMinor: number;
  /**
   * Carried to the next period: a credit left over (negative), or a total too small to charge
   * (positive, with `totalMinor` zero). @example 0
   */
  @ApiInteger()
  carriedOutMinor: number;
  /** Stripe's invoice number, once finalized. @example HND-0042 */
  number: string | null;
  /**
   * Stripe's hosted page for the invoice (view, download, pay).
   * @example https://invoice.stripe.com/i/acct_1Q2w3E/test_YWNjdF8x
   */
  hostedInvoiceUrl: string | null;
  /** @example 1 */
  @ApiInteger()
  attemptCount: number;
  /**
   * When Stripe tries the card again (past due).
   * @example 2026-12-10T09:00:00.000Z
   */
  nextPaymentAttemptAt: Date | null;
  /** Why the last charge failed. @example "card_declined: Your card was declined." */
  lastPaymentError: string | null;
  /** @example 2026-12-07T09:00:03.000Z */
  paidAt: Date | null;
  /**
   * Refunded to the company's card by Handoff (through Stripe) of what paid this invoice; 0
   * when nothing was.
   * @example 0
   */
  @ApiInteger()
  refundedMinor: number;
  /**
   * Stripe's status of a dispute of the charge that paid it (the company's bank asked for the
   * money back): `warning_*` an inquiry (nothing taken); `needs_response`, `under_review`
   * taken while decided; `won` given back (the payment stands); `lost` (and `appeal_*`, a lost
   * one appealed): owed again, to be credited or billed again; null when none.
   * @example lost
   */
  disputeStatus: string | null;
  /** What the dispute is about, in minor units (null when none). @example 28800 */
  @ApiInteger()
  disputedMinor: number | null;
  /**
   * Credit notes issued on this invoice: what Handoff forgave of what a lost dispute took
   * back. @example 0
   */
  @ApiInteger()
  creditedMinor: number;
  /**
   * What a lost dispute took back and Handoff billed again, on the company's next invoice (0
   * when not).
   * @example 0
   */
  @ApiInteger()
  rebilledMinor: number;
  /**
   * When it was billed again (null when not).
   * @example 2030-06-10T09:00:00.000Z
   */
  rebilledAt: Date | null;
  lines: InvoiceLineDto[];
}

export class InvoicePageDto {
  items: InvoiceDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIyMDI2LTExLTI5VDIzOjAwOjAwLjAwMFoiLCIwYjhjOGE5ZS0zZjUxLTRmNWUtOWEzOS0zZDRmMGY4ZjJhMTAiXQ
   */
  nextCursor: string | null;
}

export class ListInvoicesQueryDto extends PageQueryDto {}
