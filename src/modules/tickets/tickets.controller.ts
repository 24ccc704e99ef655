import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { IdParam } from '../../common/http/id-param';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { RateLimit } from '../../common/http/rate-limit';
import { ApiErrors } from '../../common/http/api-errors';
import {
  AgentTicketDto,
  ListTicketsQueryDto,
  QueueDto,
  QueueQueryDto,
  ReleaseTicketDto,
  ReopenTicketDto,
  ResolveTicketDto,
  TicketDto,
  TicketPageDto,
} from './ticket.dto';
import { CreateEscalationDto } from './escalation.dto';
import { TicketIntakeService } from './ticket-intake.service';
import { AgentTicketsService } from './agent-tickets.service';
import { TicketMatchingService } from './ticket-matching.service';
import { TicketWorkService } from './ticket-work.service';
import { TicketsService } from './tickets.service';

@ApiTags('tickets')
@Controller('v1/escalations')
@Roles('bot')
export class EscalationsController {
  constructor(private readonly intake: TicketIntakeService) {}

  /**
   * A company's bot escalates a conversation. 201 with the new ticket; the same externalId and
   * payload again: 200 with the same ticket; same externalId, different payload: 409.
   */
  @Post()
  @Idempotent()
  @RateLimit('intake')
  @ApiOperation({ operationId: 'createEscalation', summary: 'Escalate a conversation to a human' })
  @ApiErrors('TICKET_EXTERNAL_ID_CONFLICT')
  @ApiCreatedResponse({ type: TicketDto, description: 'A new ticket' })
  @ApiOkResponse({
    type: TicketDto,
    description: 'The same externalId and payload again: the ticket made the first time',
  })
  async escalate(
    @CurrentActor() actor: Actor,
    @Body() body: CreateEscalationDto,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<TicketDto> {
    const { ticket, created } = await this.intake.escalate(actor, body);
    res.status(created ? 201 : 200);
    return ticket;
  }
}

@ApiTags('tickets')
@Controller('v1/tickets')
export class TicketsController {
  constructor(private readonly tickets: TicketsService) {}

  /** The company's tickets, newest first. */
  @Get()
  @Roles('company_admin', 'bot')
  @ApiOperation({ operationId: 'listTickets', summary: "List the company's tickets" })
  list(@CurrentActor() actor: Actor, @Query() query: ListTicketsQueryDto): Promise<TicketPageDto> {
    return this.tickets.list(actor, query);
  }

  /** One ticket with its claim history. */
  @Get(':id')
  @Roles('company_admin', 'bot')
  @ApiOperation({ operationId: 'getTicket', summary: 'Get a ticket' })
  get(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<TicketDto> {
    return this.tickets.get(actor, id);
  }

  /** Sends a badly resolved ticket back to the queue, within the reopen window. */
  @Post(':id/reopen')
  @HttpCode(200)
  @Roles('company_admin', 'bot')
  // A retry of a lost answer with the same key gets that answer; without one it would reopen
  // whatever resolution stands by then (another agent's, since), clawing back their pay.
  @Idempotent()
  @ApiOperation({ operationId: 'reopenTicket', summary: 'Reopen a resolved ticket' })
  @ApiErrors('TICKET_NOT_OPEN', 'TICKET_WITHDRAWN', 'REOPEN_WINDOW_CLOSED', 'TICKET_RESOLVED_AGAIN')
  reopen(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: ReopenTicketDto,
  ): Promise<TicketDto> {
    return this.tickets.reopen(actor, id, body.reason, body.claimId);
  }
}

@ApiTags('tickets')
@Controller('v1')
@Roles('agent')
export class AgentTicketsController {
  constructor(
    private readonly matching: TicketMatchingService,
    private readonly agentTickets: AgentTicketsService,
    private readonly work: TicketWorkService,
  ) {}

  /** The best tickets you could take now (checked in on a live shift), with their pay. */
  @Get('agents/me/queue')
  @ApiOperation({ operationId: 'getMyQueue', summary: 'Get your ticket queue' })
  @ApiErrors('NOT_FOUND')
  queue(@CurrentActor() actor: Actor, @Query() query: QueueQueryDto): Promise<QueueDto> {
    return this.matching.queue(actor, query.limit);
  }

