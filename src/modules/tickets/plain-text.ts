import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { registerDecorator, ValidationOptions } from 'class-validator';
import { codePointsBetween } from '../../common/validation/text-and-numbers';

// C0 and C1 control characters and DEL, except tab and line feed. NUL in particular: Postgres
// refuses it in text, and the others corrupt what a bot relays to a chat window.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

// Something that shows: not only spaces, nor only characters that render as nothing
// (Unicode's default-ignorables: zero-width space, word joiner, variation selectors, the Hangul
// fillers…; and the format characters): a message of those alone reads as an empty one to the
// customer, and counts as the holder having written.
const VISIBLE = /[^\s\p{Default_Ignorable_Code_Point}\p{Cf}]/u;

// Line ends as Windows (CR LF) and old Macs (CR) write them, read as line feeds: a bot relaying
// a chat typed on one had its whole escalation refused for the carriage returns.
const lineFeeds = (value: unknown): unknown =>
  typeof value === 'string'
    ? value.replace(/\r\n?/g, '\n')
    : Array.isArray(value)
      ? value.map(lineFeeds)
      : value;

export function isPlainText(value: unknown, min: number, max: number): value is string {
  if (typeof value !== 'string' || CONTROL.test(value) || !VISIBLE.test(value)) return false;
  return codePointsBetween(value, min, max);
}

/**
 * Plain text a person wrote: `min`–`max` characters, not blank (VISIBLE), no control characters
 * but tab and line feed (a carriage return is made one). Shown to people as is (never as HTML),
 * so no markup is stripped or refused.
 */
export function IsPlainText(min: number, max: number, options?: ValidationOptions) {
  return (target: object, propertyName: string | symbol): void => {
    Transform(({ value }) => lineFeeds(value))(target, propertyName as string);
    // The plugin documents the lengths only of the decorators it knows by name: said here.
    if (!options?.each) ApiProperty({ minLength: min, maxLength: max })(target, propertyName);
    registerDecorator({
      name: 'isPlainText',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: `$property must be ${min}-${max} characters of plain text, not blank, with no control characters but tab and line feed (carriage returns are taken as line feeds)`,
        ...options,
      },
      validator: { validate: (v: unknown) => isPlainText(v, min, max) },
    });
  };
}
