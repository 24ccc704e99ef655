import { amountProblem, formatMoney, toMinor } from '../web/src/ui/amounts';

/** The console's money input (finance adjustments, credit notes, shift rates, surge budgets). */
describe('the console reads typed amounts', () => {
  it.each([
    ['2.5', 'EUR', 250],
    ['2,50', 'EUR', 250],
    [' 3.10 ', 'EUR', 310],
    ['12', 'EUR', 1200],
    ['12.', 'EUR', 1200],
    ['0.07', 'EUR', 7],
    ['1500', 'JPY', 1500],
    ['1.05', 'COP', 105], // two decimals at Stripe, though Intl gives COP none
    ['1500', 'HUF', 150000],
    ['1.005', 'KWD', 1005],
  ])('%s %s as %d minor units', (typed, currency, minor) => {
    expect(toMinor(typed, currency)).toBe(minor);
  });

  it.each([
    ['1,000', 'EUR'], // a thousands separator, or three decimals: never guessed
    ['1,000', 'KWD'], // nor where three decimals are the currency's (1.000 dinar, or 1,000?)
    ['1.005', 'EUR'], // a third decimal in euros is not rounded away
    ['1.5', 'JPY'], // yen have no decimals
    ['-50', 'EUR'], // the direction is chosen apart; a sign would flip it
    ['1e3', 'EUR'],
    ['0x10', 'EUR'],
    ['', 'EUR'],
    ['1.2.3', 'EUR'],
    ['€5', 'EUR'],
    ['99999999999999999', 'EUR'],
  ])('refuses %s in %s', (typed, currency) => {
    expect(toMinor(typed, currency)).toBeNull();
  });

  it('formats minor units with the currency’s own decimals', () => {
    expect(formatMoney(250, 'EUR')).toBe('€2.50');
    expect(formatMoney(1500, 'JPY')).toBe('JP¥1,500');
    // As Stripe counts them: 5,000 minor units are 50.00 pesos and 50.00 forints, not 5,000.
    const spaced = (s: string) => s.replace(/\s/g, ' '); // Intl puts a no-break space there
    expect(spaced(formatMoney(5000, 'COP'))).toBe('COP 50.00');
    expect(spaced(formatMoney(17500, 'HUF'))).toBe('HUF 175.00');
  });

  it('says a pay outside the API’s bounds in money, before it is sent', () => {
    expect(amountProblem('0', 'EUR', 10_000_000)).toBe('At least €0.01');
    expect(amountProblem('100000.01', 'EUR', 10_000_000)).toBe('At most €100,000.00');
    expect(amountProblem('100000', 'EUR', 10_000_000)).toBeNull();
    expect(amountProblem('0', 'JPY', 10_000_000)).toBe('At least JP¥1');
    // Without bounds, only whether it can be read (an adjustment's own checks follow).
    expect(amountProblem('0', 'EUR')).toBeNull();
    expect(amountProblem('1,000', 'EUR', 10_000_000)).toMatch(/^Digits with at most 2 decimals/);
  });
});
