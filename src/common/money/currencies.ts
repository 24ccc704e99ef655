// Free of any import: the console uses it too (web/src/ui/amounts.ts).

/**
 * Stripe's zero-decimal currencies: an amount of 500 is ¥500. Every other currency Handoff takes
 * is two-decimal at Stripe (500 is 5.00), whatever Intl says: Node's Intl gives COP, IDR, HUF,
 * PKR and others no decimals (what people pay in cash), and dividing by that would have shown
 * and typed amounts 100 times off what Stripe charges and transfers.
 */
const ZERO_DECIMAL = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'JPY',
  'KMF',
  'KRW',
  'MGA',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);

/**
 * The currencies Handoff bills and pays in: those Stripe charges in (its "supported presentment
 * currencies", 2026), less those whose amounts Stripe restricts in ways our sums cannot keep:
 * ISK (whole krónur only, amounts in multiples of 100) and the three-decimal BHD, JOD, KWD, OMR
 * and TND (the last digit 0). A fee's or a surge's share of a rate is not such a multiple, and an
 * invoice Stripe refuses is never issued; a shift in a currency Stripe does not charge in at all
 * would end in such an invoice.
 */
export const CURRENCIES: ReadonlySet<string> = new Set([
  ...ZERO_DECIMAL,
  ...(
    'USD AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BWP BYN ' +
    'BZD CAD CDF CHF CNY COP CRC CVE CZK DKK DOP DZD EGP ETB EUR FJD FKP GBP GEL GIP GMD GTQ ' +
    'GYD HKD HNL HTG HUF IDR ILS INR JMD KES KGS KHR KYD KZT LAK LBP LKR LRD LSL MAD MDL MKD ' +
    'MMK MNT MOP MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR ' +
    'RON RSD RUB SAR SBD SCR SEK SGD SHP SLE SOS SRD SZL THB TJS TOP TRY TTD TWD TZS UAH UYU ' +
    'UZS WST XCD YER ZAR ZMW'
  ).split(' '),
]);

/** Stripe's three-decimal currencies (not taken for new rates; amounts booked before may be). */
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/** Decimal places of a currency's minor unit as Stripe counts it: 0 (JPY), 2 (EUR, COP), 3 (KWD). */
export function minorDigits(currency: string): number {
  const code = currency.toUpperCase();
  return ZERO_DECIMAL.has(code) ? 0 : THREE_DECIMAL.has(code) ? 3 : 2;
}
