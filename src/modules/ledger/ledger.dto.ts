import { ApiProperty } from '@nestjs/swagger';

import { PageQueryDto } from '../../common/pagination/page.dto';
import { IsInstant } from '../../common/validation/is-instant';

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
  /**
   * For an earning still pending: when it becomes available (the end of the ticket's reopen
   * window; the release line follows then). Null on every other line.
   */
  availableAt: Date | null;
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
  /**
   * The display name of the agent who resolved the ticket (null if the agent no longer exists).
   * Companies see the name their agent works under, never the agent's email or payout details.
   */
  agentDisplayName: string | null;
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
