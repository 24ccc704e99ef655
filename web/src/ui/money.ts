import type { Schemas } from '../api/client';
import { LOCALE } from './times';

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
