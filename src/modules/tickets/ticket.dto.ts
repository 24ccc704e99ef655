import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO6391,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  Validate,
  ValidateNested,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { MoneyDto } from '../../common/money/money.dto';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { IsInstant } from '../../common/validation/is-instant';
import { IsOmittable } from '../../common/validation/omittable';
import { RequiredSkillDto } from '../shifts/shift.dto';
import { TICKET_CLAIM_STATUSES, TICKET_STATUSES, TicketStatus } from './ticket-rules';

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const MAX_TRANSCRIPT_MESSAGES = 500;
export const MAX_MESSAGE_CHARS = 10_000;
const MAX_METADATA_BYTES = 8 * 1024;

@ValidatorConstraint({ name: 'smallJsonObject' })
class SmallJsonObject implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      Buffer.byteLength(JSON.stringify(value)) <= MAX_METADATA_BYTES
    );
  }

  defaultMessage(): string {
    return `$property must be a JSON object of at most ${MAX_METADATA_BYTES} bytes`;
  }
}

export class TranscriptMessageDto {
  /** @example customer */
  @IsIn(['customer', 'bot', 'system'])
  role: 'customer' | 'bot' | 'system';

  /** @example "I was charged twice for order 1182" */
  @IsString()
  @Length(1, MAX_MESSAGE_CHARS)
  text: string;

  /** @example 2030-05-04T09:12:00Z */
  @IsInstant()
  at: string;
}

export class CreateEscalationDto {
  /**
   * Your bot's id for this conversation; sending it again returns the same ticket.
   * @example conv-8842
   */
  @IsString()
  @Matches(/^[A-Za-z0-9._:/-]{1,200}$/, {
    message: 'externalId must be 1-200 characters of letters, digits and . _ : / -',
  })
  externalId: string;

  /** @example "Charged twice for order 1182" */
  @IsString()
  @Length(1, 300)
  @Matches(/\S/, { message: 'subject must not be blank' })
  subject: string;

  /**
   * The bot's summary of the conversation and why it escalates.
   * @example "The customer was charged twice; the refund needs a human decision."
   */
  @IsString()
  @Length(1, 20_000)
  summary: string;

  /**
   * The conversation so far, oldest first (at most 500 messages).
   * @example [{"role": "customer", "text": "I was charged twice for order 1182", "at": "2030-05-04T09:12:00Z"}, {"role": "bot", "text": "Let me get a person to help.", "at": "2030-05-04T09:12:30Z"}]
   */
  @IsArray()
  @ArrayMaxSize(MAX_TRANSCRIPT_MESSAGES)
  @ValidateNested({ each: true })
  @Type(() => TranscriptMessageDto)
  transcript: TranscriptMessageDto[];

  /**
   * What the bot already tried, so the agent does not repeat it.
   * @example ["Checked the order status", "Offered store credit"]
   */
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(1000, { each: true })
  botAttempts?: string[];

  /** @example [{"skill": "chargebacks", "minLevel": 2}] */
  @IsArray()
  @ArrayMaxSize(5)
  @ValidateNested({ each: true })
  @Type(() => RequiredSkillDto)
  requiredSkills: RequiredSkillDto[];

  /**
   * ISO 639-1 language of the customer.
   * @example en
   */
  @IsISO6391({ message: 'language must be an ISO 639-1 code such as en' })
  language: string;

  /** @example high */
  @ApiProperty({ enum: PRIORITIES })
  @IsIn(PRIORITIES)
  priority: Priority;

  /**
   * Seconds an agent has to claim it; default by priority (urgent 120, high 300, normal 900, low 3600).
   * @example 300
   */
  @IsOmittable()
  @IsInt()
  @Min(30)
  @Max(604_800)
  claimSlaSeconds?: number;

  /**
   * Your reference for the customer, shown to the agent.
   * @example cust-1182
   */
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  customerRef?: string;

