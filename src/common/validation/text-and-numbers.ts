import { Transform } from 'class-transformer';
import { IsUUID as IsUuidText, registerDecorator, ValidationOptions } from 'class-validator';

/**
 * Rules class-validator has, counted or computed the way PostgreSQL sees the value, so that what
 * passes validation is never refused by a column's constraint (a 500) afterwards.
 */

/**
 * Whether `value` has from `min` to `max` code points. It has between half its UTF-16 length
 * and all of it, so only a value near a bound is counted (a 20,000-character summary on every
 * escalation is not spread into an array).
 */
export function codePointsBetween(value: string, min: number, max: number): boolean {
  const units = value.length;
  if (units <= max && units / 2 >= min) return true;
  if (units / 2 > max || units < min) return false;
  const count = [...value].length;
  return count >= min && count <= max;
}

/**
 * At most `max` characters as PostgreSQL's length() counts them (code points). class-validator's
 * MaxLength does not count variation selectors (U+FE0F: "❤️" is one there, two here), so 101
 * such hearts passed a 200-character limit and broke the column's check.
 */
export function MaxLength(max: number, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'maxLength',
      target: target.constructor,
      propertyName: propertyName as string,
      constraints: [max],
      options: {
        message: `${options?.each ? 'each value in ' : ''}$property must be shorter than or equal to ${max} characters`,
        ...options,
      },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && codePointsBetween(value, 0, max),
      },
    });
}

/**
 * From `min` to `max` characters as PostgreSQL's length() counts them (code points), for the
 * same reason as MaxLength: class-validator's Length let a 20,000-character limit take 40,000.
 */
export function Length(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  const each = options?.each ? 'each value in ' : '';
  return (target, propertyName) =>
    registerDecorator({
      name: 'isLength',
      target: target.constructor,
      propertyName: propertyName as string,
      constraints: [min, max],
      options: {
        message: ({ value }) =>
          typeof value === 'string' && [...value].length < min
            ? `${each}$property must be longer than or equal to ${min} characters`
            : `${each}$property must be shorter than or equal to ${max} characters`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && codePointsBetween(value, min, max),
      },
    });
}

/**
 * A finite number with at most `places` decimals. class-validator's IsNumber({maxDecimalPlaces})
 * reads the decimals from the number's string, and 1e-7 has none there: it threw (a 500).
 */
export function IsDecimal(places: number, options?: ValidationOptions): PropertyDecorator {
  const scale = 10 ** places;
  return (target, propertyName) =>
    registerDecorator({
      name: 'isDecimal',
      target: target.constructor,
      propertyName: propertyName as string,
      constraints: [places],
      options: {
        message: `$property must be a number with at most ${places} decimal places`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'number' &&
          Number.isFinite(value) &&
          Math.round(value * scale) / scale === value,
      },
    });
}

/**
 * A UUID, in lowercase as PostgreSQL writes one back: it takes either case, so an id sent in
 * uppercase found its row, but compared with an id read back it differed (a reopen naming its
 * standing claim in uppercase was refused as resolved again).
 */
export function IsUUID(options?: ValidationOptions): PropertyDecorator {
  const lower = Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.toLowerCase() : value,
  );
  const uuid = IsUuidText(undefined, options);
  return (target, propertyName) => {
    lower(target, propertyName);
    uuid(target, propertyName);
  };
}
