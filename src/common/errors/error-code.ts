/**
 * Every stable error code the API returns, with its HTTP status. Clients branch on `code`,
 * never on `message`; codes are never renamed once shipped.
 */
export const ERROR_STATUS = {
  // generic
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
  // idempotency (any route that takes an Idempotency-Key)
  IDEMPOTENCY_KEY_REUSED: 409,
  IDEMPOTENCY_KEY_IN_USE: 409,
  // A keyed request whose changes were saved, or may have been, before a failure lost its answer.
  ANSWER_LOST: 409,
  OUTCOME_UNKNOWN: 409,
  // auth
  EMAIL_TAKEN: 409,
  INVALID_CREDENTIALS: 401,
  INVALID_REFRESH_TOKEN: 401,
  REFRESH_TOKEN_REUSED: 401,
  INVALID_API_KEY: 401,
  RECENT_SIGN_IN_REQUIRED: 403,
  // companies
  API_KEY_LIMIT: 409,
  // skills and agents
  SKILL_EXISTS: 409,
  // shifts and seats
  NOT_ELIGIBLE: 403,
  SHIFT_FULL: 409,
  SHIFT_OVERLAP: 409,
  SHIFT_CLOSED: 409,
  WEEKLY_HOURS_EXCEEDED: 409,
  ALREADY_CLAIMED: 409,
  // A claim naming the shift as it was shown (its window, its rate) when the company changed it.
  SHIFT_CHANGED: 409,
  CHECK_IN_NOT_OPEN: 409,
  CLAIM_STATE_CONFLICT: 409,
  SHIFT_HAS_CLAIMS: 409,
  SEATS_BELOW_TAKEN: 409,
  SEATS_AVAILABLE: 409,
  ALREADY_WAITLISTED: 409,
  WAITLIST_FULL: 409,
  // tickets
  TICKET_EXTERNAL_ID_CONFLICT: 409,
  TICKET_ALREADY_CLAIMED: 409,
  WORK_COMES_AS_OFFERS: 409,
  OFFER_NOT_PENDING: 409,
  OFFER_EXPIRED: 409,
  NOT_CHECKED_IN: 409,
  TICKET_NOT_OPEN: 409,
  TICKET_NOT_CLAIMED_BY_YOU: 403,
  // Resolving again what you resolved, with another summary (the same one answers 200).
  TICKET_ALREADY_RESOLVED: 409,
  AGENT_AT_CAPACITY: 409,
  AGENT_SUSPENDED: 403,
  REOPEN_WINDOW_CLOSED: 409,
  // A reopen naming a resolution (claimId) that no longer stands: another was made since.
  TICKET_RESOLVED_AGAIN: 409,
  // The bot withdrew the ticket: nothing more can be done on it.
  TICKET_WITHDRAWN: 409,
  // The bot's messageId was already used on this ticket for a different message.
  MESSAGE_ID_CONFLICT: 409,
  // webhooks
  WEBHOOK_NOT_CONFIGURED: 404,
  DELIVERY_IN_PROGRESS: 409,
  // payouts
  PAYOUT_RUN_STATE: 409,
  PAYOUT_RUN_OPEN: 409,
  RUN_HAS_NOTHING_TO_PAY: 409,
  PAYOUT_LINE_STATE: 409,
  // The run was drafted against another Stripe (live, test or the fake) than this process's.
  PAYOUT_RUN_OTHER_STRIPE: 409,
  // The agent's payout account was closed for a reason that allows no new one by the agent
  // (a rejection other than failed verification, or 3 accounts already): our support decides.
  PAYOUT_ACCOUNT_REJECTED: 409,
  // An action on a payout account in the wrong state (allowing a new one in place of an open one).
  PAYOUT_ACCOUNT_STATE: 409,
  // billing: the company is held (credit limit passed, an invoice past due or written off unpaid)
  PAYMENT_REQUIRED: 402,
  // A lift asked for a company that is not held: a lift answers holds, of its kind and invoices.
  NOT_HELD: 409,
  INVOICE_STATE: 409,
  CREDIT_EXCEEDS_OWED: 409,
  // quality: ratings, reviews and their disputes
  TICKET_NOT_RESOLVED: 409,
  FEEDBACK_WINDOW_CLOSED: 409,
  // The ticket is rated already, with another rating (the same one answers 200).
  RATING_CONFLICT: 409,
  // The ticket has another review already (the same one answers 200; PUT changes it).
  REVIEW_EXISTS: 409,
  REVIEW_LOCKED: 409,
  ALREADY_DISPUTED: 409,
  REVIEW_CHANGED: 409,
  DISPUTE_NOT_PENDING: 409,
  // A shift's surge budget below what its claims and offers have committed.
  SURGE_BUDGET_COMMITTED: 409,
  // ledger
  ADJUSTMENT_REFERENCE_CONFLICT: 409,
  ADJUSTMENT_STATE: 409,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;