  /** Claims the best eligible ticket: 200 with it, or 204 when there is none. */
  @Post('agents/me/tickets/claim-next')
  @Idempotent()
  @ApiOkResponse({ type: AgentTicketDto })
  @ApiNoContentResponse({ description: 'No eligible ticket right now' })
  @ApiOperation({ operationId: 'claimNextTicket', summary: 'Claim the best ticket for you' })
  @ApiErrors('NOT_FOUND', 'NOT_ELIGIBLE', 'AGENT_AT_CAPACITY', 'WORK_COMES_AS_OFFERS')
  async claimNext(
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<AgentTicketDto | undefined> {
    const ticket = await this.matching.claimNext(actor);
    res.status(ticket ? 200 : 204);
    return ticket ?? undefined;
  }

  /** Your active tickets, in full. */
  @Get('agents/me/tickets')
  @ApiOperation({ operationId: 'listMyTickets', summary: 'List your active tickets' })
  mine(@CurrentActor() actor: Actor): Promise<AgentTicketDto[]> {
    return this.agentTickets.mine(actor);
  }

  /** A ticket you hold or resolved (your earnings link here), with its pay; others are 404. */
  @Get('agents/me/tickets/:id')
  @ApiOperation({ operationId: 'getMyTicket', summary: 'Get a ticket you hold or resolved' })
  @ApiErrors('NOT_FOUND')
  one(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<AgentTicketDto> {
    return this.agentTickets.one(actor, id);
  }

  /**
   * Claims this ticket. 409 TICKET_ALREADY_CLAIMED or AGENT_AT_CAPACITY; 403 NOT_ELIGIBLE; 404
   * also for a ticket of a company the agent never held a seat with.
   */
  @Post('tickets/:id/claim')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ operationId: 'claimTicket', summary: 'Claim a ticket' })
  @ApiErrors(
    'NOT_ELIGIBLE',
    'TICKET_ALREADY_CLAIMED',
    'TICKET_NOT_OPEN',
    'AGENT_AT_CAPACITY',
    'WORK_COMES_AS_OFFERS',
  )
  claim(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<AgentTicketDto> {
    return this.matching.claim(actor, id);
  }

  /** Keeps your claim alive (the handle timeout counts from the last activity). */
  @Post('tickets/:id/heartbeat')
  @HttpCode(204)
  @ApiOperation({ operationId: 'heartbeatTicket', summary: 'Keep your claim on a ticket alive' })
  @ApiErrors('AGENT_SUSPENDED', 'TICKET_NOT_CLAIMED_BY_YOU')
  async heartbeat(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<void> {
    await this.work.heartbeat(actor, id);
  }

  /** Gives the ticket back to the queue; you are not offered it again for a while. */
  @Post('tickets/:id/release')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ operationId: 'releaseTicket', summary: 'Give a ticket back to the queue' })
  @ApiOkResponse({ type: AgentTicketDto })
  @ApiErrors('AGENT_SUSPENDED', 'TICKET_NOT_CLAIMED_BY_YOU')
  release(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: ReleaseTicketDto,
  ): Promise<AgentTicketDto> {
    return this.work.release(actor, id, body.reason);
  }

  /** Resolves your ticket; it pays the rate of the shift you claimed it under. */
  @Post('tickets/:id/resolve')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ operationId: 'resolveTicket', summary: 'Resolve your ticket' })
  @ApiOkResponse({ type: AgentTicketDto })
  @ApiErrors(
    'AGENT_SUSPENDED',
    'TICKET_NOT_CLAIMED_BY_YOU',
    'TICKET_ALREADY_RESOLVED',
    'TICKET_NOT_OPEN',
    'TICKET_WITHDRAWN',
  )
  resolve(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: ResolveTicketDto,
  ): Promise<AgentTicketDto> {
    return this.work.resolve(actor, id, body.resolutionSummary, body.handoff);
  }
}
