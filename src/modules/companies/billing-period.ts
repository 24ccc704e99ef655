/** How often a company is invoiced: a week from Monday, or a calendar month (issue 18). */
export const BILLING_PERIODS = ['weekly', 'monthly'] as const;
export type BillingPeriod = (typeof BILLING_PERIODS)[number];
