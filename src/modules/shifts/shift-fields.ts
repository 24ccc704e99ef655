import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { ApiInteger } from '../../common/http/openapi-property';
import { stacked } from '../../common/validation/stacked';
import { MIN_CHECK_IN_GRACE_MINUTES, SHIFT_ROUTINGS } from './shift-rules';

/*
 * The rules of the fields that posting a shift (CreateShiftDto) and changing one
 * (UpdateShiftDto) share, one decorator per field. Each DTO keeps what differs: whether the
 * field may be left out (@IsOmittable) or also set to null (@IsOptional), and the field's doc
 * comment, its description in the document.
 *
 * The swagger plugin reads bounds only from a @Min or @Max written on the property, so each
 * rule states its bounds for the document itself. Fields the plugin alone documents (title,
 * requiredSkills, languages, the quality scores) keep their bounds on the property: an
 * @ApiProperty would move them up the schema's property list, where explicitly documented
 * properties come first.
 */

// With less, a few seconds late is already a no-show. Not a CHECK: older rows may be below it.
const GRACE_TOO_SHORT = `checkInGraceMinutes must be at least ${MIN_CHECK_IN_GRACE_MINUTES} (minutes after the start before a seat is a no-show)`;

/** An integer from `min` to `max`, documented as one. */
function integerIn(
  min: number,
  max: number,
  { api, tooSmall }: { api?: ApiPropertyOptions; tooSmall?: string } = {},
): PropertyDecorator {
  return stacked(
    ApiInteger({ ...api, minimum: min, maximum: max }),
    IsInt(),
    Min(min, tooSmall === undefined ? undefined : { message: tooSmall }),
    Max(max),
  );
}

export const ShiftField = {
  seats: () => integerIn(1, 500),
  checkInGraceMinutes: () =>
    integerIn(MIN_CHECK_IN_GRACE_MINUTES, 120, { tooSmall: GRACE_TOO_SHORT }),
  routing: () => stacked(ApiProperty({ enum: SHIFT_ROUTINGS }), IsIn(SHIFT_ROUTINGS)),
  offerSeconds: () => integerIn(10, 120),
  /** `api`: `{ nullable: true }` where null (no cap) is accepted. */
  maxAwayMinutes: (api?: ApiPropertyOptions) => integerIn(0, 720, { api }),
};
