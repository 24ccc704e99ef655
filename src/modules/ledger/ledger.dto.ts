import { ApiProperty } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { ApiInstant, ApiInteger } from '../../common/http/openapi-property';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { IsInstant } from '../../common/validation/is-instant';
import { IsMonth } from '../../common/validation/is-month';

export class AgentBalanceDto {
  /** @example EUR */
  currency: string;
  /**
   * Earned, still inside the reopen window.
   * @example 750
   */
  @ApiInteger()
  pending: number;
  /**
   * Can be paid out; negative after a clawback or adjustment larger than it.
   * @example 14300
   */
  @ApiInteger()
  available: number;
  /**
   * Paid out so far (net of reversed transfers).
   * @example 52000
   */
  @ApiInteger()
  paid: number;
}

export class EarningsLineDto {
  /** @example 8d7c6b5a-4e3f-4a2b-9c1d-0e9f8a7b6c5d */
  entryId: string;
  /** @example earning */
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
  /** @example pending */
  @ApiProperty({ enum: ['pending', 'available'] })
  bucket: string;
  /**
   * Positive: owed to you grows; negative: it shrinks.
   * @example 250
   */
  @ApiInteger()
  amountMinor: number;
  /** @example EUR */
  currency: string;
  /** @example e410f6b2-3c7d-4e8a-9b1f-6d2c5a8e7f30 */
  ticketId: string | null;
  /** @example a7d3e9f1-2b4c-4d6e-8f0a-1c3e5b7d9f2a */
  claimId: string | null;
  /** @example f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0 */
  payoutLineId: string | null;
  /**
   * Why, in words, where the line says it (an adjustment's reason, a Stripe transfer).
   * @example "Bonus for the weekend cover"
   */
  memo: string | null;
  /** @example 2030-05-04T09:31:40.120Z */
  createdAt: Date;
  /**
   * For an earning still pending: when it becomes available (the end of the ticket's reopen
   * window; the release line follows then). Null on every other line.
   * @example 2030-05-07T09:31:40.000Z
   */
  availableAt: Date | null;
}

export class EarningsDto {
  balances: AgentBalanceDto[];
  lines: EarningsLineDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIyMDMwLTA1LTA0VDA5OjMxOjQwLjEyMFoiLCI4ZDdjNmI1YS00ZTNmLTRhMmItOWMxZC0wZTlmOGE3YjZjNWQiXQ
   */
  nextCursor: string | null;
}

export class EarningsQueryDto extends PageQueryDto {}

/** A statement's period and, as every list, `limit` and `cursor` for its lines. */
export class StatementQueryDto extends PageQueryDto {
  /**
   * A calendar month, from midnight of its 1st to the next month's, in the company's time zone
   * (the one its invoices close in), 1970-01 to 9998-12. Give it, or `from` and `to`.
   * @example 2030-05
   */
  @IsOptional()
  @IsMonth()
  month?: string;

  /** Tickets resolved at or after (RFC 3339); with `to`, instead of `month`. */
  @ApiInstant({ required: false })
  @IsOptional()
  @IsInstant()
  from?: string;

  /** Tickets resolved before. At most 366 days after `from`. */
  @ApiInstant({ required: false })
  @IsOptional()
  @IsInstant()
  to?: string;
}

export class StatementLineDto {
  /** @example e410f6b2-3c7d-4e8a-9b1f-6d2c5a8e7f30 */
  ticketId: string;
  /** @example conv-8842 */
  externalId: string;
  /** @example a7d3e9f1-2b4c-4d6e-8f0a-1c3e5b7d9f2a */
  claimId: string;
  /** @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b */
  agentId: string;
  /**
   * The display name of the agent who resolved the ticket (null if the agent no longer exists).
   * Companies see the name their agent works under, never the agent's email or payout details.
   * @example "Ana P."
   */
  agentDisplayName: string | null;
  /** @example 2030-05-04T09:31:40.000Z */
  resolvedAt: Date;
  /** @example EUR */
  currency: string;
  /**
   * The agent's pay for the ticket (the shift's rate).
   * @example 250
   */
  @ApiInteger()
  rateMinor: number;
  /**
   * The platform's fee on it.
   * @example 38
   */
  @ApiInteger()
  feeMinor: number;
  /**
   * rateMinor + feeMinor.
   * @example 288
   */
  @ApiInteger()
  totalMinor: number;
  /**
   * `reversed` lines (reopened tickets) are not in the totals. The invoice of the period the
   * reopen was booked in credits them, unless the invoice that charged them was written off
   * (the credit is then withheld: billed back). The statement counts by resolution, invoices by
   * booking, so a month's statement and its invoices can differ at the edges.
   * @example pending
   */
  @ApiProperty({ enum: ['pending', 'available', 'reversed'] })
  status: string;
}

