import { ERROR_STATUS, ErrorCode } from './error-code';

/** One field-level problem in a rejected request. */
export interface FieldError {
  field: string;
  messages: string[];
}

/**
 * The one error type services throw. The exception filter turns it into
 * `{ error: { code, message, details, requestId } }` with the status the code maps to.
 */
export class DomainError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
    this.name = 'DomainError';
    this.status = ERROR_STATUS[code];
  }

  static notFound(what: string): DomainError {
    return new DomainError('NOT_FOUND', `${what} not found`);
  }

  static validation(fields: FieldError[]): DomainError {
    const names = fields.map((f) => f.field).join(', ');
    return new DomainError('VALIDATION_FAILED', `Invalid request: ${names}`, { fields });
  }
}
