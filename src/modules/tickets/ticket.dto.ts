import { ApiProperty, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsUUID, Length } from '../../common/validation/text-and-numbers';
import { ApiInstant, ApiInteger } from '../../common/http/openapi-property';
import { MoneyDto } from '../../common/money/money.dto';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { IsInstant } from '../../common/validation/is-instant';
import { IsOmittable } from '../../common/validation/omittable';
import { TranscriptMessageDto } from './escalation.dto';
import { IsPlainText } from './plain-text';
import {
  PRIORITIES,
  Priority,
  RELEASED_BY,
  TICKET_CLAIM_STATUSES,
  TICKET_STATUSES,
  TicketStatus,
} from './ticket-rules';

// Priorities live with the ticket's rules (escalation.dto reads them too); named here as before.
export { PRIORITIES, type Priority } from './ticket-rules';

/** The orders of GET /v1/tickets. */
export const TICKET_SORTS = ['newest', 'sla_deadline'] as const;
export type TicketSort = (typeof TICKET_SORTS)[number];

export class ListTicketsQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(TICKET_STATUSES)
  status?: TicketStatus;

  /**
   * `newest` (the default): the latest escalated first. `sla_deadline`: the nearest claim
   * deadline first, breached ones at the top; only with `status=open` (a claimed ticket's SLA is
   * settled). A cursor continues the order it was made in.
   */
  @IsOptional()
  @IsIn(TICKET_SORTS)
  sort?: TicketSort;

  @IsOptional()
  @IsIn(PRIORITIES)
  priority?: Priority;

  /** Created at or after. */
  @ApiInstant()
  @IsOptional()
  @IsInstant()
  from?: string;

  /** Created before. */
  @ApiInstant()
  @IsOptional()
  @IsInstant()
  to?: string;
}

