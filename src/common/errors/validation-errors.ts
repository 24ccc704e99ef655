import { ValidationError } from 'class-validator';
import { DomainError, FieldError } from './domain-error';

/** Flattens class-validator's tree into `requiredSkills.0.minLevel`-style field paths. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own: FieldError[] = e.constraints ? [{ field, messages: messagesFor(e, field) }] : [];
    return [...own, ...flattenValidationErrors(e.children ?? [], field)];
  });
}

/**
 * A field left out, or sent as null where a value is required, is said so: its rules' own
 * messages read as if a value had been sent ("reason must be shorter than or equal to 500
 * characters" for no reason at all).
 */
function messagesFor(e: ValidationError, field: string): string[] {
  const constraints = e.constraints!;
  if (constraints.whitelistValidation) return [`${field} is not an allowed field`];
  if (e.value === undefined) return [`${field} is required`];
  if (e.value === null) return [`${field} must not be null`];
  return Object.values(constraints).map((m) => humanize(m, field));
}

// class-validator phrases the unknown-field error with the bare property; keep the full path.
function humanize(message: string, field: string): string {
  return message.replace(/^property (\S+) should not exist$/, `${field} is not an allowed field`);
}

export function validationExceptionFactory(errors: ValidationError[]): DomainError {
  return DomainError.validation(flattenValidationErrors(errors));
}
