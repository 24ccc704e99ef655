import { Body, Controller, Get, Header, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { IdParam } from '../../common/http/id-param';
import { PageQueryDto } from '../../common/pagination/page';
import { AgentPayoutsService } from './agent-payouts.service';
import { PayoutAccountService } from './payout-account.service';
import {
  AbandonPayoutLineDto,
  AgentPayoutPageDto,
  CreatePayoutRunDto,
  OnboardingView,
  PayoutAccountView,
  PayoutLineDto,
  PayoutRunDetailDto,
  PayoutRunDto,
  PayoutRunPageDto,
  PayoutRunsQueryDto,
  ReconciliationDto,
} from './payout.dto';
import { PayoutReconciliationService } from './payout-reconciliation.service';
import { PayoutRunExecutionService } from './payout-run-execution.service';
import { PayoutRunsService } from './payout-runs.service';

@ApiTags('money')
@ApiBearerAuth('user')
@Controller('v1/agents/me/payout-account')
@Roles('agent')
export class PayoutAccountController {
  constructor(private readonly accounts: PayoutAccountService) {}

  /** Creates your Stripe Express account (once) and returns a fresh onboarding link. */
  @Post()
  @HttpCode(200)
  onboard(@CurrentActor() actor: Actor): Promise<OnboardingView> {
    return this.accounts.onboard(actor);
  }

  /** Whether Stripe lets you receive payouts yet, and what it still needs. */
  @Get()
  get(@CurrentActor() actor: Actor): Promise<PayoutAccountView> {
    return this.accounts.get(actor);
  }
}

@ApiTags('money')
@ApiBearerAuth('user')
@Controller('v1/agents/me/payouts')
@Roles('agent')
export class AgentPayoutsController {
  constructor(private readonly payouts: AgentPayoutsService) {}

  /** What was paid to you, newest first: amount, currency, when, the Stripe transfer, reversals. */
  @Get()
  list(@CurrentActor() actor: Actor, @Query() query: PageQueryDto): Promise<AgentPayoutPageDto> {
    return this.payouts.history(actor, query.limit, query.cursor);
  }
}

@ApiTags('payouts')
@ApiBearerAuth('user')
@Controller('v1/payout-runs')
@Roles('finance')
export class PayoutRunsController {
  constructor(
    private readonly runs: PayoutRunsService,
    private readonly execution: PayoutRunExecutionService,
    private readonly reconciliation: PayoutReconciliationService,
  ) {}

  /** Drafts a run: a line per agent with money available at the cutoff, or why it is held. */
  @Post()
  create(
    @CurrentActor() actor: Actor,
    @Body() body: CreatePayoutRunDto,
  ): Promise<PayoutRunDetailDto> {
    return this.runs.create(actor, body);
  }

  @Get()
  list(
    @CurrentActor() actor: Actor,
    @Query() query: PayoutRunsQueryDto,
  ): Promise<PayoutRunPageDto> {
    return this.runs.list(actor, query);
  }

  /** Totals, progress and every line. */
  @Get(':id')
  get(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<PayoutRunDetailDto> {
    return this.runs.get(actor, id);
  }

  /** The run's lines as CSV, for the books. */
  @Get(':id/lines.csv')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @ApiProduces('text/csv')
  csv(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<string> {
    return this.runs.csv(actor, id);
  }

  /** Approves a draft; the approver must not be the creator. */
  @Post(':id/approve')
  @HttpCode(200)
  approve(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<PayoutRunDto> {
    return this.runs.approve(actor, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<PayoutRunDto> {
    return this.runs.cancel(actor, id);
  }

  /** Pays every payable line through Stripe, throttled; watch progress with GET. */
  @Post(':id/execute')
  @HttpCode(202)
  execute(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<PayoutRunDto> {
    return this.execution.execute(actor, id);
  }

  /** Sends the failed lines again. */
  @Post(':id/retry-failed')
  @HttpCode(202)
  retryFailed(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<PayoutRunDto> {
    return this.execution.retryFailed(actor, id);
  }

  /** Gives up on a line Stripe refused; its money stays available to the agent. */
  @Post(':id/lines/:lineId/abandon')
  @HttpCode(200)
  abandon(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @IdParam('lineId') lineId: string,
    @Body() body: AbandonPayoutLineDto,
  ): Promise<PayoutLineDto> {
    return this.execution.abandon(actor, id, lineId, body.reason);
  }

  /**
   * Every line of the run against Stripe's transfers: matched, amount_mismatch,
   * missing_at_stripe, unexpected_at_stripe, or not_sent (with the line's state); counts per
   * category.
   */
  @Get(':id/reconciliation')
  reconcile(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<ReconciliationDto> {
    return this.reconciliation.reconcile(actor, id);
  }
}