export class StatementTotalDto {
  /** @example EUR */
  currency: string;
  /** @example 42 */
  @ApiInteger()
  tickets: number;
  /** @example 10500 */
  @ApiInteger()
  rateMinor: number;
  /** @example 1596 */
  @ApiInteger()
  feeMinor: number;
  /** @example 12096 */
  @ApiInteger()
  totalMinor: number;
}

export class StatementDto {
  /**
   * The period: `from` and `to` as given, or the month's bounds in the company's zone.
   * @example 2030-05-01T00:00:00Z
   */
  @ApiInstant()
  from: string;
  /** @example 2030-06-01T00:00:00Z */
  @ApiInstant()
  to: string;
  /**
   * The zone a `month` was read in (the company's); null for `from` and `to`.
   * @example Europe/Berlin
   */
  timeZone: string | null;
  /**
   * Per currency, the whole period's tickets and sums (every line of every page but the
   * reversed ones), on the first page; null on the pages after it, so that walking a busy
   * year's pages sums the year once, not once a page.
   */
  totals: StatementTotalDto[] | null;
  /** A page of the period's lines, by time of resolution (the claim's id breaks a tie). */
  lines: StatementLineDto[];
  /**
   * Pass as `cursor`, with the same period, for the next page; null on the last page.
   * @example WyIyMDMwLTA1LTA0VDA5OjMxOjQwLjAwMDAwMFoiLCJhN2QzZTlmMS0yYjRjLTRkNmUtOGYwYS0xYzNlNWI3ZDlmMmEiXQ
   */
  nextCursor: string | null;
}

export class TrialBalanceRowDto {
  /**
   * The ledger account: agent_pending, agent_available, company_receivable, platform_fees…
   * @example agent_available
   */
  account: string;
  /** @example EUR */
  currency: string;
  /**
   * Debits positive, credits negative: what the platform owes agents is negative.
   * @example -14300
   */
  @ApiInteger()
  balanceMinor: number;
}

/** One currency's sum of ledger lines. */
export class CurrencyBalanceDto {
  /** @example EUR */
  currency: string;
  /** @example 0 */
  @ApiInteger()
  balanceMinor: number;
}

export class TrialBalanceDto {
  /** Sum of every line per currency: always zero. */
  totals: CurrencyBalanceDto[];
  accounts: TrialBalanceRowDto[];
}

export class AgentOwingDto {
  /** @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b */
  agentId: string;
  /** @example Sam Rivera */
  agentDisplayName: string | null;
  /** @example sam@agents.example */
  agentEmail: string | null;
  /** @example EUR */
  currency: string;
  /**
   * The agent's available balance: below zero, what the agent owes. No payout run pays the
   * agent in this currency until earnings (or a credit adjustment) bring it back above zero.
   * @example -1500
   */
  @ApiInteger()
  availableMinor: number;
  /**
   * Earnings still pending in the currency: they cover the debt as they are released (their
   * reopen window over), unless reopened first.
   * @example 500
   */
  @ApiInteger()
  pendingMinor: number;
}

export class AgentsOwingDto {
  /** Most owed first; 500 at most. */
  items: AgentOwingDto[];
  /**
   * More agents owe than listed.
   * @example false
   */
  truncated: boolean;
}

export class UnreversedReopenedClaimDto {
  /** @example a7d3e9f1-2b4c-4d6e-8f0a-1c3e5b7d9f2a */
  claimId: string;
  /** @example e410f6b2-3c7d-4e8a-9b1f-6d2c5a8e7f30 */
  ticketId: string;
  /** @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b */
  agentId: string;
  /** @example 7c9e6679-7425-40de-944b-e07fc1f90ae7 */
  companyId: string;
  /**
   * The earning's state: `pending` or `available` (money the agent should not have).
   * @example available
   */
  @ApiProperty({ enum: ['pending', 'available'] })
  earningStatus: string;
  /** @example 250 */
  @ApiInteger()
  amountMinor: number;
  /** @example EUR */
  currency: string;
  /** @example 2030-05-05T08:00:00.000Z */
  reopenedAt: Date;
}

export class UnbookedResolutionDto {
  /** @example a7d3e9f1-2b4c-4d6e-8f0a-1c3e5b7d9f2a */
  claimId: string;
  /** @example e410f6b2-3c7d-4e8a-9b1f-6d2c5a8e7f30 */
  ticketId: string;
  /** @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b */
  agentId: string;
  /** @example 7c9e6679-7425-40de-944b-e07fc1f90ae7 */
  companyId: string;
  /**
   * The pay fixed at resolution, not yet earned by the agent nor owed by the company.
   * @example 250
   */
  @ApiInteger()
  amountMinor: number;
  /** @example EUR */
  currency: string;
  /** @example 2030-05-05T08:00:00.000Z */
  resolvedAt: Date;
}

