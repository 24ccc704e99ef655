import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { ApiInstant, ApiInteger } from '../../common/http/openapi-property';
import { MoneyDto } from '../../common/money/money.dto';
import { IsInstant } from '../../common/validation/is-instant';
import { PageQueryDto } from '../../common/pagination/page.dto';
import {
  CLAIM_STATUSES,
  SHIFT_ROUTINGS,
  SHIFT_STATUSES,
  ShiftRouting,
  ShiftStatus,
} from './shift-rules';
import { SurgeDto } from './shift-write.dto';

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
