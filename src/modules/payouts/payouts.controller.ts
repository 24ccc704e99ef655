import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, RecentSignIn, Roles } from '../../common/auth/decorators';
import { IdParam } from '../../common/http/id-param';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { ApiErrors } from '../../common/http/api-errors';
import { AgentPayoutsService } from './agent-payouts.service';
import { PayoutAccountService } from './payout-account.service';
import { PayoutAccountStaffService } from './payout-account-staff.service';
import {
  AbandonPayoutLineDto,
  CreatePayoutRunDto,
  PayoutLineDto,
  PayoutRunDetailDto,
  PayoutRunDto,
  PayoutRunPageDto,
  PayoutRunsQueryDto,
} from './payout.dto';
import { ReconciliationDto } from './payout-reconciliation.dto';
import {
  AgentPayoutPageDto,
  AllowNewPayoutAccountDto,
  OnboardingView,
  PayoutAccountView,
  StaffPayoutAccountView,
} from './payout-account.dto';
import { PayoutReconciliationService } from './payout-reconciliation.service';
import { PayoutLinePageDto, PayoutLinesQueryDto, PayoutRunQueryDto } from './payout-run-read.dto';
import { PayoutRunExecutionService } from './payout-run-execution.service';
import { PayoutRunsService } from './payout-runs.service';

@ApiTags('money')
@Controller('v1/agents/me/payout-account')
@Roles('agent')
export class PayoutAccountController {
  constructor(private readonly accounts: PayoutAccountService) {}

  /**
   * Creates your Stripe Express account (once, or again in place of one that was closed: see
   * `canLinkNew`) and returns a fresh onboarding link.
   */
  @Post()
  @HttpCode(200)
  @RecentSignIn()
  @ApiOperation({
    operationId: 'onboardPayoutAccount',
    summary: 'Start or resume payout onboarding',
  })
  @ApiErrors('PAYOUT_ACCOUNT_REJECTED', 'CONFLICT')
  onboard(@CurrentActor() actor: Actor): Promise<OnboardingView> {
    return this.accounts.onboard(actor);
  }

  /** Whether Stripe lets you receive payouts yet, and what it still needs. */
  @Get()
  @ApiOperation({ operationId: 'getPayoutAccount', summary: 'Get your payout account' })
  @ApiErrors('NOT_FOUND')
  get(@CurrentActor() actor: Actor): Promise<PayoutAccountView> {
    return this.accounts.get(actor);
  }
}

@ApiTags('money')
@Controller('v1/agents/:id/payout-account')
export class StaffPayoutAccountController {
  constructor(private readonly accounts: PayoutAccountStaffService) {}

  /** The agent's account as staff see it: Stripe's own reason for a closing, earlier accounts. */
  @Get()
  @Roles('admin', 'finance')
  @ApiOperation({ operationId: 'getAgentPayoutAccount', summary: "Get an agent's payout account" })
  @ApiErrors('NOT_FOUND')
  get(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<StaffPayoutAccountView> {
    return this.accounts.get(actor, id);
  }

  /**
   * Lets the agent link a new Stripe account in place of their closed one, after a closing that
   * allows none by the agent (a rejection, or three accounts already). It answers the closing
   * the admin read (`stripeAccountId`, `stripeClosedReason`): 409 PAYOUT_ACCOUNT_STATE when that
   * changed since; it holds for that closing only and is kept on record.
   */
  @Post('allow-new-account')
  @HttpCode(200)
  @Idempotent()
  @Roles('admin')
  @RecentSignIn()
  @ApiOperation({
    operationId: 'allowNewPayoutAccount',
    summary: 'Allow an agent a new payout account',
  })
  @ApiErrors('NOT_FOUND', 'PAYOUT_ACCOUNT_STATE')
  allowNewAccount(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: AllowNewPayoutAccountDto,
  ): Promise<StaffPayoutAccountView> {
    return this.accounts.allowNewAccount(actor, id, body);
  }
}

@ApiTags('money')
@Controller('v1/agents/me/payouts')
@Roles('agent')
export class AgentPayoutsController {
  constructor(private readonly payouts: AgentPayoutsService) {}

