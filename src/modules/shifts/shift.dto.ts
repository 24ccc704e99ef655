import { IsOmittable } from '../../common/validation/omittable';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsDecimal, MaxLength } from '../../common/validation/text-and-numbers';
import { ApiInstant, ApiInteger } from '../../common/http/openapi-property';
import { AmountDto, MoneyDto } from '../../common/money/money.dto';
import { IsInstant } from '../../common/validation/is-instant';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { OPEN_SHIFTS_HINT_CODES, type OpenShiftsHintCode } from './open-shift-hints';
import {
  CLAIM_STATUSES,
  ClaimStatus,
  MIN_CHECK_IN_GRACE_MINUTES,
  SEAT_AVAILABILITIES,
  SeatAvailability,
  SHIFT_ROUTINGS,
  SHIFT_STATUSES,
  ShiftRouting,
  ShiftStatus,
} from './shift-rules';

// With less, a few seconds late is already a no-show. Not a CHECK: older rows may be below it.
const GRACE_TOO_SHORT = `checkInGraceMinutes must be at least ${MIN_CHECK_IN_GRACE_MINUTES} (minutes after the start before a seat is a no-show)`;

export const SHIFT_INELIGIBILITY_CODES = [
  'SUSPENDED',
  'MISSING_SKILL',
  'SKILL_LEVEL_TOO_LOW',
  'MISSING_LANGUAGE',
  'NOT_CERTIFIED',
  'QUALITY_TOO_LOW',
  'EARLY_ACCESS',
] as const;

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
  @ApiInteger()
  @IsInt()
  @Min(1)
  @Max(5)
  minLevel: number;
}

/**
 * Surge (docs/quality.md, "Surge"): while the company's open tickets per agent checked in on the
 * shift pass `openTicketsPerAgent`, a newly claimed ticket pays the rate × a multiplier rising
 * linearly from 1 at the threshold to `maxMultiplierBps` at twice the threshold. The extra is
 * fixed when the ticket is claimed (or offered) and stops once `budgetMinor` (in the shift's
 * currency) is committed to claims and pending offers.
 */
export class SurgeDto {
  /**
   * The highest multiplier in basis points: 15000 pays 1.5 × the rate. 10001–30000.
   * @example 15000
   */
  @ApiInteger()
  @IsInt()
  @Min(10_001)
  @Max(30_000)
  maxMultiplierBps: number;

  /**
   * Surge starts when open tickets per checked-in agent pass this (1–1000).
   * @example 3
   */
  @ApiInteger()
  @IsInt()
  @Min(1)
  @Max(1000)
  openTicketsPerAgent: number;

  /**
   * The most the extras of this shift may add up to, in minor units of the shift's currency.
   * @example 5000
   */
  @ApiInteger()
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  budgetMinor: number;
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
  @ApiInstant()
  @IsInstant()
  startsAt: string;

  /**
   * 15 minutes to 12 hours after startsAt.
   * @example 2030-05-04T13:00:00+02:00
   */
  @ApiInstant()
  @IsInstant()
  endsAt: string;

  /**
   * 1–500.
   * @example 5
   */
  @ApiInteger()
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
  @ApiInteger()
  @IsOmittable()
  @IsInt()
  @Min(MIN_CHECK_IN_GRACE_MINUTES, { message: GRACE_TOO_SHORT })
  @Max(120)
  checkInGraceMinutes?: number;

  /**
   * How agents get tickets: pull (claim-next and claim by id, the default) or push (the router
   * offers each ticket to one available agent, longest idle first).
   * @example push
   */
  @ApiProperty({ enum: SHIFT_ROUTINGS, required: false })
  @IsOmittable()
  @IsIn(SHIFT_ROUTINGS)
  routing?: ShiftRouting;

  /**
   * Push only: seconds an offer stays reserved for its agent, 10–120 (default 30).
   * @example 30
   */
  @ApiInteger()
  @IsOmittable()
  @IsInt()
  @Min(10)
  @Max(120)
  offerSeconds?: number;

  /**
   * Minutes each seat may be away in total; time away beyond counts against reliability.
   * @example 30
   */
  @ApiInteger()
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(720)
  maxAwayMinutes?: number;

