import { IsOmittable } from '../../common/validation/omittable';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsInt,
  IsISO6391,
  IsOptional,
  IsString,
  Max,
  Min,
} from 'class-validator';
import { IsDecimal, Length, MaxLength } from '../../common/validation/text-and-numbers';
import { ApiInstant, ApiInteger } from '../../common/http/openapi-property';
import { MoneyDto } from '../../common/money/money.dto';
import { IsInstant } from '../../common/validation/is-instant';
import { IsNestedObject, IsNestedObjects } from '../../common/validation/nested-object';
import { ShiftField } from './shift-fields';
import { ShiftRouting } from './shift-rules';

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
  @ShiftField.seats()
  seats: number;

  /** @example [{"skill": "chargebacks", "minLevel": 3}] */
  @IsArray()
  @ArrayMaxSize(20)
  @IsNestedObjects(() => RequiredSkillDto)
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
  @IsNestedObject(() => MoneyDto)
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
  @ShiftField.checkInGraceMinutes()
  checkInGraceMinutes?: number;

  /**
   * How agents get tickets: pull (claim-next and claim by id, the default) or push (the router
   * offers each ticket to one available agent, longest idle first).
   * @example push
   */
  @IsOmittable()
  @ShiftField.routing()
  routing?: ShiftRouting;

  /**
   * Push only: seconds an offer stays reserved for its agent, 10–120 (default 30).
   * @example 30
   */
  @IsOmittable()
  @ShiftField.offerSeconds()
  offerSeconds?: number;

  /**
   * Minutes each seat may be away in total; time away beyond counts against reliability.
   * @example 30
   */
  @IsOmittable()
  @ShiftField.maxAwayMinutes()
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
  @IsNestedObject(() => SurgeDto)
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
  @IsOmittable()
  @ShiftField.seats()
  seats?: number;

  /** @example [{"skill": "chargebacks", "minLevel": 2}] */
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(20)
  @IsNestedObjects(() => RequiredSkillDto)
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
  @IsNestedObject(() => MoneyDto)
  ratePerTicket?: MoneyDto;

  /** @example false */
  @IsOmittable()
  @IsBoolean()
  requiresCertification?: boolean;

  /**
   * 2–120; shifts stored with less before this rule keep it until changed.
   * @example 15
   */
  @IsOmittable()
  @ShiftField.checkInGraceMinutes()
  checkInGraceMinutes?: number;

  /**
   * pull or push; only while no seat is taken (agents plan their work around it).
   * @example push
   */
  @IsOmittable()
  @ShiftField.routing()
  routing?: ShiftRouting;

  /**
   * 10–120; once seats are taken it may only go up (a shorter reservation means more expiries).
   * @example 45
   */
  @IsOmittable()
  @ShiftField.offerSeconds()
  offerSeconds?: number;

  /**
   * 0–720, or null for no cap; once seats are taken it may only go up (a lower cap would count
   * past breaks), and no cap is the highest.
   * @example 45
   */
  @IsOptional()
  @ShiftField.maxAwayMinutes({ nullable: true })
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
  @IsNestedObject(() => SurgeDto)
  surge?: SurgeDto | null;
}

export class CancelShiftDto {
  /** @example "Demand dropped after the sale ended" */
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
