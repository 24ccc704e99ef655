import { registerDecorator, ValidationOptions } from 'class-validator';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/**
 * A calendar month, `YYYY-MM`, whose instants every zone can hold: from 1971 to 9998, as
 * IsInstant holds instants to the years 1970 to 9999 in UTC, since a month of 9999 ends in the
 * year 10000 in a zone behind UTC, and January 1970 starts in 1969 in a zone ahead of it (its
 * statement's `from` was refused when sent back).
 */
export function isMonth(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = MONTH.exec(value);
  if (!match) return false;
  const year = Number(match[1]);
  return year >= 1971 && year <= 9998;
}

export function IsMonth(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isMonth',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: '$property must be a month from 1971-01 to 9998-12, such as 2030-05',
        ...options,
      },
      validator: { validate: isMonth },
    });
}
