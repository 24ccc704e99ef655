import type { Schemas } from '../api/client';
import { LOCALE } from './times';

/** The currencies the console offers in its forms (the API takes any ISO 4217 code). */
export const CURRENCIES = ['EUR', 'USD', 'GBP', 'SEK', 'NOK', 'DKK', 'CHF', 'PLN'];

const formats = new Map<string, Intl.NumberFormat>();

function formatFor(currency: string): Intl.NumberFormat {
  let format = formats.get(currency);
  if (!format) {
    format = new Intl.NumberFormat(LOCALE, { style: 'currency', currency });
    formats.set(currency, format);
  }
  return format;
}

/**
 * Integer minor units (250 EUR is 2.50 EUR) as money. The currency's own number of decimals
 * (JPY has none, KWD three) comes from Intl, so no amount is divided by a guessed 100.
 */
export function formatMoney(amountMinor: number, currency: string): string {
  const format = formatFor(currency);
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amountMinor / 10 ** digits);
}

export function money(value: Schemas['MoneyDto']): string {
  return formatMoney(value.amountMinor, value.currency);
}

/** Decimal places of a currency's minor unit (EUR 2, JPY 0, KWD 3), from Intl. */
export function minorDigits(currency: string): number {
  try {
    return (
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
        .maximumFractionDigits ?? 2
    );
  } catch {
    return 2;
  }
}

/** A typed amount ("2.5") in integer minor units (250), or null when it is not a number. */
export function toMinor(amount: string | number, currency: string): number | null {
  const value = typeof amount === 'number' ? amount : Number(amount.replace(',', '.'));
  if (!Number.isFinite(value)) return null;
  return Math.round(value * 10 ** minorDigits(currency));
}
