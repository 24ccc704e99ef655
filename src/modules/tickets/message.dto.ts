import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsString, Matches } from 'class-validator';
import { ApiInstant, ApiInteger } from '../../common/http/openapi-property';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { IsInstant } from '../../common/validation/is-instant';
import { IsNestedObjects } from '../../common/validation/nested-object';
import { RequiredSkillDto } from '../shifts/shift-write.dto';
import { IsPlainText } from './plain-text';

/** A message's body: 1–4,000 characters (a long chat message; a transcript goes in the escalation). */
export const MAX_BODY_CHARS = 4000;
export const MESSAGE_VISIBILITIES = ['customer', 'internal'] as const;
export type MessageVisibility = (typeof MESSAGE_VISIBILITIES)[number];
export const MESSAGE_AUTHORS = ['agent', 'customer', 'bot'] as const;
export type MessageAuthor = (typeof MESSAGE_AUTHORS)[number];
/** Who the bot says wrote a message it relays. */
export const RELAYED_AUTHORS = ['customer', 'bot'] as const;

export class CreateTicketMessageDto {
  /**
   * Plain text, 1–4,000 characters; line feeds and tabs are kept, other control characters refused.
   * @example "I have re-issued the refund; it should reach your card within 3 days."
   */
  @IsPlainText(1, MAX_BODY_CHARS)
  body: string;

  /**
   * `customer`: sent to the customer through the company's bot (webhook and event
   * `ticket.message`). `internal`: a note kept with the ticket for later agents and the company.
   * @example customer
   */
  @ApiProperty({ enum: MESSAGE_VISIBILITIES })
  @IsIn(MESSAGE_VISIBILITIES)
  visibility: MessageVisibility;
}

export class CreateEscalationMessageDto {
  /**
   * Your bot's id for this message; sending it again with the same body, author and `at` is
   * answered with the message stored the first time (anything else under it is 409).
   * @example msg-20931
   */
  @IsString()
  @Matches(/^[A-Za-z0-9._:/-]{1,200}$/, {
    message: 'messageId must be 1-200 characters of letters, digits and . _ : / -',
  })
  messageId: string;

  /**
   * Plain text, 1–4,000 characters.
   * @example "Thanks, and will I get an email confirming it?"
   */
  @IsPlainText(1, MAX_BODY_CHARS)
  body: string;

  /** @example customer */
  @ApiProperty({ enum: RELAYED_AUTHORS })
  @IsIn(RELAYED_AUTHORS)
  author: 'customer' | 'bot';

  /**
   * When it was said, as your bot saw it.
   * @example 2030-05-04T09:20:00Z
   */
  @ApiInstant()
  @IsInstant()
  at: string;
}

export class WithdrawEscalationDto {
  /**
   * Why: the customer left, or was helped another way.
   * @example "The customer closed the chat"
   */
  @IsPlainText(1, 500)
  reason: string;
}

export class TransferTicketDto {
  /**
   * The skills the ticket needs now (at most 5); they replace the ones it had.
   * @example [{"skill": "chargebacks", "minLevel": 3}]
   */
  @IsArray()
  @ArrayMaxSize(5)
  @IsNestedObjects(() => RequiredSkillDto)
  requiredSkills: RequiredSkillDto[];

  /**
   * For the agents who hold it next (an internal note on the ticket); the company that posted it
   * reads it too (the claim's `releaseReason`, the `ticket.transferred` event), never the
   * customer.
   * @example "A chargeback was opened; needs the chargebacks team."
   */
  @IsPlainText(1, MAX_BODY_CHARS)
  note: string;
}

export class ListTicketMessagesQueryDto extends PageQueryDto {}

export class TicketMessageDto {
  /** @example 7a2c4e91-5b8d-4f36-a1e0-9d3b6c8f2e45 */
  id: string;

  /** @example 5b0c2a4e-8f0e-4c61-9a43-2f1d7c9b6e10 */
  ticketId: string;

  /**
   * Its place in the ticket's conversation: 1, 2, 3… The conversation is listed in this order.
   * Webhooks can arrive out of order (deliveries retry on their own): order by it. A gap is a
   * message not shown to you (an internal note, to a bot).
   * @example 4
   */
  @ApiInteger()
  number: number;

  /** @example agent */
  @ApiProperty({ enum: MESSAGE_AUTHORS })
  author: MessageAuthor;

  /**
   * The agent who wrote it (author `agent`), else null.
   * @example 9e4a7b21-6c3d-4f80-b5e2-3d1c0a9f8b64
   */
  agentId: string | null;

  /** @example customer */
  @ApiProperty({ enum: MESSAGE_VISIBILITIES })
  visibility: MessageVisibility;

  /** @example "I have re-issued the refund; it should reach your card within 3 days." */
  body: string;

  /**
   * Your bot's messageId (authors `customer` and `bot`), else null.
   * @example msg-20931
   */
  messageId: string | null;

  /**
   * When it was said: the bot's `at`, or when the agent sent it.
   * @example 2030-05-04T09:20:00.000Z
   */
  sentAt: Date;

  /**
   * When Handoff stored it.
   * @example 2030-05-04T09:20:00.412Z
   */
  createdAt: Date;
}

export class TicketMessagePageDto {
  items: TicketMessageDto[];

  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIxMiJd
   */
  nextCursor: string | null;
}
