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

/** The platform fee on a rate: basis points, rounded half up to a minor unit (as the ledger). */
export const feeOn = (rateMinor: number, bps: number) => Math.round((rateMinor * bps) / 10_000);
