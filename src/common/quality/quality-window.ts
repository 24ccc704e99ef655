/**
 * Quality looks back this many days: ratings and reviews in the agent's score, escalations in
 * a company's handoff quality, resolutions in the reopen rate beside the score.
 */
export const QUALITY_WINDOW_DAYS = 90;
