import { registerDecorator, ValidationOptions } from 'class-validator';

// C0 and C1 control characters and DEL, except tab and line feed. NUL in particular: Postgres
// refuses it in text, and the others corrupt what a bot relays to a chat window.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

/** Characters as a person counts them (code points), the way Postgres' length() does. */
export const charCount = (s: string): number => [...s].length;

export function isPlainText(value: unknown, min: number, max: number): value is string {
  if (typeof value !== 'string' || CONTROL.test(value) || !/\S/.test(value)) return false;
  const n = charCount(value);
  return n >= min && n <= max;
}

/**
 * Plain text a person wrote: `min`–`max` characters, not blank, no control characters but tab
 * and line feed. Shown to people as is (never as HTML), so no markup is stripped or refused.
 */
export function IsPlainText(min: number, max: number, options?: ValidationOptions) {
  return (target: object, propertyName: string | symbol): void =>
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
}
