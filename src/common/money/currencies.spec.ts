import { CURRENCIES, minorDigits } from './currencies';
import { formatMoney } from './format-money';
import { minimumChargeMinor } from './minimum-charge';

const spaced = (s: string) => s.replace(/\s/g, ' '); // Intl puts a no-break space after a code

describe('currencies, as Stripe counts them', () => {
  it('takes only ISO 4217 codes Intl can format', () => {
    const known = new Set(Intl.supportedValuesOf('currency'));
    expect([...CURRENCIES].filter((c) => !known.has(c))).toEqual([]);
    expect(['EUR', 'JPY', 'COP', 'HUF'].every((c) => CURRENCIES.has(c))).toBe(true);
    expect(['ISK', 'KWD', 'BHD', 'IRR', 'XAU'].some((c) => CURRENCIES.has(c))).toBe(false);
  });

  it("reads minor units in Stripe's decimals, not Intl's cash digits", () => {
    expect(['EUR', 'COP', 'IDR', 'HUF', 'PKR'].map(minorDigits)).toEqual([2, 2, 2, 2, 2]);
    expect(['JPY', 'KRW', 'CLP'].map(minorDigits)).toEqual([0, 0, 0]);
    expect(['KWD', 'BHD'].map(minorDigits)).toEqual([3, 3]); // amounts booked before, shown right
    expect(formatMoney({ amountMinor: 5012, currency: 'EUR' })).toBe('€50.12');
    expect(formatMoney({ amountMinor: 500, currency: 'JPY' })).toBe('¥500');
    // Stripe's smallest HUF charge is 175.00 Ft (17500 in its API); it read "HUF 17,500".
    expect(spaced(formatMoney({ amountMinor: minimumChargeMinor('HUF'), currency: 'HUF' }))).toBe(
      'HUF 175.00',
    );
    expect(spaced(formatMoney({ amountMinor: 5000, currency: 'COP' }))).toBe('COP 50.00');
  });
});