  /**
   * Anything else for the agent, as a small JSON object (≤ 8 KB).
   * @example {"orderId": "1182", "channel": "chat"}
   */
  @IsOmittable()
  @Validate(SmallJsonObject)
  metadata?: Record<string, unknown>;
}

export class ListTicketsQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(TICKET_STATUSES)
  status?: TicketStatus;

  @IsOptional()
  @IsIn(PRIORITIES)
  priority?: Priority;

  /** Created at or after. */
  @IsOptional()
  @IsInstant()
  from?: string;

  /** Created before. */
  @IsOptional()
  @IsInstant()
  to?: string;
}

export class QueueQueryDto {
  /** How many of the best tickets, 1–50 (default 20). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(50)
  limit: number = 20;
}

export class ReleaseTicketDto {
  /**
   * Why you are giving it back; the next agent sees it.
   * @example "Needs a German speaker"
   */
  @IsString()
  @Length(1, 1000)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;
}

export class ResolveTicketDto {
  /**
   * What you did; the company sees it.
   * @example "Refunded the duplicate charge and confirmed with the customer."
   */
  @IsString()
  @Length(1, 5000)
  @Matches(/\S/, { message: 'resolutionSummary must not be blank' })
  resolutionSummary: string;
}

export class ReopenTicketDto {
  /** @example "The customer is still charged twice" */
  @IsString()
  @Length(1, 1000)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;
}

export class TicketSkillView {
  skill: string;
  /** Current minimum; lowered by one after an SLA breach. */
  minLevel: number;
  /** What the bot asked for. */
  requestedLevel: number;
}

export class TicketClaimView {
  claimId: string;
  agentId: string;
  displayName: string;
  @ApiProperty({ enum: TICKET_CLAIM_STATUSES })
  status: string;
  claimedAt: Date;
  releasedAt: Date | null;
  releasedBy: string | null;
  releaseReason: string | null;
  resolvedAt: Date | null;
  resolutionSummary: string | null;
  pay: MoneyDto | null;
  reopenedAt: Date | null;
}

export class TicketSummaryDto {
  id: string;
  companyId: string;
  externalId: string;
  subject: string;
  @ApiProperty({ enum: PRIORITIES })
  priority: Priority;
  /** Priority after SLA bumps. */
  @ApiProperty({ enum: PRIORITIES })
  effectivePriority: Priority;
  language: string;
  @ApiProperty({ enum: TICKET_STATUSES })
  status: string;
  requiredSkills: TicketSkillView[];
  slaDeadline: Date;
  slaBreachedAt: Date | null;
  claimedBy: string | null;
  claimedAt: Date | null;
  resolvedAt: Date | null;
  reopenCount: number;
  createdAt: Date;
}

export class TicketDto extends TicketSummaryDto {
  summary: string;
  transcript: TranscriptMessageDto[];
  botAttempts: string[];
  customerRef: string | null;
  metadata: Record<string, unknown>;
  claimSlaSeconds: number;
  /** Every claim, oldest first. */
  claims: TicketClaimView[];
}

export class TicketPageDto {
  items: TicketSummaryDto[];
  nextCursor: string | null;
}

export class QueueItemDto {
  id: string;
  companyId: string;
  companyName: string;
  subject: string;
  summary: string;
  @ApiProperty({ enum: PRIORITIES })
  effectivePriority: Priority;
  language: string;
  requiredSkills: TicketSkillView[];
  slaDeadline: Date;
  createdAt: Date;
  /** What resolving it pays you, from your live shift. */
  pay: MoneyDto;
}

export class LiveShiftView {
  shiftId: string;
  companyId: string;
  endsAt: Date;
}

export class QueueDto {
  /** Best first: priority (raised by SLA breaches), then claim deadline, then age. */
  items: QueueItemDto[];
  /** The shift you are checked in on now; null when none (then the queue is empty). */
  liveShift: LiveShiftView | null;
  activeTickets: number;
  maxConcurrentTickets: number;
}

export class AgentTicketDto extends TicketDto {
  claimId: string;
  pay: MoneyDto;
}
