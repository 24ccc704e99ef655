// Free of the API client, so Node tests can load it (test/web-money.spec.ts).
import { CURRENCIES as TAKEN, minorDigits } from '../../../src/common/money/currencies';
import { LOCALE } from './times';

export { minorDigits };

const COMMON = ['EUR', 'USD', 'GBP', 'SEK', 'NOK', 'DKK', 'CHF', 'PLN'];

/**
 * The currencies the console's forms offer: the common ones first, then every other the API
 * takes, A to Z. (Only the common ones were offered: a company could post a JPY shift over the
 * API, and finance could never pay its agents from the console.)
 */
export const CURRENCIES = [
  { group: 'Common', items: COMMON },
  { group: 'Every other', items: [...TAKEN].filter((c) => !COMMON.includes(c)).sort() },
];

const formats = new Map<string, Intl.NumberFormat>();

function formatFor(currency: string): Intl.NumberFormat {
  let format = formats.get(currency);
  if (!format) {
    const digits = minorDigits(currency);
    format = new Intl.NumberFormat(LOCALE, {
      style: 'currency',
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    formats.set(currency, format);
  }
  return format;
}

/**
 * Integer minor units (250 EUR is 2.50 EUR) as money, in the currency's decimals as Stripe counts
 * them (JPY none, COP two), the API's: not Intl's, which gives COP or HUF none.
 */
export function formatMoney(amountMinor: number, currency: string): string {
  return formatFor(currency).format(amountMinor / 10 ** minorDigits(currency));
}

/**
 * A typed amount ("2.5", "2,50") in integer minor units (250), or null when it is not a plain
 * positive amount with at most the currency's decimals. Worked out from the digits, not through
 * a float ("1.005" is not 100.5 cents rounded), and strict rather than clever: "1,000" (a
 * thousands separator, or three decimals?), "-5", "1e3" and a third decimal in euros are refused,
 * never read as something else.
 */
export function toMinor(amount: string | number, currency: string): number | null {
  const digits = minorDigits(currency);
  if (typeof amount === 'number') {
    return Number.isFinite(amount) ? Math.round(amount * 10 ** digits) : null;
  }
  const match = /^(\d+)(?:([.,])(\d*))?$/.exec(amount.trim());
  if (!match) return null;
  const [, whole, separator, fraction = ''] = match;
  if (fraction.length > digits) return null;
  // A comma before three digits reads as thousands as much as decimals: in a currency of three
  // decimals (KWD) "1,000" is refused too, not taken for 1.000.
  if (separator === ',' && fraction.length === 3) return null;
  const minor = Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
  return Number.isSafeInteger(minor) ? minor : null;
}

/**
 * Why a typed amount cannot be read, in the words of the field ("Amount"), or null when it can
 * (or is empty: the API names a missing one). Given `maxMinor`, also one below the smallest unit
 * or above it. Said before sending: the API would answer for `amountMinor`, a field the user
 * never saw, in minor units.
 */
export function amountProblem(amount: string, currency: string, maxMinor?: number): string | null {
  if (amount.trim() === '') return null;
  const minor = toMinor(amount, currency);
  if (minor !== null) {
    // With the API's bounds (a pay, a budget): said in money, not as `amountMinor` in cents.
    if (maxMinor === undefined) return null;
    if (minor < 1) return `At least ${formatMoney(1, currency)}`;
    return minor > maxMinor ? `At most ${formatMoney(maxMinor, currency)}` : null;
  }
  const digits = minorDigits(currency);
  return digits === 0
    ? `Whole ${currency} only, digits alone: 1000, not 1,000`
    : `Digits with at most ${digits} decimal${digits === 1 ? '' : 's'}: 1000 or 2.50, not 1,000`;
}

/** The most one amount may be, in minor units: a pay (the API's MoneyDto), an adjustment. */
export const MAX_AMOUNT_MINOR = 10_000_000;
/** The most a shift's surge budget may be, in minor units. */
export const MAX_SURGE_BUDGET_MINOR = 100_000_000;
