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
};

interface PgError {
  code?: string;
  constraint?: string;
  driverError?: PgError;
}

/** The DomainError for a unique/exclusion/check violation we know by name, else null. */
export function domainErrorForConstraint(error: unknown): DomainError | null {
  const e = error as PgError | null;
  const pg = e?.driverError ?? e;
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
