import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO6391,
  IsString,
  Matches,
  Max,
  Min,
  Validate,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { EXTERNAL_ID, EXTERNAL_ID_RULE } from '../../common/http/external-id-param';
import { IsNestedObjects } from '../../common/validation/nested-object';
import { ApiInstant, ApiInteger } from '../../common/http/openapi-property';
import { IsInstant } from '../../common/validation/is-instant';
import { IsOmittable } from '../../common/validation/omittable';
import { RequiredSkillDto } from '../shifts/shift-write.dto';
import { IsPlainText } from './plain-text';
import { PRIORITIES, Priority } from './ticket-rules';

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
  @IsPlainText(1, MAX_MESSAGE_CHARS)
  text: string;

  /**
   * When it was said, as the bot sent it.
   * @example 2030-05-04T09:12:00Z
   */
  @ApiInstant()
  @IsInstant()
  at: string;
}

export class CreateEscalationDto {
  /**
   * Your bot's id for this conversation; sending it again returns the same ticket.
   * @example conv-8842
   */
  @IsString()
  @Matches(EXTERNAL_ID, { message: EXTERNAL_ID_RULE })
  externalId: string;

  /** @example "Charged twice for order 1182" */
  @IsPlainText(1, 300)
  subject: string;

  /**
   * The bot's summary of the conversation and why it escalates.
   * @example "The customer was charged twice; the refund needs a human decision."
   */
  @IsPlainText(1, 20_000)
  summary: string;

  /**
   * The conversation so far, oldest first (at most 500 messages).
   * @example [{"role": "customer", "text": "I was charged twice for order 1182", "at": "2030-05-04T09:12:00Z"}, {"role": "bot", "text": "Let me get a person to help.", "at": "2030-05-04T09:12:30Z"}]
   */
  // The plugin reads only a literal cap: a named one is told here.
  @ApiProperty({ maxItems: MAX_TRANSCRIPT_MESSAGES })
  @IsArray()
  @ArrayMaxSize(MAX_TRANSCRIPT_MESSAGES)
  @IsNestedObjects(() => TranscriptMessageDto)
  transcript: TranscriptMessageDto[];

  /**
   * What the bot already tried, so the agent does not repeat it.
   * @example ["Checked the order status", "Offered store credit"]
   */
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(50)
  @IsPlainText(1, 1000, { each: true })
  botAttempts?: string[];

  /** @example [{"skill": "chargebacks", "minLevel": 3}] */
  @IsArray()
  @ArrayMaxSize(5)
  @IsNestedObjects(() => RequiredSkillDto)
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
  @ApiInteger()
  @IsOmittable()
  @IsInt()
  @Min(30)
  @Max(604_800)
  claimSlaSeconds?: number;

  /**
   * Your reference for the customer, shown to the agent.
   * @example cust-1182
   */
  // Empty or blank is none (a bot's way of sending no reference, accepted before it was text).
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && value.trim() === '' ? undefined : value,
  )
  @IsOmittable()
  @IsPlainText(1, 200)
  customerRef?: string;

  /**
   * Anything else for the agent, as a small JSON object (≤ 8 KB).
   * @example {"orderId": "1182", "channel": "chat"}
   */
  @IsOmittable()
  @Validate(SmallJsonObject)
  metadata?: Record<string, unknown>;
}
