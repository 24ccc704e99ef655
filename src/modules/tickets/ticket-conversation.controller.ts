import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { ApiErrors } from '../../common/http/api-errors';
import { EXTERNAL_ID_DOC, ExternalIdParam } from '../../common/http/external-id-param';
import { IdParam } from '../../common/http/id-param';
import { Idempotent } from '../idempotency/idempotent.decorator';
import {
  CreateEscalationMessageDto,
  CreateTicketMessageDto,
  ListTicketMessagesQueryDto,
  TicketMessageDto,
  TicketMessagePageDto,
  TransferTicketDto,
  WithdrawEscalationDto,
} from './message.dto';
import { AgentTicketDto, TicketDto } from './ticket.dto';
import { TicketConversationService } from './ticket-conversation.service';
import { TicketHandoverService } from './ticket-handover.service';
import { TicketWithdrawalService } from './ticket-withdrawal.service';

@ApiTags('tickets')
@Controller('v1/escalations')
@Roles('bot')
export class EscalationConversationController {
  constructor(
    private readonly conversation: TicketConversationService,
    private readonly withdrawal: TicketWithdrawalService,
  ) {}

  /** Your ticket for a conversation, found by your own id for it. */
  @Get(':externalId')
  @EXTERNAL_ID_DOC
  @ApiOperation({ operationId: 'getEscalation', summary: 'Get a ticket by your conversation id' })
  get(@CurrentActor() actor: Actor, @ExternalIdParam() externalId: string): Promise<TicketDto> {
    return this.conversation.getByExternalId(actor, externalId);
  }

  /**
   * What the customer (or your bot) said, for the holding agent. 201 stored; the same
   * messageId and body again: 200 with the stored message; another body: 409.
   */
  @Post(':externalId/messages')
  @Idempotent()
  @EXTERNAL_ID_DOC
  @ApiOperation({ operationId: 'relayCustomerMessage', summary: "Relay the customer's message" })
  @ApiErrors('MESSAGE_ID_CONFLICT', 'TICKET_NOT_OPEN', 'TICKET_WITHDRAWN')
  @ApiCreatedResponse({ type: TicketMessageDto, description: 'Stored' })
  @ApiOkResponse({
    type: TicketMessageDto,
    description: 'The same messageId and body again: the message stored the first time',
  })
  async relay(
    @CurrentActor() actor: Actor,
    @ExternalIdParam() externalId: string,
    @Body() body: CreateEscalationMessageDto,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<TicketMessageDto> {
    const { message, created } = await this.conversation.postAsBot(actor, externalId, body);
    res.status(created ? 201 : 200);
    return message;
  }

  /**
   * The customer left or was helped: the ticket is withdrawn for good. It pays its holder as a
   * resolution only if they had already written to the customer.
   */
  @Post(':externalId/withdraw')
  @HttpCode(200)
  @Idempotent()
  @EXTERNAL_ID_DOC
  @ApiOperation({ operationId: 'withdrawEscalation', summary: 'Withdraw an escalation' })
  @ApiErrors('TICKET_NOT_OPEN')
  @ApiOkResponse({ type: TicketDto })
  withdraw(
    @CurrentActor() actor: Actor,
    @ExternalIdParam() externalId: string,
    @Body() body: WithdrawEscalationDto,
  ): Promise<TicketDto> {
    return this.withdrawal.withdraw(actor, externalId, body.reason);
  }
}

@ApiTags('tickets')
@Controller('v1/tickets')
export class TicketConversationController {
  constructor(
    private readonly conversation: TicketConversationService,
    private readonly handover: TicketHandoverService,
  ) {}

  /**
   * The conversation, oldest first: for the holder (or the agent who resolved it) and company
   * admins with internal notes, for a bot key only what the customer sees.
   */
  @Get(':id/messages')
  @Roles('agent', 'company_admin', 'bot')
  @ApiOperation({ operationId: 'listTicketMessages', summary: "List a ticket's messages" })
  @ApiErrors('TICKET_NOT_CLAIMED_BY_YOU')
  list(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Query() query: ListTicketMessagesQueryDto,
  ): Promise<TicketMessagePageDto> {
    return this.conversation.list(actor, id, query.limit, query.cursor);
  }

  /** Writes to the customer (relayed by the company's bot) or leaves an internal note. */
  @Post(':id/messages')
  @Roles('agent')
  @Idempotent()
  @ApiOperation({ operationId: 'postTicketMessage', summary: 'Write on your ticket' })
  @ApiErrors('AGENT_SUSPENDED', 'TICKET_NOT_CLAIMED_BY_YOU', 'TICKET_WITHDRAWN')
  @ApiCreatedResponse({ type: TicketMessageDto })
  post(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: CreateTicketMessageDto,
  ): Promise<TicketMessageDto> {
    return this.conversation.postAsAgent(actor, id, body);
  }

  /** Sends your ticket back to the queue needing other skills, with a note for the next agent. */
  @Post(':id/transfer')
  @HttpCode(200)
  @Roles('agent')
  @Idempotent()
  @ApiOperation({ operationId: 'transferTicket', summary: 'Transfer your ticket to other skills' })
  @ApiErrors('AGENT_SUSPENDED', 'TICKET_NOT_CLAIMED_BY_YOU', 'TICKET_WITHDRAWN')
  @ApiOkResponse({ type: AgentTicketDto })
  transfer(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: TransferTicketDto,
  ): Promise<AgentTicketDto> {
    return this.handover.transfer(actor, id, body);
  }
}
