/**
 * Stripe's smallest charge per currency, in minor units (its "minimum and maximum charge
 * amounts" table). An invoice whose amount due is below it is not charged: Stripe marks it paid
 * at once and adds the amount to the customer's Stripe balance, which it then adds to the next
 * invoice. We keep that amount ourselves instead (invoices carry it to the next period, see
 * InvoiceClosingService), so that every invoice Stripe sees is charged as our books say.
 *
 * A currency not listed here has no minimum we know of (Stripe states its rule for those as the
 * equivalent of USD 0.50, which depends on the day's rate): 1, sent whatever its total. An
 * invoice Stripe then declines to charge is carried all the same, once Stripe says so
 * (UnchargedInvoicesService; the fake Stripe applies a minimum of its own for ZAR to show it).
 */
const MINIMUM_CHARGE_MINOR: Readonly<Record<string, number>> = {
  AED: 200,
  AUD: 50,
  BGN: 100,
  BRL: 50,
  CAD: 50,
  CHF: 50,
  CZK: 1500,
  DKK: 250,
  EUR: 50,
  GBP: 30,
  HKD: 400,
  HUF: 17500,
  INR: 50,
  JPY: 50,
  MXN: 1000,
  MYR: 200,
  NOK: 300,
  NZD: 50,
  PLN: 200,
  RON: 200,
  SEK: 300,
  SGD: 50,
  THB: 1000,
  USD: 50,
};

/** The smallest amount Stripe charges in `currency` (ISO 4217, any case), in minor units. */
export function minimumChargeMinor(currency: string): number {
  return MINIMUM_CHARGE_MINOR[currency.toUpperCase()] ?? 1;
}
