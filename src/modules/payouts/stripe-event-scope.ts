/**
 * A connected account's event of a kind applied only to the platform's own objects (its own
 * charges, refunds or invoices, such as the refund a transfer reversal makes on the agent's
 * side): not ours to apply. Read as the platform's, its objects are not found (404s for days of
 * retries) or, worse, booked against the platform's own.
 */
export const notThePlatforms = (event: { account?: string | null; type: string }): boolean =>
  !!event.account && !event.type.startsWith('account.');
