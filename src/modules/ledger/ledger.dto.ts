import { ApiProperty } from '@nestjs/swagger';

import {
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
import { PageQueryDto } from '../../common/pagination/page';
import { IsInstant } from '../../common/validation/is-instant';
import { IsOmittable } from '../../common/validation/omittable';

export class AgentBalanceDto {
  currency: string;
  /** Earned, still inside the reopen window. */
  pending: number;
  /** Can be paid out; negative after a clawback or adjustment larger than it. */
  available: number;
  /** Paid out so far (net of reversed transfers). */
  paid: number;
}

export class EarningsLineDto {
  entryId: string;
  @ApiProperty({
    enum: [
      'earning',
      'earning_reversal',
      'earning_release',
      'adjustment',
      'payout',
      'payout_reversal',
    ],
  })
  kind: string;
  @ApiProperty({ enum: ['pending', 'available'] })
  bucket: string;
  /** Positive: owed to you grows; negative: it shrinks. */
  amountMinor: number;
  currency: string;
  ticketId: string | null;
  claimId: string | null;
  payoutLineId: string | null;
  memo: string | null;
  createdAt: Date;
}

export class EarningsDto {
  balances: AgentBalanceDto[];
  lines: EarningsLineDto[];
  nextCursor: string | null;
}

export class EarningsQueryDto extends PageQueryDto {}

export class StatementQueryDto {
  /** Tickets resolved at or after (RFC 3339). */
  @IsInstant()
  from: string;

  /** Tickets resolved before. At most 366 days after `from`. */
  @IsInstant()
  to: string;
}

export class StatementLineDto {
  ticketId: string;
  externalId: string;
  claimId: string;
  agentId: string;
  resolvedAt: Date;
  currency: string;
  rateMinor: number;
  feeMinor: number;
  totalMinor: number;
  /** `reversed` lines (reopened tickets) are not owed and not in the totals. */
  @ApiProperty({ enum: ['pending', 'available', 'reversed'] })
  status: string;
}

export class StatementTotalDto {
  currency: string;
  tickets: number;
  rateMinor: number;
  feeMinor: number;
  totalMinor: number;
}

export class StatementDto {
  from: string;
  to: string;
  totals: StatementTotalDto[];
  lines: StatementLineDto[];
}

export class CreateAdjustmentDto {
  @IsUUID()
  agentId: string;

  /** Signed minor units: positive credits the agent, negative debits (may leave it negative). */
  @IsInt()
  @NotEquals(0)
  @Min(-10_000_000)
  @Max(10_000_000)
  amountMinor: number;

  @Validate(IsCurrencyCode)
  currency: string;

  /** Why, for the audit trail (shown to the agent). */
  @IsString()
  @Length(3, 500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;

  /** Optional: retrying with the same key never posts twice. */
  @IsOmittable()
  @Matches(/^[A-Za-z0-9._:-]{8,100}$/, {
    message: 'idempotencyKey must be 8-100 of A-Z a-z 0-9 . _ : -',
  })
  idempotencyKey?: string;
}

export class AdjustmentDto {
  entryId: string;
  agentId: string;
  amountMinor: number;
  currency: string;
  reason: string;
  createdBy: string;
  createdAt: Date;
}

export class AdjustmentsQueryDto extends PageQueryDto {
  @IsOptional()
  @IsUUID()
  agentId?: string;
}

export class TrialBalanceRowDto {
  account: string;
  currency: string;
  balanceMinor: number;
}

export class TrialBalanceDto {
  /** Sum of every line per currency: always zero. */
  totals: { currency: string; balanceMinor: number }[];
  accounts: TrialBalanceRowDto[];
}

export class AdjustmentPageDto {
  items: AdjustmentDto[];
  nextCursor: string | null;
}

export class UnreversedReopenedClaimDto {
  claimId: string;
  ticketId: string;
  agentId: string;
  companyId: string;
  /** The earning's state: `pending` or `available` (money the agent should not have). */
  @ApiProperty({ enum: ['pending', 'available'] })
  earningStatus: string;
  amountMinor: number;
  currency: string;
  reopenedAt: Date;
}

export class LedgerIntegrityDto {
  /** True when every check below is empty. */
  ok: boolean;
  checkedAt: Date;
  /** Reopened claims whose earning was booked and never reversed (should be empty). */
  reopenedClaimsNotReversed: UnreversedReopenedClaimDto[];
  /** More findings than listed (500 at most). */
  truncated: boolean;
  /** Currencies whose lines do not sum to zero (should be empty). */
  unbalancedCurrencies: { currency: string; balanceMinor: number }[];
}
