import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { ApiInteger } from '../../common/http/openapi-property';
import { AmountDto, MoneyDto } from '../../common/money/money.dto';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { OPEN_SHIFTS_HINT_CODES, type OpenShiftsHintCode } from './open-shift-hints';
import { RequiredSkillView } from './shift.dto';

export const SHIFT_INELIGIBILITY_CODES = [
  'SUSPENDED',
  'MISSING_SKILL',
  'SKILL_LEVEL_TOO_LOW',
  'MISSING_LANGUAGE',
  'NOT_CERTIFIED',
  'QUALITY_TOO_LOW',
  'EARLY_ACCESS',
] as const;

export class OpenShiftsQueryDto extends PageQueryDto {
  /** Also list full shifts (to join their waitlist). Default false. */
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  includeFull?: boolean;

  /**
   * `ineligible`: also answer, on the first page, the next 7 days' shifts you cannot take, with
   * the reasons (what to add to your profile, or the certification they need).
   * @example ineligible
   */
  @IsOptional()
  @IsIn(['ineligible'])
  include?: 'ineligible';
}

/**
 * An estimate of an hour's pay on a shift: the company's resolutions per agent-hour over its
 * completed seats of the last 90 days, times this shift's rate. Null amounts: no history yet.
 */
export class ExpectedHourlyDto {
  /**
   * Always true: this is what past seats earned, not a promise.
   * @example true
   */
  estimate: boolean;
  /** rate × resolutionsPerAgentHour (null: no history yet). */
  amount: AmountDto | null;
  /**
   * Standing resolutions per worked agent-hour on the company's completed seats.
   * @example 4.2
   */
  resolutionsPerAgentHour: number | null;
  /**
   * The worked agent-hours the figure rests on (0: no history yet).
   * @example 310.5
   */
  agentHours: number;
}

export class OpenShiftDto {
  /** @example 5b0e6c1f-8a2d-4c3b-9e7f-1a2b3c4d5e6f */
  id: string;
  /** @example 7c9e6679-7425-40de-944b-e07fc1f90ae7 */
  companyId: string;
  /** @example "Acme Support" */
  companyName: string;
  /** @example "Weekend refunds cover" */
  title: string | null;
  /** @example 2030-05-04T07:00:00.000Z */
  startsAt: Date;
  /** @example 2030-05-04T11:00:00.000Z */
  endsAt: Date;
  /**
   * Seats can be claimed until then: the start, or for a longer shift, the end minus
   * SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END (a started shift can be joined until then; the seat's
   * check-in deadline and weekly hours then count from the claim).
   * @example 2030-05-04T10:30:00.000Z
   */
  claimsCloseAt: Date;
  /** @example 3 */
  @ApiInteger()
  seatsLeft: number;
  requiredSkills: RequiredSkillView[];
  /** @example ["en", "de"] */
  languages: string[];
  ratePerTicket: MoneyDto;
  /** @example false */
  requiresCertification: boolean;
  /** @example 10 */
  @ApiInteger()
  checkInGraceMinutes: number;
  /**
   * The quality score a seat needs (null: none).
   * @example 0.7
   */
  minQuality: number | null;
  /**
   * Early access: until then only agents at its score may claim (null: open to all).
   * @example 2030-05-02T10:00:00.000Z
   */
  openToAllAt: Date | null;
  /** What an hour of this shift may pay, from the company's history: an estimate. */
  expectedHourly: ExpectedHourlyDto;
  /**
   * Your place in its waitlist (1 is next); null when you are not in line.
   * @example 2
   */
  @ApiInteger({ nullable: true, minimum: 1 })
  waitlistPosition: number | null;
  /**
   * While you are in line: until when it gives seats (a started shift stays listed to you until
   * then, its claims closed); null when you are not in line.
   * @example 2030-05-02T17:50:00.000Z
   */
  waitlistClosesAt: Date | null;
}

/** Why the list is empty: what is missing from the profile, or what the open shifts lack. */
export class OpenShiftsHintDto {
  /** @example MISSING_LANGUAGE */
  @ApiProperty({ enum: OPEN_SHIFTS_HINT_CODES })
  code: OpenShiftsHintCode;
  /**
   * The hint in words, for people (branch on `code`, not on this).
   * @example "2 open shifts need a language your profile does not list"
   */
  message: string;
  /**
   * How many shifts the hint is about (NOT_ELIGIBLE, MISSING_LANGUAGE, MISSING_SKILL,
   * NOT_CERTIFIED, QUALITY_TOO_LOW, ALREADY_HELD, ELIGIBLE_FULL); null for the others.
   * @example 2
   */
  @ApiInteger()
  count: number | null;
}

/** One reason a shift is not open to you. */
export class ShiftIneligibilityDto {
  /** @example MISSING_SKILL */
  @ApiProperty({ enum: SHIFT_INELIGIBILITY_CODES })
  code: (typeof SHIFT_INELIGIBILITY_CODES)[number];
  /**
   * MISSING_SKILL, SKILL_LEVEL_TOO_LOW: the skill.
   * @example chargebacks
   */
  skill?: string;
  /**
   * MISSING_SKILL, SKILL_LEVEL_TOO_LOW: the level the shift asks for.
   * @example 3
   */
  @ApiInteger()
  minLevel?: number;
  /**
   * SKILL_LEVEL_TOO_LOW: your level.
   * @example 2
   */
  @ApiInteger()
  level?: number;
  /**
   * MISSING_LANGUAGE: the language.
   * @example de
   */
  language?: string;
  /**
   * NOT_CERTIFIED: the company whose certification the shift needs.
   * @example 7c9e6679-7425-40de-944b-e07fc1f90ae7
   */
  companyId?: string;
  /**
   * QUALITY_TOO_LOW, EARLY_ACCESS: the score the shift asks for.
   * @example 0.8
   */
  minQuality?: number;
  /**
   * QUALITY_TOO_LOW, EARLY_ACCESS: your score.
   * @example 0.7312
   */
  quality?: number;
  /**
   * EARLY_ACCESS: when the shift opens to every eligible agent.
   * @example 2030-05-02T10:00:00.000Z
   */
  openToAllAt?: Date;
}

export class IneligibleShiftDto extends OpenShiftDto {
  reasons: ShiftIneligibilityDto[];
}

export class OpenShiftPageDto {
  items: OpenShiftDto[];
  /**
   * With `include=ineligible`, on the first page: the shifts of the next 7 days you cannot take
   * (seats you hold left out), soonest first, at most 100, each with its reasons.
   */
  ineligible?: IneligibleShiftDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIyMDMwLTA1LTA0VDA3OjAwOjAwLjAwMFoiLCI1YjBlNmMxZi04YTJkLTRjM2ItOWU3Zi0xYTJiM2M0ZDVlNmYiXQ
   */
  nextCursor: string | null;
  /**
   * On an empty first page (no cursor), why it is empty, in this order: SUSPENDED (alone),
   * NO_LANGUAGES, NO_SKILLS, NO_OPEN_SHIFTS, NOT_ELIGIBLE with MISSING_LANGUAGE, MISSING_SKILL,
   * NOT_CERTIFIED and QUALITY_TOO_LOW (shifts missing only that), ALREADY_HELD, ELIGIBLE_FULL.
   * Empty otherwise.
   */
  hints: OpenShiftsHintDto[];
}