  /**
   * Agents whose quality score (0–1, docs/quality.md) is below it may not take a seat; they
   * see the shift among those they cannot take, with the reason.
   * @example 0.7
   */
  @IsOmittable()
  @IsDecimal(4)
  @Min(0)
  @Max(1)
  minQuality?: number;

  /**
   * For this many hours after posting (1–168), only agents with a quality score of at least
   * earlyAccessMinQuality see and claim the shift; then everyone eligible. Both or neither.
   * @example 24
   */
  @ApiInteger()
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(168)
  earlyAccessHours?: number;

  /** @example 0.85 */
  @IsOmittable()
  @IsDecimal(4)
  @Min(0)
  @Max(1)
  earlyAccessMinQuality?: number;
  /** Surge pay while the company's queue runs long (default none). */
  @IsOmittable()
  @IsObject()
  @ValidateNested()
  @Type(() => SurgeDto)
  surge?: SurgeDto;
}

/**
 * Every field optional. Once any seat is taken only changes that cannot hurt a seat holder are
 * accepted: title, seats (not below those taken), a higher rate, dropping the certification
 * requirement, a longer offerSeconds, a higher maxAwayMinutes, a lower minQuality, and surge.
 */
export class UpdateShiftDto {
  /** @example "Weekend refunds and chargebacks" */
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  title?: string;

  /** @example 2030-05-04T08:00:00+02:00 */
  @ApiInstant()
  @IsOmittable()
  @IsInstant()
  startsAt?: string;

  /** @example 2030-05-04T14:00:00+02:00 */
  @ApiInstant()
  @IsOmittable()
  @IsInstant()
  endsAt?: string;

  /** @example 8 */
  @ApiInteger()
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(500)
  seats?: number;

  /** @example [{"skill": "chargebacks", "minLevel": 2}] */
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => RequiredSkillDto)
  requiredSkills?: RequiredSkillDto[];

  /** @example ["en"] */
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

  /** @example false */
  @IsOmittable()
  @IsBoolean()
  requiresCertification?: boolean;

  /**
   * 2–120; shifts stored with less before this rule keep it until changed.
   * @example 15
   */
  @ApiInteger()
  @IsOmittable()
  @IsInt()
  @Min(MIN_CHECK_IN_GRACE_MINUTES, { message: GRACE_TOO_SHORT })
  @Max(120)
  checkInGraceMinutes?: number;

  /**
   * pull or push; only while no seat is taken (agents plan their work around it).
   * @example push
   */
  @ApiProperty({ enum: SHIFT_ROUTINGS, required: false })
  @IsOmittable()
  @IsIn(SHIFT_ROUTINGS)
  routing?: ShiftRouting;

  /**
   * 10–120; once seats are taken it may only go up (a shorter reservation means more expiries).
   * @example 45
   */
  @ApiInteger()
  @IsOmittable()
  @IsInt()
  @Min(10)
  @Max(120)
  offerSeconds?: number;

  /**
   * 0–720, or null for no cap; once seats are taken it may only go up (a lower cap would count
   * past breaks), and no cap is the highest.
   * @example 45
   */
  @ApiInteger({ nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(720)
  maxAwayMinutes?: number | null;
  /**
   * 0–1, or null for none; once seats are taken it may only go down (seat holders chose it).
   * Early access is set when the shift is posted and cannot change.
   * @example 0.6
   */
  @IsOptional()
  @IsDecimal(4)
  @Min(0)
  @Max(1)
  minQuality?: number | null;
  /**
   * Surge, or null to stop it (claims already made keep theirs). It may change at any time,
   * live shifts too: it applies to claims from then on. The budget cannot go below what is
   * committed (SURGE_BUDGET_COMMITTED).
   */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SurgeDto)
  surge?: SurgeDto | null;
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
  @ApiInstant()
  @IsOptional()
  @IsInstant()
  from?: string;

  /** Shifts starting before this instant. */
  @ApiInstant()
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

  /**
   * `ineligible`: also answer, on the first page, the next 7 days' shifts you cannot take, with
   * the reasons (what to add to your profile, or the certification they need).
   * @example ineligible
   */
  @IsOptional()
  @IsIn(['ineligible'])
  include?: 'ineligible';
}

export class MyClaimsQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(CLAIM_STATUSES)
  status?: ClaimStatus;
}

