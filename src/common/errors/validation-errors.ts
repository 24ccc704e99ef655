import { ValidationError } from 'class-validator';
import { DomainError, FieldError } from './domain-error';

/** Flattens class-validator's tree into `requiredSkills.0.minLevel`-style field paths. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own: FieldError[] = e.constraints
      ? [{ field, messages: Object.values(e.constraints).map((m) => humanize(m, field)) }]
      : [];
    return [...own, ...flattenValidationErrors(e.children ?? [], field)];
  });
}

// class-validator phrases the unknown-field error with the bare property; keep the full path.
function humanize(message: string, field: string): string {
  return message.replace(/^property (\S+) should not exist$/, `${field} is not an allowed field`);
}

export function validationExceptionFactory(errors: ValidationError[]): DomainError {
  return DomainError.validation(flattenValidationErrors(errors));
}
