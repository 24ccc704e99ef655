import { SetMetadata } from '@nestjs/common';
import { ErrorCode } from '../errors/error-code';

export const API_ERRORS_KEY = 'handoff:apiErrors';

/**
 * The domain error codes a route can answer, for the OpenAPI document (statuses come from
 * ERROR_STATUS). Generic ones are derived from the route itself and need not be listed: 400
 * VALIDATION_FAILED, 401 and 403 from its roles, 404 for a path parameter, 409 CONFLICT and the
 * idempotency codes for writes, 413/415 for bodies, 429 for limited routes, 500 and 503
 * (src/common/http/openapi.ts).
 */
export const ApiErrors = (...codes: ErrorCode[]) => SetMetadata(API_ERRORS_KEY, codes);

/** One line per code, shown in the document beside each response that can carry it. */
export const ERROR_DESCRIPTIONS: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'the request is invalid; `details.fields` names each field and why',
  MALFORMED_JSON: 'the body is not valid JSON (or not the length or encoding it claims)',
  UNAUTHENTICATED: 'no valid access token or API key, or the account no longer exists',
  FORBIDDEN: 'your role may not do this (`details.allowedRoles` when the route refuses it)',
  NOT_FOUND: 'no such resource, or not one you may see',
  CONFLICT: 'the request collided with a concurrent one, or a rule of the data refused it',
  PAYLOAD_TOO_LARGE: 'the body is larger than the allowed limit',
  UNSUPPORTED_MEDIA_TYPE: 'the body is not `application/json`, or its encoding is not accepted',
  RATE_LIMITED: 'too many requests; retry after the `Retry-After` delay',
  INTERNAL: 'an unexpected error on our side; the `requestId` finds it in our logs',
  SERVICE_UNAVAILABLE:
    'a backing service is unreachable for a moment; retry after `Retry-After` (a keyed request whose changes were, or may have been, saved is answered `ANSWER_LOST` or `OUTCOME_UNKNOWN` instead)',
  IDEMPOTENCY_KEY_REUSED: 'this Idempotency-Key was used with another request (route or body)',
  IDEMPOTENCY_KEY_IN_USE:
    'a request with this Idempotency-Key is still running, or took this one over while it stalled (nothing of this one saved); retry shortly',
  ANSWER_LOST:
    'the keyed request was carried out (its transaction committed), but a failure after it lost its answer: read the state; a retry with the key answers this again',
  OUTCOME_UNKNOWN:
    'the keyed request failed as it saved, or between its steps, or its process stopped after saving: whether it was carried out is not known; read the state; a retry with the key answers this again',
  EMAIL_TAKEN: 'an account with this email already exists',
  INVALID_CREDENTIALS: 'the email or password is incorrect',
  INVALID_REFRESH_TOKEN: 'the refresh token is invalid, expired or revoked',
  REFRESH_TOKEN_REUSED: 'a spent refresh token was presented again: the whole login is signed out',
  INVALID_API_KEY: 'the API key is invalid or revoked',
  RECENT_SIGN_IN_REQUIRED:
    'this hands out lasting access: give your password again (POST /v1/auth/reauthenticate), then retry; `details.signedInAt` says when this login last gave it',
  API_KEY_LIMIT: 'the company already holds the most active API keys it may; revoke one first',
  SKILL_EXISTS: 'a skill with this code already exists',
  NOT_ELIGIBLE: 'you are not eligible; `details.reasons` says why',
  SHIFT_FULL: 'every seat on the shift is taken',
  SHIFT_OVERLAP: 'you already hold a seat on a shift that overlaps this one',
  SHIFT_CLOSED: 'the shift is cancelled, completed, or no longer takes claims',
  WEEKLY_HOURS_EXCEEDED: 'the seat would take you past the weekly hours cap',
  ALREADY_CLAIMED: 'you already hold a seat on this shift',
  SHIFT_CHANGED: 'the company changed the shift since you saw it (its window or a lower rate)',
  CHECK_IN_NOT_OPEN: 'check-in is not open (too early, or the deadline has passed)',
  CLAIM_STATE_CONFLICT: 'the seat claim is not in a state that allows this',
  SHIFT_HAS_CLAIMS: 'seats are taken or tickets held: this change would hurt their holders',
  SEATS_BELOW_TAKEN: 'seats cannot go below the seats already taken',
  SEATS_AVAILABLE: 'seats are available: claim one instead of joining the waitlist',
  ALREADY_WAITLISTED: 'you are already on this waitlist',
  WAITLIST_FULL: 'the waitlist is full',
  TICKET_EXTERNAL_ID_CONFLICT: 'this externalId was already escalated with another payload',
  TICKET_ALREADY_CLAIMED: 'another agent holds the ticket',
  WORK_COMES_AS_OFFERS:
    'your live shift routes work as offers (push): accept offers from the event stream instead',
  OFFER_NOT_PENDING: 'the offer was already accepted, declined, expired or withdrawn',
  OFFER_EXPIRED: 'the offer reservation ran out; the ticket goes to the next agent',
  NOT_CHECKED_IN: 'you are not checked in on a shift that is live now',
  TICKET_NOT_OPEN: 'the ticket is not in a state that allows this',
  TICKET_NOT_CLAIMED_BY_YOU: 'you do not hold this ticket',
  TICKET_WITHDRAWN:
    "the company's bot withdrew the ticket: it is final, and nothing more can be done on it (nor rated or reviewed); an agent who did not hold it is told TICKET_NOT_CLAIMED_BY_YOU instead",
  MESSAGE_ID_CONFLICT: 'this messageId was already used on the ticket for a different message',
  TICKET_ALREADY_RESOLVED: 'you resolved this ticket already, with another summary',
  AGENT_AT_CAPACITY: 'you already hold as many tickets as your limit allows',
  AGENT_SUSPENDED: 'your account is suspended',
  REOPEN_WINDOW_CLOSED: 'the ticket was resolved too long ago to reopen',
  TICKET_RESOLVED_AGAIN:
    'the resolution named (claimId) no longer stands: the ticket was reopened and resolved again since',
  WEBHOOK_NOT_CONFIGURED: 'no webhook is set',
  DELIVERY_IN_PROGRESS: 'the delivery is still being retried',
  PAYOUT_RUN_STATE: "the run's status does not allow this",
  PAYOUT_RUN_OPEN: 'a run in this currency is still open: finish or cancel it first',
  RUN_HAS_NOTHING_TO_PAY: 'no line of the run is payable',
  PAYOUT_LINE_STATE: "the line's status does not allow this",
  PAYOUT_RUN_OTHER_STRIPE:
    'the run was drafted against another Stripe (live, test or fake) than this API is set up for: nothing is sent from here',
  PAYOUT_ACCOUNT_REJECTED:
    'your payout account was closed for a reason that allows no new one by you (see canLinkNew): our support team decides',
  PAYOUT_ACCOUNT_STATE: "the payout account's state does not allow this (e.g. it is open)",
  PAYMENT_REQUIRED:
    'billing holds the company (what it owes passed its credit limit, or an invoice is past due or was written off unpaid): `details` names the amount; pay, or ask finance to lift the hold',
  NOT_HELD: 'the company is not held: a lift answers a hold, so there is nothing to lift',
  INVOICE_STATE: 'the invoice is not in a state that allows this (`details.status` says which)',
  CREDIT_EXCEEDS_OWED:
    'a credit note cannot credit more than the invoice charged less earlier credits, nor more than the company owes',
  TICKET_NOT_RESOLVED: 'the ticket has no resolution yet to rate or review',
  FEEDBACK_WINDOW_CLOSED:
    'too late: a resolution is rated within 7 days of it and reviewed within 90 (the score’s window)',
  RATING_CONFLICT: 'the ticket is rated already with another rating (`details.rating`)',
  REVIEW_EXISTS: 'the ticket has another review already (`details.review`); PUT changes it',
  REVIEW_LOCKED: 'the review can no longer change: 7 days have passed, or the agent disputed it',
  ALREADY_DISPUTED: 'the review was disputed already: once per review',
  REVIEW_CHANGED: 'the company changed the review after the given reviewUpdatedAt: read it again',
  DISPUTE_NOT_PENDING: 'the review is not disputed, or its dispute was decided already',
  SURGE_BUDGET_COMMITTED:
    'the surge budget cannot go below what claims and pending offers have committed (`details.committedMinor`)',
  ADJUSTMENT_REFERENCE_CONFLICT: 'this reference was already used for a different adjustment',
  ADJUSTMENT_STATE: "the adjustment's status does not allow this",
};
