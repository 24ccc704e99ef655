import {
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

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

/**
 * `CUR=minor` pairs as configured: the shape (each amount at least the constraint's minimum),
 * every code an ISO 4217 currency, and each currency once (a second value would silently win).
 */
@ValidatorConstraint({ name: 'minorByCurrency' })
export class MinorByCurrency implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    return typeof value === 'string' && problemOf(value, args.constraints[0] as 0 | 1) === null;
  }

  defaultMessage(args: ValidationArguments): string {
    const problem =
      typeof args.value === 'string' ? problemOf(args.value, args.constraints[0] as 0 | 1) : null;
    return `${args.property} must be CUR=minor pairs separated by commas (e.g. SEK=10000,JPY=1500)${problem ? `: ${problem}` : ''}`;
  }
}

function problemOf(value: string, min: 0 | 1): string | null {
  if (!perCurrencyPattern(min).test(value)) {
    return min === 1 ? 'each amount a whole number of at least 1' : 'each amount a whole number';
  }
  const codes = value
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=')[0]);
  const unknown = codes.find((c) => !CURRENCIES.has(c));
  if (unknown) return `${unknown} is not an ISO 4217 currency`;
  const twice = codes.find((c, i) => codes.indexOf(c) !== i);
  return twice ? `${twice} is given twice` : null;
}
