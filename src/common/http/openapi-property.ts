import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';

/*
 * What the swagger plugin cannot say from a TypeScript type. It writes `number` for every
 * `number` (TypeScript has no integer), and its classValidatorShim reads only a fixed list of
 * decorators (Min, Max, lengths, IsEmail, IsUUID…), not @IsInt. It writes `format: date-time`
 * for a `Date`, but an instant a client sends is a `string` (@IsInstant). A decorator's keys win
 * over the plugin's, key by key, so the plugin still adds required, nullable, minimum, maximum,
 * the description and the JSDoc @example. test/openapi.e2e-spec.ts fails on a missing one.
 */

/** `type: integer`: counts, levels, minutes, seats, attempts, minor units. */
export const ApiInteger = (options: ApiPropertyOptions = {}): PropertyDecorator =>
  ApiProperty({ ...options, type: 'integer' } as ApiPropertyOptions);

/** `format: date-time` on a string holding an instant (RFC 3339; a `Date` has it already). */
export const ApiInstant = (options: ApiPropertyOptions = {}): PropertyDecorator =>
  ApiProperty({ ...options, format: 'date-time' } as ApiPropertyOptions);
