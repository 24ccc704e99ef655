/**
 * Shares (0 to 1: quality scores, rates) as percentages, and back. The API keeps a shift's
 * quality bars to 4 decimals of a share, so a bar is shown to 2 decimals of a percent: 0.666 is
 * "66.6%", where whole percents said 67 % for a bar of 66.6.
 */

/** A score or a rate, in whole percents: 0.7973 → "80%". */
export const percent = (share: number) => `${Math.round(share * 100)}%`;

/**
 * A quality score in percent, rounded down to a tenth: never above the bar of a shift it misses
 * (0.7973 is "79.7%", where whole percents said 80% beside a refusal by a bar of 80%).
 */
export const scorePercent = (share: number) => `${Math.floor(share * 1000 + 1e-9) / 10}%`;

/** A bar a score must reach, to the 2 decimals of a percent the API keeps: 0.666 → "66.6%". */
export const barPercent = (share: number) => `${Number((share * 100).toFixed(2))}%`;

/**
 * A typed percentage as the share the API takes: 66.6 → 0.666. Not `66.6 / 100`, which is
 * 0.6659999999999999, refused by the API as more than 4 decimals under a field where one was
 * typed (a quarter of the one-decimal percentages from 0 to 100 did that).
 */
export const shareOfPercent = (typed: string | number) => Math.round(Number(typed) * 100) / 10_000;

/**
 * A score beside the bar it missed: the bar as the shift shows it, the score as the agent's
 * quality page shows it (`scorePercent`, rounded down to a tenth), which is always below a bar of
 * at most 2 decimals that the score misses: "needs 80%; yours is 79.7%", not "yours is 80%" for
 * a score of 0.7973, nor 77% here and 76.5% on the quality page for 0.7651.
 */
export function scoreBelow(bar: number, score: number): { bar: string; score: string } {
  return { bar: barPercent(bar), score: scorePercent(score) };
}