export class QueueQueryDto {
  /** How many of the best tickets, 1–50 (default 20). */
  // Explicit: the plugin would mark it required (no `?`: the default fills it in).
  @ApiInteger({ required: false, minimum: 1, maximum: 50, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(50)
  limit: number = 20;
}

export class ReleaseTicketDto {
  /**
   * Why you are giving it back. The agents who hold it next read it (an internal note), and so
   * does the company that posted it (the claim's `releaseReason`, the `ticket.released` event);
   * never the customer.
   * @example "Needs a German speaker"
   */
  @IsPlainText(1, 1000)
  reason: string;
}

/** The agent's word on what the bot handed over (it feeds the company's handoff quality). */
export class HandoffFlagDto {
  /**
   * Whether the bot's summary and transcript had what the ticket needed.
   * @example false
   */
  @IsBoolean()
  complete: boolean;
  /**
   * What was missing (only when incomplete): short items, compared without case.
   * @example ["order id", "customer email"]
   */
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @Length(1, 80, { each: true })
  @Matches(/\S/, { each: true, message: 'each item of missing must not be blank' })
  missing?: string[];
}

export class ResolveTicketDto {
  /**
   * What you did; the company sees it (and its bot, in the `ticket.resolved` webhook).
   * @example "Refunded the duplicate charge and confirmed with the customer."
   */
  @IsPlainText(1, 5000)
  resolutionSummary: string;
  /** Optional: flag the bot's handoff as complete or not, and what was missing. */
  @IsOmittable()
  @IsObject()
  @ValidateNested()
  @Type(() => HandoffFlagDto)
  handoff?: HandoffFlagDto;
}

export class ReopenTicketDto {
  /**
   * Why the resolution was not good enough: the agents who work it next read it, and the
   * `ticket.reopened` webhook carries it.
   * @example "The customer is still charged twice"
   */
  @IsPlainText(1, 1000)
  reason: string;

  /**
   * The resolution you mean to reopen: its claim's id, as you read the ticket. If another
   * stands by now (this reopen is a retry, and the ticket was claimed and resolved again
   * since), 409 TICKET_RESOLVED_AGAIN and nothing changes, where without it the next agent's
   * resolution would be reopened and its pay clawed back.
   * @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b
   */
  @IsOmittable()
  @IsUUID()
  claimId?: string;
}

export class TicketSkillView {
  /** @example chargebacks */
  skill: string;
  /**
   * Current minimum; lowered by one after an SLA breach.
   * @example 2
   */
  @ApiInteger()
  minLevel: number;
  /**
   * What the bot asked for.
   * @example 3
   */
  @ApiInteger()
  requestedLevel: number;
}

/** Surge on a claim or an offer: fixed when the ticket was claimed (or offered). */
export class SurgePayView {
  /**
   * The multiplier on the shift's rate, in basis points: 12500 is 1.25 ×. When the shift's
   * surge budget capped the extra, the multiplier that extra makes of the rate, rounded down
   * to a basis point.
   * @example 12500
   */
  @ApiInteger()
  multiplierBps: number;
  /**
   * What it adds to the rate, in minor units of the pay's currency: what is paid. The rate ×
   * the multiplier, rounded down; or what was left of the shift's surge budget.
   * @example 62
   */
  @ApiInteger()
  extraMinor: number;
}

export class TicketClaimView {
  /** @example a7d3e9f1-2b4c-4d6e-8f0a-1c3e5b7d9f2a */
  claimId: string;
  /** @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b */
  agentId: string;
  /** @example "Ana P." */
  displayName: string;
  /** @example resolved */
  @ApiProperty({ enum: TICKET_CLAIM_STATUSES })
  status: string;
  /** @example 2030-05-04T09:18:02.000Z */
  claimedAt: Date;
  /** @example 2030-05-04T09:25:40.000Z */
  releasedAt: Date | null;
  /**
   * Who or what gave it back: the agent, or the platform for the agent (no activity, the
   * shift's end, a suspension…).
   * @example agent
   */
  @ApiProperty({ enum: RELEASED_BY, nullable: true })
  releasedBy: string | null;
  /** @example "Needs a German speaker" */
  releaseReason: string | null;
  /** @example 2030-05-04T09:31:40.000Z */
  resolvedAt: Date | null;
  /** @example "Refunded the duplicate charge and confirmed with the customer." */
  resolutionSummary: string | null;
  /** What resolving it paid, surge included (null unless resolved). */
  pay: MoneyDto | null;
  /** The surge fixed when it was claimed; null when none. */
  surge: SurgePayView | null;
  /**
   * When the company reopened the ticket this claim resolved (the pay was clawed back).
   * @example 2030-05-05T08:00:00.000Z
   */
  reopenedAt: Date | null;
}

export class TicketSummaryDto {
  /** @example e410f6b2-3c7d-4e8a-9b1f-6d2c5a8e7f30 */
  id: string;
  /** @example 7c9e6679-7425-40de-944b-e07fc1f90ae7 */
  companyId: string;
  /** @example conv-8842 */
  externalId: string;
  /** @example "Charged twice for order 1182" */
  subject: string;
  /** @example high */
  @ApiProperty({ enum: PRIORITIES })
  priority: Priority;
  /**
   * Priority after SLA bumps.
   * @example urgent
   */
  @ApiProperty({ enum: PRIORITIES })
  effectivePriority: Priority;
  /** @example en */
  language: string;
  /** @example resolved */
  @ApiProperty({ enum: TICKET_STATUSES })
  status: string;
  requiredSkills: TicketSkillView[];
  /**
   * An agent must claim it by then; after it the SLA is breached (priority up, skills relaxed).
   * @example 2030-05-04T09:17:31.000Z
   */
  slaDeadline: Date;
  /** @example 2030-05-04T09:17:31.000Z */
  slaBreachedAt: Date | null;
  /**
   * The agent holding it now (null when open).
   * @example 3f2b8c1e-5d4a-4e7f-9b6c-2a1d0e9f8c7b
   */
  claimedBy: string | null;
  /**
   * The holder's display name (null when open).
   * @example "Sam Rivera"
   */
  claimedByName: string | null;
  /** @example 2030-05-04T09:18:02.000Z */
  claimedAt: Date | null;
  /** @example 2030-05-04T09:31:40.000Z */
  resolvedAt: Date | null;
  /** @example 0 */
  @ApiInteger()
  reopenCount: number;
  /** @example 2030-05-04T09:12:31.000Z */
  createdAt: Date;
}

export class TicketDto extends TicketSummaryDto {
  /** @example "The customer was charged twice; the refund needs a human decision." */
  summary: string;
  transcript: TranscriptMessageDto[];
  /** @example ["Checked the order status", "Offered store credit"] */
  botAttempts: string[];
  /** @example cust-1182 */
  customerRef: string | null;
  /** @example {"orderId": "1182", "channel": "chat"} */
  metadata: Record<string, unknown>;
  /** @example 300 */
  @ApiInteger()
  claimSlaSeconds: number;
  /**
   * The escalation came while billing held the company (its credit limit passed, or an invoice
   * past due): it is taken and worked as any other, and finance sees it was.
   * @example false
   */
  billingHold: boolean;
  /**
   * While the ticket is resolved, until when its company may reopen it (REOPEN_WINDOW_HOURS
   * after the resolution); null otherwise. The company's (not in an agent's answers).
   * @example 2030-05-07T09:31:40.000Z
   */
  reopenDeadline: Date | null;
  /** Every claim, oldest first. */
  claims: TicketClaimView[];
}

export class TicketPageDto {
  items: TicketSummaryDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIyMDMwLTA1LTA0VDA5OjEyOjMxLjAwMFoiLCJlNDEwZjZiMi0zYzdkLTRlOGEtOWIxZi02ZDJjNWE4ZTdmMzAiXQ
   */
  nextCursor: string | null;
}

export class QueueItemDto {
  /** @example e410f6b2-3c7d-4e8a-9b1f-6d2c5a8e7f30 */
  id: string;
  /** @example 7c9e6679-7425-40de-944b-e07fc1f90ae7 */
  companyId: string;
  /** @example "Acme Support" */
  companyName: string;
  /** @example "Charged twice for order 1182" */
  subject: string;
  /** @example "The customer was charged twice; the refund needs a human decision." */
  summary: string;
  /** @example urgent */
  @ApiProperty({ enum: PRIORITIES })
  effectivePriority: Priority;
  /** @example en */
  language: string;
  requiredSkills: TicketSkillView[];
  /** @example 2030-05-04T09:17:31.000Z */
  slaDeadline: Date;
  /** @example 2030-05-04T09:12:31.000Z */
  createdAt: Date;
  /** What resolving it pays you, from your live shift, surge included if a claim now gets it. */
  pay: MoneyDto;
  /** The surge a claim now would get (fixed when claimed or offered); null when none. */
  surge: SurgePayView | null;
}

export class LiveShiftView {
  /** @example 5b0e6c1f-8a2d-4c3b-9e7f-1a2b3c4d5e6f */
  shiftId: string;
  /** @example 7c9e6679-7425-40de-944b-e07fc1f90ae7 */
  companyId: string;
  /** @example 2030-05-04T11:00:00.000Z */
  endsAt: Date;
}

export class QueueDto {
  /** Best first: priority (raised by SLA breaches), then claim deadline, then age. */
  items: QueueItemDto[];
  /** The shift you are checked in on now; null when none (then the queue is empty). */
  liveShift: LiveShiftView | null;
  /**
   * Tickets you hold now.
   * @example 1
   */
  @ApiInteger()
  activeTickets: number;
  /** @example 3 */
  @ApiInteger()
  maxConcurrentTickets: number;
}

/**
 * A ticket as its agent sees it: `claims` lists only your own claims on it. Not `billingHold`:
 * whether billing held the company is between the company and finance.
 */
export class AgentTicketDto extends OmitType(TicketDto, [
  'billingHold',
  'reopenDeadline',
] as const) {
  /** @example a7d3e9f1-2b4c-4d6e-8f0a-1c3e5b7d9f2a */
  claimId: string;
  /** What resolving it pays (paid, once resolved): the shift's rate and the claim's surge. */
  pay: MoneyDto;
  /** The surge fixed on your claim; null when none. */
  surge: SurgePayView | null;
}
