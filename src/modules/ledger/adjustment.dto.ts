import { ApiProperty } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  NotEquals,
  Validate,
} from 'class-validator';
import { IsUUID, Length, MaxLength } from '../../common/validation/text-and-numbers';
import { ApiInteger } from '../../common/http/openapi-property';
import { IsCurrencyCode } from '../../common/money/money.dto';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { IsOmittable } from '../../common/validation/omittable';

export const ADJUSTMENT_STATUSES = [
  'pending',
  'posted',
  'rejected',
  'cancelled',
  'expired',
] as const;

export class CreateAdjustmentDto {
  /**
   * Your business reference for this correction (e.g. `adj-2026-11-25-001`), unique across all
   * finance users forever: sending it again with the same body answers the adjustment already
   * made; with another body, 409.
   * @example adj-2030-05-04-001
   */
  @IsString()
  @Matches(/^[A-Za-z0-9._:-]{3,100}$/, {
    message: 'reference must be 3-100 of A-Z a-z 0-9 . _ : -',
  })
  reference: string;

  /** @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b */
  @IsUUID()
  agentId: string;

  /**
   * Signed minor units: positive credits the agent, negative debits (may leave it negative).
   * @example 1500
   */
  @ApiInteger()
  @IsInt()
  @NotEquals(0)
  // No numeric separator: the swagger plugin fails on a negative one (`-10_000_000`) and then
  // leaves the whole property out of the document.
  @Min(-10000000)
  @Max(10_000_000)
  amountMinor: number;

  /** @example EUR */
  @Validate(IsCurrencyCode)
  currency: string;

  /**
   * Why, for the audit trail (shown to the agent).
   * @example "Bonus for the weekend cover"
   */
  @IsString()
  @Length(3, 500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;
}

export class DecideAdjustmentDto {
  /**
   * Optional note kept with the decision.
   * @example "Checked with the team lead"
   */
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  @Matches(/\S/, { message: 'note must not be blank' })
  note?: string;
}

export class AdjustmentDto {
  /** @example 2c4e6a8b-0d1f-4e3a-b5c7-d9e1f3a5b7c9 */
  id: string;
  /** @example adj-2030-05-04-002 */
  reference: string;
  /** @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b */
  agentId: string;
  /**
   * The agent's display name and email now (null if the agent no longer exists).
   * @example "Ana P."
   */
  agentDisplayName: string | null;
  /** @example ana.p@mail.test */
  agentEmail: string | null;
  /**
   * Signed: positive credits the agent, negative debits.
   * @example 15000
   */
  @ApiInteger()
  amountMinor: number;
  /** @example EUR */
  currency: string;
  /** @example "Missed pay for the 2 May shift" */
  reason: string;
  /**
   * `posted` moved the money (entryId); `pending` waits for a second finance user until
   * expiresAt (past it, it reads `expired` at once); `rejected`, `cancelled` (by its creator)
   * and `expired` moved nothing.
   * @example posted
   */
  @ApiProperty({ enum: ADJUSTMENT_STATUSES })
  status: string;
  /**
   * The finance user who made it.
   * @example 9b2e4d6f-8a1c-4e3b-a5d7-f9c1e3b5d7a9
   */
  createdBy: string;
  /** @example 2030-05-04T12:00:00.000Z */
  createdAt: Date;
  /**
   * While pending: when it expires undecided (null once decided or for one posted at once).
   * @example 2030-05-06T12:00:00.000Z
   */
  expiresAt: Date | null;
  /**
   * The second finance user who approved or rejected it.
   * @example 6e8a0c2e-4b6d-4f8a-b0c2-e4f6a8b0c2d4
   */
  decidedBy: string | null;
  /** @example 2030-05-04T15:20:00.000Z */
  decidedAt: Date | null;
  /** @example "Checked with the team lead" */
  decisionNote: string | null;
  /**
   * The ledger entry that moved the money, once posted.
   * @example 5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9
   */
  entryId: string | null;
}

export class AdjustmentsQueryDto extends PageQueryDto {
  @IsOptional()
  @IsUUID()
  agentId?: string;

  @IsOptional()
  @IsIn(ADJUSTMENT_STATUSES)
  status?: (typeof ADJUSTMENT_STATUSES)[number];
}

export class AdjustmentPageDto {
  items: AdjustmentDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIyMDMwLTA1LTA0VDEyOjAwOjAwLjAwMFoiLCIyYzRlNmE4Yi0wZDFmLTRlM2EtYjVjNy1kOWUxZjNhNWI3YzkiXQ
   */
  nextCursor: string | null;
}
