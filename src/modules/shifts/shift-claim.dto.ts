import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { MaxLength } from '../../common/validation/text-and-numbers';
import { ApiInteger } from '../../common/http/openapi-property';
import { AmountDto, MoneyDto } from '../../common/money/money.dto';
import { ListLimit } from '../../common/pagination/list-limit';
import { PageQueryDto } from '../../common/pagination/page.dto';
import {
  CLAIM_STATUSES,
  ClaimStatus,
  SEAT_AVAILABILITIES,
  SeatAvailability,
  SHIFT_ROUTINGS,
  ShiftRouting,
} from './shift-rules';

export class MyClaimsQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(CLAIM_STATUSES)
  status?: ClaimStatus;
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
   * A check-out from then on completes the seat: SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END before the
   * end (when claims close), and never before half the seat's own time has passed (from the
   * shift's start, from the claim for a seat taken after it, or from a later check-in). Before, it is leaving early
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
   * worked shows `cancelled`; one being worked `completed`, or `left_early` before its
   * checkOutCompletesAt; none counted against the agent), `suspension`. Null for a seat held,
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
  /**
   * A checked-in seat: available, or away (a break; one taken on the shift before carries onto
   * a seat checked into early, and can be ended before this one starts). Null otherwise.
   * @example away
   */
  @ApiProperty({ enum: SEAT_AVAILABILITIES, nullable: true })
  availability: SeatAvailability | null;
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
  /**
   * Until when the line gives seats: the later of when claims close and the last moment a seat
   * given could still be checked into. Past it your place lapses (the shift leaves /open).
   * @example 2030-05-02T17:50:00.000Z
   */
  closesAt: Date;
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
   * Seats checked out before their checkOutCompletesAt (`left_early`): judged as late
   * cancellations are.
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
  /**
   * When the shift ends: the seat is no longer live from then (a console reads the
   * availability again at that instant).
   * @example 2026-11-25T17:00:00.000Z
   */
  shiftEndsAt: Date;
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
  @ListLimit()
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
