import { IsOmittable } from '../../common/validation/omittable';
import { ApiProperty } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO6391,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { MoneyDto } from '../../common/money/money.dto';
import { IsInstant } from '../../common/validation/is-instant';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { OPEN_SHIFTS_HINT_CODES, type OpenShiftsHintCode } from './open-shift-hints';
import {
  CLAIM_STATUSES,
  ClaimStatus,
  MIN_CHECK_IN_GRACE_MINUTES,
  SHIFT_STATUSES,
  ShiftStatus,
} from './shift-rules';

// With less, a few seconds late is already a no-show. Not a CHECK: older rows may be below it.
const GRACE_TOO_SHORT = `checkInGraceMinutes must be at least ${MIN_CHECK_IN_GRACE_MINUTES} (minutes after the start before a seat is a no-show)`;

export class RequiredSkillDto {
  /**
   * A skill code from /v1/skills.
   * @example chargebacks
   */
  @IsString()
  @Length(1, 40)
  skill: string;

  /**
   * Minimum level, 1–5.
   * @example 3
   */
  @IsInt()
  @Min(1)
  @Max(5)
  minLevel: number;
}

export class CreateShiftDto {
  /** @example "Weekend refunds cover" */
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  title?: string;

  /**
   * ISO 8601 with an offset, in the future.
   * @example 2030-05-04T09:00:00+02:00
   */
  @IsInstant()
  startsAt: string;

  /**
   * 15 minutes to 12 hours after startsAt.
   * @example 2030-05-04T13:00:00+02:00
   */
  @IsInstant()
  endsAt: string;

  /**
   * 1–500.
   * @example 5
   */
  @IsInt()
  @Min(1)
  @Max(500)
  seats: number;

  /** @example [{"skill": "chargebacks", "minLevel": 3}] */
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => RequiredSkillDto)
  requiredSkills: RequiredSkillDto[];

  /**
   * ISO 639-1 codes; an agent must speak every one listed.
   * @example ["en", "de"]
   */
  @IsArray()
  @ArrayMaxSize(10)
  @ArrayUnique()
  @IsISO6391({ each: true, message: 'each language must be an ISO 639-1 code such as en' })
  languages: string[];

  /**
   * Pay per resolved ticket.
   * @example {"amountMinor": 250, "currency": "EUR"}
   */
  @IsObject()
  @ValidateNested()
  @Type(() => MoneyDto)
  ratePerTicket: MoneyDto;

  /**
   * Only agents this company has certified may claim seats (default false).
   * @example false
   */
  @IsOmittable()
  @IsBoolean()
  requiresCertification?: boolean;

  /**
   * Minutes after the start (or after a later claim) before an unchecked-in seat is a no-show,
   * 2–120 (default 10).
   * @example 10
   */
  @IsOmittable()
  @IsInt()
  @Min(MIN_CHECK_IN_GRACE_MINUTES, { message: GRACE_TOO_SHORT })
  @Max(120)
  checkInGraceMinutes?: number;
}

/**
 * Every field optional. Once any seat is taken only changes that cannot hurt a seat holder are
 * accepted: title, seats (not below those taken), a higher rate, dropping the certification
 * requirement.
 */
export class UpdateShiftDto {
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  title?: string;

  @IsOmittable()
  @IsInstant()
  startsAt?: string;

  @IsOmittable()
  @IsInstant()
  endsAt?: string;

  /** @example 8 */
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(500)
  seats?: number;

  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => RequiredSkillDto)
  requiredSkills?: RequiredSkillDto[];

  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(10)
  @ArrayUnique()
  @IsISO6391({ each: true, message: 'each language must be an ISO 639-1 code such as en' })
  languages?: string[];

  /** @example {"amountMinor": 300, "currency": "EUR"} */
  @IsOmittable()
  @IsObject()
  @ValidateNested()
  @Type(() => MoneyDto)
  ratePerTicket?: MoneyDto;

  @IsOmittable()
  @IsBoolean()
  requiresCertification?: boolean;

  /** 2–120; shifts stored with less before this rule keep it until changed. */
  @IsOmittable()
  @IsInt()
  @Min(MIN_CHECK_IN_GRACE_MINUTES, { message: GRACE_TOO_SHORT })
  @Max(120)
  checkInGraceMinutes?: number;
}

export class CancelShiftDto {
  /** @example "Demand dropped after the sale ended" */
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class ListShiftsQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(SHIFT_STATUSES)
  status?: ShiftStatus;

  /** Shifts starting at or after this instant. */
  @IsOptional()
  @IsInstant()
  from?: string;

  /** Shifts starting before this instant. */
  @IsOptional()
  @IsInstant()
  to?: string;
}

export class OpenShiftsQueryDto extends PageQueryDto {
  /** Also list full shifts (to join their waitlist). Default false. */
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  includeFull?: boolean;
}

