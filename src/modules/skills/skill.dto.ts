import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, Matches } from 'class-validator';
import { MaxLength } from '../../common/validation/text-and-numbers';

export class CreateSkillDto {
  /**
   * Lower-case code used everywhere else, e.g. `chargebacks`.
   * @example chargebacks
   */
  @Matches(/^[a-z][a-z0-9_]{1,39}$/, {
    message: 'code must be 2-40 characters: a-z, 0-9 and _, starting with a letter',
  })
  code: string;

  /** @example Chargebacks */
  @IsString()
  @MaxLength(100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;
}

export class SkillDto {
  /** @example chargebacks */
  code: string;
  /** @example Chargebacks */
  name: string;
  /**
   * When an admin retired it (null while in use): no shift or ticket sent after may require it
   * (an escalation already under way when it was retired may).
   * @example 2030-03-01T10:00:00.000Z
   */
  retiredAt: Date | null;
}

export class ListSkillsQueryDto {
  /** Include retired skills (default false). */
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  includeRetired?: boolean;
}
