import { ApiProperty } from '@nestjs/swagger';
import { registerDecorator, ValidationOptions } from 'class-validator';
import { codePointsBetween } from '../../common/validation/text-and-numbers';

// C0 and C1 control characters and DEL, except tab and line feed. NUL in particular: Postgres
// refuses it in text, and the others corrupt what a bot relays to a chat window.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

// Something that shows: not only spaces, nor only format characters (zero-width space, word
// joiner, BOM: Unicode's Cf) and the Hangul fillers, which render as nothing: a message of
// those alone reads as an empty one to the customer, and counts as the holder having written.
const VISIBLE = /[^\s\p{Cf}\u115F\u1160\u3164\uFFA0]/u;

export function isPlainText(value: unknown, min: number, max: number): value is string {
  if (typeof value !== 'string' || CONTROL.test(value) || !VISIBLE.test(value)) return false;
  return codePointsBetween(value, min, max);
}

/**
 * Plain text a person wrote: `min`–`max` characters, not blank (VISIBLE), no control characters
 * but tab and line feed. Shown to people as is (never as HTML), so no markup is stripped or refused.
 */
export function IsPlainText(min: number, max: number, options?: ValidationOptions) {
  return (target: object, propertyName: string | symbol): void => {
    // The plugin documents the lengths only of the decorators it knows by name: said here.
    if (!options?.each) ApiProperty({ minLength: min, maxLength: max })(target, propertyName);
    registerDecorator({
      name: 'isPlainText',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: `$property must be ${min}-${max} characters of plain text, not blank, with no control characters but tab and line feed`,
        ...options,
      },
      validator: { validate: (v: unknown) => isPlainText(v, min, max) },
    });
  };
}
