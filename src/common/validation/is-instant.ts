import { registerDecorator, ValidationOptions } from 'class-validator';

// RFC 3339 date-times with an explicit offset: what `new Date()` parses the same everywhere.
// (class-validator's IsISO8601 also admits week dates, ordinal dates and basic format, which
// Date cannot parse.) Seconds are required, as RFC 3339 and the document's `format: date-time`
// say: a value the API echoes back (a statement's from/to, a transcript's `at`) must match it.
// The offset at most ±15:59, as PostgreSQL's timestamptz takes (Date takes up to ±23:59).
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-](0\d|1[0-5]):[0-5]\d)$/;

export function isInstant(value: unknown): value is string {
  if (typeof value !== 'string' || !RFC3339.test(value)) return false;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return false;
  // Date rolls 2030-02-30 over to March 2nd; a calendar day that does not exist is an error.
  const [y, m, d] = value.slice(0, 10).split('-').map(Number);
  if (y < 1970 || y > 9999) return false;
  // The years hold for the instant too, not only as written: 9999-12-31T20:00:00-15:00 is in
  // the year 10000, which PostgreSQL stores but writes with five digits, so a page cursor made
  // from it (cursorInstant) was refused by the very check that let the instant in.
  const utcYear = new Date(at).getUTCFullYear();
  if (utcYear < 1970 || utcYear > 9999) return false;
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/** An unambiguous instant: RFC 3339 with Z or ±hh:mm, e.g. 2026-11-28T09:00:00Z. */
export function IsInstant(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isInstant',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message:
          '$property must be an RFC 3339 date-time with an offset, in the years 1970 to 9999 (UTC), e.g. 2026-11-28T09:00:00Z',
        ...options,
      },
      validator: { validate: isInstant },
    });
}
