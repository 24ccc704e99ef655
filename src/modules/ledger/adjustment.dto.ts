import { ApiProperty } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  NotEquals,
  Validate,
} from 'class-validator';
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
  @IsInt()
  @NotEquals(0)
  @Min(-10_000_000)
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
  @Length(1, 500)
  @Matches(/\S/, { message: 'note must not be blank' })
  note?: string;
}

export class AdjustmentDto {
  id: string;
  reference: string;
  agentId: string;
  /** The agent's display name and email now (null if the agent no longer exists). */
  agentDisplayName: string | null;
  agentEmail: string | null;
  amountMinor: number;
  currency: string;
  reason: string;
  /**
   * `posted` moved the money (entryId); `pending` waits for a second finance user until
   * expiresAt; `rejected`, `cancelled` (by its creator) and `expired` moved nothing.
   */
  @ApiProperty({ enum: ADJUSTMENT_STATUSES })
  status: string;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionNote: string | null;
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
  nextCursor: string | null;
}
