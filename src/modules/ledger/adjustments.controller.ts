import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { IdParam } from '../../common/http/id-param';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { ApiErrors } from '../../common/http/api-errors';
import {
  AdjustmentDto,
  AdjustmentPageDto,
  AdjustmentsQueryDto,
  CreateAdjustmentDto,
  DecideAdjustmentDto,
} from './adjustment.dto';
import { AdjustmentsService } from './adjustments.service';

@ApiTags('money')
@Controller('v1/ledger/adjustments')
@Roles('finance')
export class AdjustmentsController {
  constructor(private readonly adjustments: AdjustmentsService) {}

  /**
   * Corrects an agent's available balance (audited, with a reason and your unique reference).
   * 201 posted, or pending when it takes what you moved for this agent in its currency without
   * approval in the last 24 hours (absolute amounts) above the approval threshold of the
   * currency (ADJUSTMENT_APPROVAL_MINOR_BY_CURRENCY, else ADJUSTMENT_APPROVAL_MINOR: a second
   * finance user approves);
   * the same reference and body again: 200 with the same adjustment; another body: 409.
   */
  @Post()
  @Idempotent()
  @ApiOperation({ operationId: 'createAdjustment', summary: "Adjust an agent's available balance" })
  @ApiErrors('NOT_FOUND', 'ADJUSTMENT_REFERENCE_CONFLICT')
  @ApiCreatedResponse({
    type: AdjustmentDto,
    description: 'Posted, or pending when it needs a second approval',
  })
  @ApiOkResponse({
    type: AdjustmentDto,
    description: 'The same reference and body again: the adjustment made the first time',
  })
  async create(
    @CurrentActor() actor: Actor,
    @Body() body: CreateAdjustmentDto,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<AdjustmentDto> {
    const { created, adjustment } = await this.adjustments.create(actor, body);
    res.status(created ? 201 : 200);
    return adjustment;
  }

  /** Newest first; filter by agent or status (`pending` is the approval queue). */
  @Get()
  @ApiOperation({ operationId: 'listAdjustments', summary: 'List adjustments' })
  list(
    @CurrentActor() actor: Actor,
    @Query() query: AdjustmentsQueryDto,
  ): Promise<AdjustmentPageDto> {
    return this.adjustments.list(actor, query);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getAdjustment', summary: 'Get an adjustment' })
  get(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<AdjustmentDto> {
    return this.adjustments.get(actor, id);
  }

  /** Approves a pending adjustment (not your own): the money moves now. */
  @Post(':id/approve')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ operationId: 'approveAdjustment', summary: 'Approve a pending adjustment' })
  @ApiErrors('ADJUSTMENT_STATE')
  approve(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: DecideAdjustmentDto,
  ): Promise<AdjustmentDto> {
    return this.adjustments.approve(actor, id, body.note);
  }

  /** Rejects a pending adjustment (not your own): nothing moves. */
  @Post(':id/reject')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ operationId: 'rejectAdjustment', summary: 'Reject a pending adjustment' })
  @ApiErrors('ADJUSTMENT_STATE')
  reject(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: DecideAdjustmentDto,
  ): Promise<AdjustmentDto> {
    return this.adjustments.reject(actor, id, body.note);
  }

  /** Withdraws your own pending adjustment. */
  @Post(':id/cancel')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ operationId: 'cancelAdjustment', summary: 'Withdraw your pending adjustment' })
  @ApiErrors('ADJUSTMENT_STATE')
  cancel(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<AdjustmentDto> {
    return this.adjustments.cancel(actor, id);
  }
}