export class UnreleasedEarningDto {
  /** @example a7d3e9f1-2b4c-4d6e-8f0a-1c3e5b7d9f2a */
  claimId: string;
  /** @example e410f6b2-3c7d-4e8a-9b1f-6d2c5a8e7f30 */
  ticketId: string;
  /** @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b */
  agentId: string;
  /**
   * The earning, still pending: the agent cannot be paid it.
   * @example 250
   */
  @ApiInteger()
  amountMinor: number;
  /** @example EUR */
  currency: string;
  /**
   * When it was to become available (the end of its reopen window).
   * @example 2030-05-08T08:00:00.000Z
   */
  dueAt: Date;
}

export class UninvoicedReceivableDto {
  /** @example 9c4e1a7b-2d3f-4e5a-8b6c-7d8e9f0a1b2c */
  companyId: string;
  /** @example "Acme Support" */
  companyName: string;
  /** @example EUR */
  currency: string;
  /**
   * Billable entries (resolutions, reversals, credits) booked over 40 days ago that no invoice
   * has billed.
   * @example 3
   */
  @ApiInteger()
  entries: number;
  /**
   * Their sum on the company's receivable (negative for credits).
   * @example 864
   */
  @ApiInteger()
  amountMinor: number;
  /** @example 2030-04-02T09:30:00.000Z */
  oldestAt: Date;
}

export class PendingBalanceMismatchDto {
  /** @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b */
  agentId: string;
  /** @example EUR */
  currency: string;
  /**
   * The agent's pending balance in the ledger (what it is owed, not yet payable).
   * @example 500
   */
  @ApiInteger()
  ledgerPendingMinor: number;
  /**
   * The sum of its earnings still pending, which that balance must equal.
   * @example 250
   */
  @ApiInteger()
  earningsPendingMinor: number;
}

export class LedgerIntegrityDto {
  /**
   * True when every check below is empty.
   * @example true
   */
  ok: boolean;
  /** @example 2030-06-01T07:00:00.000Z */
  checkedAt: Date;
  /**
   * Claims reopened over 15 minutes ago whose earning was booked and never reversed (should be
   * empty). Within those minutes the reversal's job may simply not have run yet.
   */
  reopenedClaimsNotReversed: UnreversedReopenedClaimDto[];
  /**
   * Resolutions older than 15 minutes with no earning booked (should be empty): the agent is
   * not paid and the company not billed for them. Their `ledger.ticket-event` job failed for
   * good, or is still retrying through an outage; the operations runbook says what to do.
   */
  resolvedClaimsNotBooked: UnbookedResolutionDto[];
  /**
   * Earnings still pending over 15 minutes after their reopen window ended (should be empty):
   * the agent cannot be paid them. Their `ledger.release-earning` timer failed for good and left
   * the queue, or was lost with Redis's data. `POST /v1/ledger/integrity/book-missing` releases
   * them. (A reopened claim's earning is never released: one whose reversal is missing shows
   * in `reopenedClaimsNotReversed` too, and is only reversed.)
   */
  earningsNotReleased: UnreleasedEarningDto[];
  /**
   * Per company and currency, billable entries booked over 40 days ago that no invoice billed
   * (should be empty): the longest period (a month) has closed by then, so the company's closing
   * keeps failing (its worker logs say why). Closing reads back 100 days: fixed before then, the
   * next sweep bills them; past it, they are never billed by itself.
   */
  receivablesNotInvoiced: UninvoicedReceivableDto[];
  /**
   * Agents whose pending balance in the ledger is not the sum of their pending earnings
   * (should be empty): each earning's booking, release and reversal post in the transaction
   * that changes it, so a difference means a posting or an earning was changed by hand, or a
   * bug. Nothing here fixes it: the operations runbook (payouts, checks) says what to look at.
   */
  pendingBalancesNotMatchingEarnings: PendingBalanceMismatchDto[];
  /**
   * More findings than listed in a check (500 at most each).
   * @example false
   */
  truncated: boolean;
  /** Currencies whose lines do not sum to zero (should be empty). */
  unbalancedCurrencies: CurrencyBalanceDto[];
}

/** What a company pays on top of each resolved ticket's rate. */
export class PricingDto {
  /**
   * The platform's fee in basis points of the rate (1500 = 15 %), charged per resolved ticket.
   * @example 1500
   */
  @ApiInteger()
  platformFeeBps: number;
  /**
   * The fee on a rate is rounded half up to a whole minor unit: a 250 rate pays 38 at 15 %.
   * @example half_up
   */
  @ApiProperty({ enum: ['half_up'] })
  feeRounding: 'half_up';
}
