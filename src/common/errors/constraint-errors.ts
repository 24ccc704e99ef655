import { DomainError } from './domain-error';
import { ErrorCode } from './error-code';

interface ConstraintMapping {
  code: ErrorCode;
  message: string;
  field?: string;
}

/**
 * Database constraint names (all explicit, see the migrations) mapped to the precise error a
 * client should see when a concurrent or duplicate write trips them.
 */
const CONSTRAINTS: Record<string, ConstraintMapping> = {
  uq_users_email: {
    code: 'EMAIL_TAKEN',
    message: 'An account with this email already exists',
    field: 'email',
  },
  pk_skills: {
    code: 'SKILL_EXISTS',
    message: 'A skill with this code already exists',
    field: 'code',
  },
  ex_shift_claims_agent_overlap: {
    code: 'SHIFT_OVERLAP',
    message: 'You already hold a seat on a shift that overlaps this one',
  },
  ck_shifts_seats_taken: { code: 'SHIFT_FULL', message: 'Every seat on this shift is taken' },
  ck_shift_claims_transition: {
    code: 'CLAIM_STATE_CONFLICT',
    message: 'The seat claim is no longer in a state that allows this',
  },
  ck_shifts_transition: {
    code: 'SHIFT_CLOSED',
    message: 'The shift is already cancelled or completed',
  },
  pk_shift_waitlist: { code: 'ALREADY_WAITLISTED', message: 'You are already on this waitlist' },
  uq_ticket_claims_active: {
    code: 'TICKET_ALREADY_CLAIMED',
    message: 'Another agent has just claimed this ticket',
  },
  ck_tickets_transition: {
    code: 'TICKET_NOT_OPEN',
    message: 'The ticket is no longer in a state that allows this',
  },
  uq_payout_runs_open: {
    code: 'PAYOUT_RUN_OPEN',
    message: 'A run in this currency is still open: finish or cancel it first',
  },
  ck_payout_runs_maker_checker: {
    code: 'FORBIDDEN',
    message: 'A run must be approved by someone other than its creator',
  },
  ck_ledger_append_only: {
    code: 'CONFLICT',
    message: 'The ledger is append-only; post a reversing entry instead',
  },
  ck_ticket_claims_transition: {
    code: 'TICKET_NOT_OPEN',
    message: 'The ticket claim is no longer active',
  },
};

interface PgError {
  code?: string;
  constraint?: string;
  driverError?: PgError;
}

/**
 * Data exceptions a request's value causes: string too long (22001), datetime format, overflow
 * and offset (22007, 22008, 22009), a character PostgreSQL refuses (22021, 22P05), a bad escape
 * (22025, jsonb's "\ud800"), invalid text for the type (22P02).
 */
const INPUT_DATA_EXCEPTIONS = new Set([
  '22001',
  '22007',
  '22008',
  '22009',
  '22021',
  '22025',
  '22P02',
  '22P05',
]);

/** The DomainError for a unique/exclusion/check violation we know by name, else null. */
export function domainErrorForConstraint(error: unknown): DomainError | null {
  const e = error as PgError | null;
  const pg = e?.driverError ?? e;
  // A deadlock or serialization failure: nothing was written; the same request may succeed.
  if (pg?.code === '40P01' || pg?.code === '40001') {
    return new DomainError('CONFLICT', 'The request collided with a concurrent one; retry it');
  }
  // A value of the request PostgreSQL could not take (malformed text for its type, a date out
  // of range, a character it cannot store): validation missed a rule. The safety net behind
  // it, so that the caller learns it was its input, not a 500; the filter logs it at error, a
  // rule to add. Other data exceptions (division by zero, numeric overflow) are our SQL's: 500.
  if (pg?.code && INPUT_DATA_EXCEPTIONS.has(pg.code)) {
    return new DomainError(
      'VALIDATION_FAILED',
      'A value in the request is malformed or out of range for this field',
      { sqlState: pg.code },
    );
  }
  if (!pg?.constraint || !pg.code || !['23505', '23P01', '23514', '23503'].includes(pg.code)) {
    return null;
  }
  const mapped = CONSTRAINTS[pg.constraint];
  if (!mapped) return null;
  const details = mapped.field
    ? { fields: [{ field: mapped.field, messages: [mapped.message] }] }
    : { constraint: pg.constraint };
  return new DomainError(mapped.code, mapped.message, details);
}