export class MyClaimsQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(CLAIM_STATUSES)
  status?: ClaimStatus;
}

export class RequiredSkillView {
  skill: string;
  minLevel: number;
}

export class ShiftDto {
  id: string;
  companyId: string;
  title: string | null;
  startsAt: Date;
  endsAt: Date;
  seats: number;
  seatsTaken: number;
  seatsLeft: number;
  requiredSkills: RequiredSkillView[];
  languages: string[];
  ratePerTicket: MoneyDto;
  requiresCertification: boolean;
  checkInGraceMinutes: number;
  @ApiProperty({ enum: SHIFT_STATUSES })
  status: string;
  cancelledAt: Date | null;
  cancelReason: string | null;
  completedAt: Date | null;
  createdAt: Date;
}

export class SeatHolderDto {
  claimId: string;
  agentId: string;
  displayName: string;
  @ApiProperty({ enum: CLAIM_STATUSES })
  status: string;
  /** `waitlist` when the seat came from the waitlist. */
  source: string;
  claimedAt: Date;
  checkedInAt: Date | null;
  checkedOutAt: Date | null;
  cancelledAt: Date | null;
  lateCancellation: boolean;
  noShowAt: Date | null;
}

export class WaitlistedAgentDto {
  agentId: string;
  displayName: string;
  joinedAt: Date;
}

export class ShiftDetailDto extends ShiftDto {
  /** Every claim on the shift, current and past, oldest first. */
  claims: SeatHolderDto[];
  /** Agents waiting for a seat, first in line first. */
  waitlist: WaitlistedAgentDto[];
}

export class ShiftPageDto {
  items: ShiftDto[];
  nextCursor: string | null;
}

export class OpenShiftDto {
  id: string;
  companyId: string;
  companyName: string;
  title: string | null;
  startsAt: Date;
  endsAt: Date;
  /**
   * Seats can be claimed until then: the start, or for a longer shift, the end minus
   * SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END (a started shift can be joined until then; the seat's
   * check-in deadline and weekly hours then count from the claim).
   */
  claimsCloseAt: Date;
  seatsLeft: number;
  requiredSkills: RequiredSkillView[];
  languages: string[];
  ratePerTicket: MoneyDto;
  requiresCertification: boolean;
  checkInGraceMinutes: number;
}

/** Why the list is empty: what is missing from the profile, or what the open shifts lack. */
export class OpenShiftsHintDto {
  @ApiProperty({ enum: OPEN_SHIFTS_HINT_CODES })
  code: OpenShiftsHintCode;
  /** The hint in words, for people (branch on `code`, not on this). */
  message: string;
  /**
   * How many shifts the hint is about (NOT_ELIGIBLE, MISSING_LANGUAGE, MISSING_SKILL,
   * NOT_CERTIFIED, ALREADY_HELD, ELIGIBLE_FULL); null for the others.
   */
  count: number | null;
}

export class OpenShiftPageDto {
  items: OpenShiftDto[];
  nextCursor: string | null;
  /**
   * On an empty first page (no cursor), why it is empty, in this order: SUSPENDED (alone),
   * NO_LANGUAGES, NO_SKILLS, NO_OPEN_SHIFTS, NOT_ELIGIBLE with MISSING_LANGUAGE, MISSING_SKILL
   * and NOT_CERTIFIED (shifts missing only that), ALREADY_HELD, ELIGIBLE_FULL. Empty otherwise.
   */
  hints: OpenShiftsHintDto[];
}

export class ShiftClaimDto {
  id: string;
  shiftId: string;
  companyId: string;
  companyName: string;
  shiftTitle: string | null;
  startsAt: Date;
  endsAt: Date;
  @ApiProperty({ enum: CLAIM_STATUSES })
  status: string;
  /** `waitlist` when the seat was given from the waitlist: check in before checkInDeadline. */
  @ApiProperty({ enum: ['direct', 'waitlist'] })
  source: string;
  checkInDeadline: Date;
  claimedAt: Date;
  checkedInAt: Date | null;
  checkedOutAt: Date | null;
  completedAt: Date | null;
  cancelledAt: Date | null;
  lateCancellation: boolean;
  noShowAt: Date | null;
  ratePerTicket: MoneyDto;
}

export class ShiftClaimPageDto {
  items: ShiftClaimDto[];
  nextCursor: string | null;
}

export class WaitlistPositionDto {
  shiftId: string;
  /** 1 = next in line. */
  position: number;
  joinedAt: Date;
}

export class ReliabilityDto {
  windowDays: number;
  completed: number;
  lateCancellations: number;
  /** Cancellations made before the late window. */
  cancellations: number;
  noShows: number;
  /** completed / (completed + late cancellations + no-shows); null without history. */
  score: number | null;
}