  /** What was paid to you, newest first: amount, currency, when, the Stripe transfer, reversals. */
  @Get()
  @ApiOperation({ operationId: 'listMyPayouts', summary: 'List what was paid to you' })
  list(@CurrentActor() actor: Actor, @Query() query: PageQueryDto): Promise<AgentPayoutPageDto> {
    return this.payouts.history(actor, query.limit, query.cursor);
  }
}

@ApiTags('payouts')
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
  @Idempotent()
  @ApiOperation({ operationId: 'createPayoutRun', summary: 'Draft a payout run' })
  @ApiErrors('PAYOUT_RUN_OPEN')
  create(
    @CurrentActor() actor: Actor,
    @Body() body: CreatePayoutRunDto,
  ): Promise<PayoutRunDetailDto> {
    return this.runs.create(actor, body);
  }

  @Get()
  @ApiOperation({ operationId: 'listPayoutRuns', summary: 'List payout runs' })
  list(
    @CurrentActor() actor: Actor,
    @Query() query: PayoutRunsQueryDto,
  ): Promise<PayoutRunPageDto> {
    return this.runs.list(actor, query);
  }

  /** Totals, progress and every line (or none: `lines=none`). */
  @Get(':id')
  @ApiOperation({ operationId: 'getPayoutRun', summary: 'Get a payout run with its lines' })
  get(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Query() query: PayoutRunQueryDto,
  ): Promise<PayoutRunDetailDto> {
    return this.runs.get(actor, id, query);
  }

  /** The run's lines a page at a time, largest first, of one status or all. */
  @Get(':id/lines')
  @ApiOperation({ operationId: 'listPayoutRunLines', summary: "List a run's lines" })
  lines(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Query() query: PayoutLinesQueryDto,
  ): Promise<PayoutLinePageDto> {
    return this.runs.linesPage(actor, id, query);
  }

  /** The run's lines as CSV, for the books. */
  @Get(':id/lines.csv')
  @ApiProduces('text/csv')
  @ApiOperation({ operationId: 'getPayoutRunLinesCsv', summary: "Export a run's lines as CSV" })
  async csv(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<string> {
    const csv = await this.runs.csv(actor, id);
    // Set here, not by @Header: that one also labels a 404's JSON error body as CSV.
    res.type('text/csv; charset=utf-8');
    return csv;
  }

  /** Approves a draft; the approver must not be the creator. */
  @Post(':id/approve')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ operationId: 'approvePayoutRun', summary: 'Approve a draft run' })
  @ApiErrors('PAYOUT_RUN_STATE', 'RUN_HAS_NOTHING_TO_PAY')
  approve(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<PayoutRunDto> {
    return this.runs.approve(actor, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ operationId: 'cancelPayoutRun', summary: 'Cancel a run' })
  @ApiErrors('PAYOUT_RUN_STATE')
  cancel(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<PayoutRunDto> {
    return this.runs.cancel(actor, id);
  }

  /** Pays every payable line through Stripe, throttled; watch progress with GET. */
  @Post(':id/execute')
  @HttpCode(202)
  @Idempotent()
  @ApiOperation({ operationId: 'executePayoutRun', summary: 'Pay an approved run' })
  @ApiErrors('PAYOUT_RUN_STATE', 'PAYOUT_RUN_OTHER_STRIPE')
  execute(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<PayoutRunDto> {
    return this.execution.execute(actor, id);
  }

  /** Sends the failed lines again. */
  @Post(':id/retry-failed')
  @HttpCode(202)
  @Idempotent()
  @ApiOperation({
    operationId: 'retryFailedPayoutLines',
    summary: "Send a run's failed lines again",
  })
  @ApiErrors('PAYOUT_RUN_STATE', 'PAYOUT_RUN_OTHER_STRIPE')
  retryFailed(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<PayoutRunDto> {
    return this.execution.retryFailed(actor, id);
  }

  /** Gives up on a line Stripe refused; its money stays available to the agent. */
  @Post(':id/lines/:lineId/abandon')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ operationId: 'abandonPayoutLine', summary: 'Give up on a refused line' })
  @ApiErrors('PAYOUT_LINE_STATE')
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
  @ApiOperation({
    operationId: 'reconcilePayoutRun',
    summary: "Reconcile a run against Stripe's transfers",
  })
  reconcile(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<ReconciliationDto> {
    return this.reconciliation.reconcile(actor, id);
  }
}
