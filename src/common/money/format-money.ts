/**
 * `€5,012.00`: minor units in the currency's own decimals (none for JPY), for messages people
 * read. Amounts in bodies stay integers.
 */
export function formatMoney(m: { currency: string; amountMinor: number }): string {
  const f = new Intl.NumberFormat('en-US', { style: 'currency', currency: m.currency });
  return f.format(m.amountMinor / 10 ** (f.resolvedOptions().maximumFractionDigits ?? 2));
}
