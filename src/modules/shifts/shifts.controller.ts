import { Body, Controller, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { IdParam } from '../../common/http/id-param';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { ApiErrors } from '../../common/http/api-errors';
import { CompanyAgentDto, CompanyAgentsQueryDto } from './shift-claim.dto';
import { CancelShiftDto, CreateShiftDto, UpdateShiftDto } from './shift-write.dto';
import { ListShiftsQueryDto, ShiftDetailDto, ShiftDto, ShiftPageDto } from './shift.dto';
import { CompanyAgentsService } from './company-agents.service';
import { ShiftCancellationService } from './shift-cancellation.service';
import { ShiftPostingService } from './shift-posting.service';
import { ShiftsService } from './shifts.service';

@ApiTags('shifts')
@Controller('v1/shifts')
@Roles('company_admin')
export class ShiftsController {
  constructor(
    private readonly shifts: ShiftsService,
    private readonly posting: ShiftPostingService,
    private readonly cancellation: ShiftCancellationService,
  ) {}

  /**
   * Posts a shift: a window of demand with seats, skills, languages and pay per ticket.
   * Refused with 402 while billing holds the company (credit limit passed, invoice past due).
   */
  @Post()
  @Idempotent()
  @ApiOperation({ operationId: 'createShift', summary: 'Post a shift' })
  @ApiErrors('PAYMENT_REQUIRED')
  create(@CurrentActor() actor: Actor, @Body() body: CreateShiftDto): Promise<ShiftDto> {
    return this.posting.create(actor, body);
  }

  /** The company's shifts, soonest first, with seats taken. */
  @Get()
  @ApiOperation({ operationId: 'listShifts', summary: "List the company's shifts" })
  list(@CurrentActor() actor: Actor, @Query() query: ListShiftsQueryDto): Promise<ShiftPageDto> {
    return this.shifts.list(actor, query);
  }

  /** One shift with its seat holders and waitlist. */
  @Get(':id')
  @ApiOperation({ operationId: 'getShift', summary: 'Get a shift' })
  get(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<ShiftDetailDto> {
    return this.shifts.get(actor, id);
  }

  /**
   * Changes a shift; once seats are taken (or tickets claimed under it are held) only changes safe for their holders are accepted.
   * More seats, a longer window or a higher rate are refused (402) while billing holds the
   * company.
   */
  @Patch(':id')
  @ApiOperation({ operationId: 'updateShift', summary: 'Change a shift' })
  @ApiErrors(
    'SHIFT_CLOSED',
    'SEATS_BELOW_TAKEN',
    'SHIFT_HAS_CLAIMS',
    'SURGE_BUDGET_COMMITTED',
    'PAYMENT_REQUIRED',
  )
  update(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: UpdateShiftDto,
  ): Promise<ShiftDetailDto> {
    return this.posting.update(actor, id, body);
  }

  /**
   * Cancels the shift; seat holders are released with no mark on their reliability (a seat past
   * its check-in deadline stays the no-show it is).
   */
  @Post(':id/cancel')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ operationId: 'cancelShift', summary: 'Cancel a shift' })
  @ApiErrors('SHIFT_CLOSED')
  cancel(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: CancelShiftDto,
  ): Promise<ShiftDto> {
    return this.cancellation.cancel(actor, id, body);
  }
}

@ApiTags('companies')
@Controller('v1/companies/me/agents')
@Roles('company_admin')
export class CompanyAgentsController {
  constructor(private readonly agents: CompanyAgentsService) {}

  /**
   * Agents who held a seat on the company's shifts, the latest seat first, found by name: the
   * ones the company may certify for its program (PUT /v1/companies/me/certified-agents/{id}).
   */
  @Get()
  @ApiOperation({
    operationId: 'listCompanyAgents',
    summary: "Find agents who worked the company's shifts",
  })
  list(
    @CurrentActor() actor: Actor,
    @Query() query: CompanyAgentsQueryDto,
  ): Promise<CompanyAgentDto[]> {
    return this.agents.find(actor, query);
  }
}
