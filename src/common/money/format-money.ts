import { minorDigits } from './currencies';

/**
 * `€5,012.00`: minor units in the currency's decimals as Stripe counts them (none for JPY), for messages people
 * read. Amounts in bodies stay integers.
 */
export function formatMoney(m: { currency: string; amountMinor: number }): string {
  const digits = minorDigits(m.currency);
  const f = new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: m.currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return f.format(m.amountMinor / 10 ** digits);
}
