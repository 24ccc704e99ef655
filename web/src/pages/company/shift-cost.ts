/** The platform fee on a rate: basis points, rounded half up to a minor unit (as the ledger). */
export const feeOn = (rateMinor: number, bps: number) => Math.round((rateMinor * bps) / 10_000);

/**
 * The most a surged claim adds to the rate: the rate at the top multiplier less the rate,
 * rounded down to a minor unit, and never more than the budget (as claim-next fixes it).
 */
export const surgeExtraAtTop = (rateMinor: number, maxMultiplierBps: number, budgetMinor: number) =>
  Math.min(Math.floor((rateMinor * maxMultiplierBps) / 10_000) - rateMinor, budgetMinor);