export class RequiredSkillView {
  /** @example chargebacks */
  skill: string;
  /** @example 3 */
  @ApiInteger()
  minLevel: number;
}

export class ShiftDto {
  /** @example 5b0e6c1f-8a2d-4c3b-9e7f-1a2b3c4d5e6f */
  id: string;
  /** @example 7c9e6679-7425-40de-944b-e07fc1f90ae7 */
  companyId: string;
  /** @example "Weekend refunds cover" */
  title: string | null;
  /** @example 2030-05-04T07:00:00.000Z */
  startsAt: Date;
  /** @example 2030-05-04T11:00:00.000Z */
  endsAt: Date;
  /** @example 5 */
  @ApiInteger()
  seats: number;
  /** @example 2 */
  @ApiInteger()
  seatsTaken: number;
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
  /** @example push */
  @ApiProperty({ enum: SHIFT_ROUTINGS })
  routing: ShiftRouting;
  /** @example 30 */
  @ApiInteger()
  offerSeconds: number;
  /** @example 30 */
  @ApiInteger()
  maxAwayMinutes: number | null;
  /** @example 0.7 */
  minQuality: number | null;
  /** @example 24 */
  @ApiInteger()
  earlyAccessHours: number | null;
  /** @example 0.85 */
  earlyAccessMinQuality: number | null;
  /**
   * Until then only agents at earlyAccessMinQuality or above may claim (null: no early access).
   * @example 2030-04-29T14:05:09.000Z
   */
  openToAllAt: Date | null;
  /** Surge pay, or null when the shift has none. */
  surge: SurgeDto | null;
  /** @example scheduled */
  @ApiProperty({ enum: SHIFT_STATUSES })
  status: string;
  /** @example 2030-05-02T16:40:00.000Z */
  cancelledAt: Date | null;
  /** @example "Demand dropped after the sale ended" */
  cancelReason: string | null;
  /** @example 2030-05-04T11:00:00.000Z */
  completedAt: Date | null;
  /** @example 2030-04-28T14:05:09.000Z */
  createdAt: Date;
}

export class SeatHolderDto {
  /** @example c1a2b3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d */
  claimId: string;
  /** @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b */
  agentId: string;
  /** @example "Ana P." */
  displayName: string;
  /** @example checked_in */
  @ApiProperty({ enum: CLAIM_STATUSES })
  status: string;
  /**
   * `waitlist` when the seat came from the waitlist.
   * @example direct
   */
  @ApiProperty({ enum: ['direct', 'waitlist'] })
  source: string;
  /** @example 2030-04-29T08:30:00.000Z */
  claimedAt: Date;
  /** @example 2030-05-04T06:58:12.000Z */
  checkedInAt: Date | null;
  /** @example 2030-05-04T11:00:00.000Z */
  checkedOutAt: Date | null;
  /** @example 2030-05-03T18:00:00.000Z */
  cancelledAt: Date | null;
  /**
   * Cancelled inside the late window: it counts against the agent's reliability.
   * @example false
   */
  lateCancellation: boolean;
  /** @example 2030-05-04T07:10:00.000Z */
  noShowAt: Date | null;
}

export class WaitlistedAgentDto {
  /** @example 9e4a7b21-6c3d-4f80-b5e2-3d1c0a9f8b64 */
  agentId: string;
  /** @example "Bruno M." */
  displayName: string;
  /** @example 2030-04-30T10:15:00.000Z */
  joinedAt: Date;
}

export class ShiftDetailDto extends ShiftDto {
  /** Every claim on the shift, current and past, oldest first. */
  claims: SeatHolderDto[];
  /** Agents waiting for a seat, first in line first. */
  waitlist: WaitlistedAgentDto[];
  /**
   * What of the surge budget is committed, in minor units: the extras of claims active or
   * resolved (not reopened) and of pending offers. Null when the shift has no surge.
   * @example 1250
   */
  @ApiInteger()
  surgeCommittedMinor: number | null;
}

