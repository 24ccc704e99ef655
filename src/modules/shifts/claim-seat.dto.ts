import { ApiInstant } from '../../common/http/openapi-property';
import { MoneyDto } from '../../common/money/money.dto';
import { IsInstant } from '../../common/validation/is-instant';
import { IsNestedObject } from '../../common/validation/nested-object';
import { IsOmittable } from '../../common/validation/omittable';

/**
 * The shift as the agent saw it (each field optional): while no seat is taken the company may
 * change anything, so a claim naming what it was shown is refused (409 SHIFT_CHANGED, with the
 * shift as it is now) when the window moved or the rate went down since, instead of taking a
 * seat on terms the agent never read.
 */
export class ClaimSeatDto {
  /**
   * The start you were shown (any offset).
   * @example 2030-05-04T09:00:00+02:00
   */
  @ApiInstant()
  @IsOmittable()
  @IsInstant()
  startsAt?: string;

  /**
   * The end you were shown.
   * @example 2030-05-04T13:00:00+02:00
   */
  @ApiInstant()
  @IsOmittable()
  @IsInstant()
  endsAt?: string;

  /**
   * The rate you were shown: a claim is refused when the rate is now lower (or in another
   * currency); a higher one is taken.
   * @example {"amountMinor": 250, "currency": "EUR"}
   */
  @IsOmittable()
  @IsNestedObject(() => MoneyDto)
  ratePerTicket?: MoneyDto;
}
