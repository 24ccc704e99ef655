import type { BillingPeriod } from '../companies/billing-period';

/** The rows of `invoices` and `invoice_lines`, as the billing repositories read them. */
export const INVOICE_STATUSES = [
  'draft',
  'open',
  'past_due',
  'paid',
  'uncollectible',
  'void',
  'no_charge',
] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export interface InvoiceRow {
  id: string;
  company_id: string;
  currency: string;
  period_start: Date;
  period_end: Date;
  time_zone: string;
  billing_period: BillingPeriod;
  booked_minor: string;
  carried_in_minor: string;
  total_minor: string;
  carried_out_minor: string;
  status: InvoiceStatus;
  stripe_invoice_id: string | null;
  number: string | null;
  hosted_invoice_url: string | null;
  attempt_count: number;
  next_payment_attempt: Date | null;
  last_payment_error: string | null;
  paid_at: Date | null;
  past_due_since: Date | null;
  dispute_id: string | null;
  /** Set for an invoice written off before written-off holds existed: it holds nothing. */
  hold_waived_at: Date | null;
  /** Finance's waiver (null when none, or waived by the migration that added these holds). */
  hold_waived_by: string | null;
  hold_waived_reason: string | null;
  /** Finance's write-off, asked for (kept before Stripe is asked: whichever applies it books it). */
  write_off_requested_by: string | null;
  write_off_reason: string | null;
  dispute_status: string | null;
  disputed_minor: string | null;
  credited_minor: string;
  /** What a lost dispute made owed that finance billed again on a later invoice. */
  rebilled_minor: string;
  rebilled_at: Date | null;
  rebilled_by: string | null;
  /** What Stripe refunded of the charge that paid it (its `amount_refunded`). */
  refunded_minor: string;
  /** Stripe drafts of it deleted in Stripe's dashboard before it was finalized. */
  stripe_drafts_deleted: number;
  created_at: Date;
}

export type InvoiceLineKind =
  | 'shift'
  | 'reversals'
  | 'carried_credit'
  | 'carried_balance'
  | 'withheld_credits'
  | 'restored_credits'
  | 'rebilled_disputes'
  | 'appealed_disputes';

export interface InvoiceLineRow {
  invoice_id: string;
  position: number;
  kind: InvoiceLineKind;
  shift_id: string | null;
  description: string;
  tickets: number;
  amount_minor: string;
}

export type NewInvoice = Pick<
  InvoiceRow,
  'company_id' | 'currency' | 'period_start' | 'period_end' | 'time_zone' | 'billing_period'
> & {
  bookedMinor: number;
  carriedInMinor: number;
  totalMinor: number;
  carriedOutMinor: number;
};

export type NewInvoiceLine = Omit<InvoiceLineRow, 'invoice_id' | 'amount_minor'> & {
  amountMinor: number;
};

/** What Stripe says of an invoice, applied to ours. */
export interface StripeInvoiceState {
  status: InvoiceStatus;
  stripeInvoiceId: string;
  number: string | null;
  hostedInvoiceUrl: string | null;
  attemptCount: number;
  nextPaymentAttempt: Date | null;
  lastPaymentError: string | null;
  paidAt: Date | null;
}