export class ShiftPageDto {
  items: ShiftDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIyMDMwLTA1LTA0VDA3OjAwOjAwLjAwMFoiLCI1YjBlNmMxZi04YTJkLTRjM2ItOWU3Zi0xYTJiM2M0ZDVlNmYiXQ
   */
  nextCursor: string | null;
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

export class ShiftClaimDto {
  /** @example c1a2b3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d */
  id: string;
  /** @example 5b0e6c1f-8a2d-4c3b-9e7f-1a2b3c4d5e6f */
  shiftId: string;
  /** @example 7c9e6679-7425-40de-944b-e07fc1f90ae7 */
  companyId: string;
  /** @example "Acme Support" */
  companyName: string;
  /** @example "Weekend refunds cover" */
  shiftTitle: string | null;
  /** @example 2030-05-04T07:00:00.000Z */
  startsAt: Date;
  /** @example 2030-05-04T11:00:00.000Z */
  endsAt: Date;
  /** @example checked_in */
  @ApiProperty({ enum: CLAIM_STATUSES })
  status: string;
  /**
   * `waitlist` when the seat was given from the waitlist: check in before checkInDeadline.
   * @example direct
   */
  @ApiProperty({ enum: ['direct', 'waitlist'] })
  source: string;
  /**
   * Not checked in by then, the seat is a no-show: the start (or a later claim) plus the
   * shift's checkInGraceMinutes.
   * @example 2030-05-04T07:10:00.000Z
   */
  checkInDeadline: Date;
  /**
   * From then the seat can be checked into (CHECK_IN_OPENS_MINUTES before the start).
   * @example 2030-05-04T06:45:00.000Z
   */
  checkInOpensAt: Date;
  /**
   * Cancelling from then on is a late cancellation, which counts against reliability
   * (LATE_CANCEL_WINDOW_MINUTES before the seat's start; a seat taken after the start is
   * inside it from the claim). A seat the waitlist gave inside that window: the shift's end
   * (giving it back is never late, and missing its check-in does not count either).
   * @example 2030-05-04T05:00:00.000Z
   */
  lateCancelStartsAt: Date;
  /**
   * A check-out from then on completes the seat. Before, while the shift's seats can still be
   * claimed (SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END before the end), it is leaving early
   * (`left_early`): the seat goes back to the shift for someone else, and it counts against
   * reliability as a late cancellation does.
   * @example 2030-05-04T10:30:00.000Z
   */
  checkOutCompletesAt: Date;
  /** @example 2030-04-29T08:30:00.000Z */
  claimedAt: Date;
  /** @example 2030-05-04T06:58:12.000Z */
  checkedInAt: Date | null;
  /** @example 2030-05-04T11:00:00.000Z */
  checkedOutAt: Date | null;
  /** @example 2030-05-04T11:00:00.000Z */
  completedAt: Date | null;
  /** @example 2030-05-03T18:00:00.000Z */
  cancelledAt: Date | null;
  /**
   * Who ended the seat before its time, when someone did: `agent` (a cancellation),
   * `company` (it cancelled the shift or revoked the agent's certification: a seat not yet
   * worked shows `cancelled`; one being worked `completed`, or `left_early` while the shift's
   * claims are open; none counted against the agent), `suspension`. Null for a seat held,
   * completed at its end, left early by its agent's check-out, or missed.
   * @example company
   */
  @ApiProperty({ enum: ['agent', 'company', 'suspension'], nullable: true })
  endedBy: 'agent' | 'company' | 'suspension' | null;
  /** @example false */
  lateCancellation: boolean;
  /** @example 2030-05-04T07:10:00.000Z */
  noShowAt: Date | null;
  ratePerTicket: MoneyDto;
  /**
   * A completed seat: checked in until it ended, less time away, in seconds (else null).
   * @example 13500
   */
  @ApiInteger()
  workedSeconds: number | null;
  /**
   * A completed seat: the pay of its resolutions that still stand (a reopen claws back).
   */
  earned: AmountDto | null;
  /**
   * A completed seat: earned ÷ worked hours, in minor units per hour (null under a minute
   * worked, or not completed).
   */
  effectiveHourly: AmountDto | null;
}

export class ShiftClaimPageDto {
  items: ShiftClaimDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIyMDMwLTA0LTI5VDA4OjMwOjAwLjAwMFoiLCJjMWEyYjNkNC1lNWY2LTRhN2ItOGM5ZC0wZTFmMmEzYjRjNWQiXQ
   */
  nextCursor: string | null;
}

export class WaitlistPositionDto {
  /** @example 5b0e6c1f-8a2d-4c3b-9e7f-1a2b3c4d5e6f */
  shiftId: string;
  /**
   * 1 = next in line.
   * @example 2
   */
  @ApiInteger()
  position: number;
  /** @example 2030-04-30T10:15:00.000Z */
  joinedAt: Date;
}

export class ReliabilityDto {
  /**
   * The days counted, up to now.
   * @example 30
   */
  @ApiInteger()
  windowDays: number;
  /** @example 11 */
  @ApiInteger()
  completed: number;
  /** @example 1 */
  @ApiInteger()
  lateCancellations: number;
  /**
   * Cancellations made before the late window.
   * @example 2
   */
  @ApiInteger()
  cancellations: number;
  /** @example 0 */
  @ApiInteger()
  noShows: number;
  /**
   * Completed seats with more time away than the shift allowed (maxAwayMinutes).
   * @example 0
   */
  @ApiInteger()
  awayOverCap: number;
  /**
   * Seats checked out while the shift's seats could still be claimed (`left_early`): judged as
   * late cancellations are.
   * @example 0
   */
  @ApiInteger()
  leftEarly: number;
  /**
   * (completed − awayOverCap) ÷ (completed + late cancellations + no-shows + left early),
   * unsmoothed; null without history.
   * @example 0.917
   */
  raw: number | null;
  /**
   * The platform's reliability over the same window (every agent's seats together; 1 with none
   * yet): the prior.
   * @example 0.95
   */
  platformMean: number;
  /**
   * How many seats the prior weighs as.
   * @example 10
   */
  @ApiInteger()
  priorWeight: number;
  /**
   * The raw ratio smoothed by the prior: (completed − awayOverCap + priorWeight ×
   * platformMean) ÷ (judged seats + priorWeight), to three decimals. One missed seat of a new
   * agent moves it a little, not to 0.
   * @example 0.929
   */
  score: number;
}

export class SetAvailabilityDto {
  /**
   * available: offers may come (push shifts); away: a break, no offers, held tickets stay yours.
   * @example away
   */
  @ApiProperty({ enum: SEAT_AVAILABILITIES })
  @IsIn(SEAT_AVAILABILITIES)
  status: SeatAvailability;
}

export class AvailabilityDto {
  /** @example away */
  @ApiProperty({ enum: SEAT_AVAILABILITIES })
  status: SeatAvailability;
  /**
   * When the status last changed (the check-in until it first does).
   * @example 2030-05-04T08:30:00.000Z
   */
  changedAt: Date;
  /** @example 5b0e6c1f-8a2d-4c3b-9e7f-1a2b3c4d5e6f */
  shiftId: string;
  /** @example 9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a */
  seatId: string;
  /**
   * How work comes on this shift: `push` as offers, `pull` by claim-next.
   * @example push
   */
  @ApiProperty({ enum: SHIFT_ROUTINGS })
  routing: ShiftRouting;
  /**
   * Seconds away on this seat so far, the running break included.
   * @example 600
   */
  @ApiInteger()
  awaySeconds: number;
  /** @example 30 */
  @ApiInteger()
  maxAwayMinutes: number | null;
  /**
   * Seconds away beyond the shift cap (they count against reliability).
   * @example 0
   */
  @ApiInteger()
  awayOverCapSeconds: number;
  /**
   * Why the router set you away, when it did.
   * @example three_offers_expired
   */
  awayReason: string | null;
}

export class CompanyAgentsQueryDto {
  /**
   * Agents whose display name contains this (any case).
   * @example ana
   */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/\S/, { message: 'q must not be blank' })
  q?: string;

  /** At most this many, the latest seat first (1–100, default 20). */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;
}

/** An agent who held a seat on the company's shifts, and whether the company certified it. */
export class CompanyAgentDto {
  /** @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b */
  agentId: string;
  /** @example "Ana P." */
  displayName: string;
  /**
   * Seats on the company's shifts the agent worked to the end.
   * @example 12
   */
  @ApiInteger()
  seatsCompleted: number;
  /**
   * When the agent's latest seat on them began.
   * @example 2030-05-04T08:00:00.000Z
   */
  lastSeatAt: Date;
  /**
   * When the company certified the agent for its program (null: not certified).
   * @example 2030-04-29T10:00:00.000Z
   */
  certifiedAt: Date | null;
}
