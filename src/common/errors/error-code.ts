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
  // auth
  EMAIL_TAKEN: 409,
  INVALID_CREDENTIALS: 401,
  INVALID_REFRESH_TOKEN: 401,
  REFRESH_TOKEN_REUSED: 401,
  INVALID_API_KEY: 401,
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
  CHECK_IN_NOT_OPEN: 409,
  CLAIM_STATE_CONFLICT: 409,
  SHIFT_HAS_CLAIMS: 409,
  SEATS_BELOW_TAKEN: 409,
  SEATS_AVAILABLE: 409,
  ALREADY_WAITLISTED: 409,
  WAITLIST_FULL: 409,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;
