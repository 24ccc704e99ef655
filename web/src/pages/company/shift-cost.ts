/** The platform fee on a rate: basis points, rounded half up to a minor unit (as the ledger). */
export const feeOn = (rateMinor: number, bps: number) => Math.round((rateMinor * bps) / 10_000);
