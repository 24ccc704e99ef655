/**
 * Amounts that differ by currency (a minor unit is a cent, a yen or a tenth of an öre's worth
 * of very different money): a default for every currency, and `CUR=minor` pairs that replace it
 * for theirs, e.g. `SEK=10000,JPY=1500`.
 */
export const perCurrencyPattern = (min: 0 | 1): RegExp => {
  const amount = min === 1 ? '[1-9]\\d{0,14}' : '\\d{1,15}';
  return new RegExp(`^$|^[A-Z]{3}=${amount}(,[A-Z]{3}=${amount})*$`);
};

/** Spaces around the pairs are allowed in the variable (`SEK=10000, JPY=1500`). */
export const withoutSpaces = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.replace(/\s+/g, '') : value;

/** The amount for a currency: its own pair, else the default. */
export function perCurrency(defaultMinor: number, pairs: string): (currency: string) => number {
  const own = new Map(
    pairs
      .split(',')
      .filter(Boolean)
      .map((pair) => {
        const [currency, minor] = pair.split('=');
        return [currency, Number(minor)] as const;
      }),
  );
  return (currency) => own.get(currency) ?? defaultMinor;
}
