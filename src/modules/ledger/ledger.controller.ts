import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import {
  AgentsOwingDto,
  EarningsDto,
  EarningsQueryDto,
  LedgerIntegrityDto,
  PricingDto,
  StatementDto,
  StatementQueryDto,
  TrialBalanceDto,
} from './ledger.dto';
import { CompanyStatementService } from './company-statement.service';
import { EarningsService } from './earnings.service';
import { LedgerIntegrityService } from './ledger-integrity.service';

@ApiTags('money')
@Controller('v1')
export class LedgerController {
  constructor(
    private readonly earnings: EarningsService,
    private readonly statements: CompanyStatementService,
    private readonly integrity: LedgerIntegrityService,
  ) {}

  /** Your pending, available and paid totals, and every line behind them (newest first). */
  @Get('agents/me/earnings')
  @Roles('agent')
  @ApiOperation({ operationId: 'getMyEarnings', summary: 'Get your earnings' })
  agentEarnings(
    @CurrentActor() actor: Actor,
    @Query() query: EarningsQueryDto,
  ): Promise<EarningsDto> {
    return this.earnings.agentEarnings(actor, query.limit, query.cursor);
  }

  /** The platform fee on each resolved ticket (the console previews a shift's cost with it). */
  @Get('companies/me/pricing')
  @Roles('company_admin')
  @ApiOperation({ operationId: 'getCompanyPricing', summary: 'Get the platform fee' })
  pricing(@CurrentActor() actor: Actor): PricingDto {
    return this.earnings.pricing(actor);
  }

  /**
   * Resolved tickets in a period (a month in the company's zone, or `from` and `to`), each with
   * its rate and platform fee, by time of resolution, a page at a time: pass the answer's
   * `nextCursor` as `cursor`, with the same period, for the next page. The first page carries
   * the whole period's totals per currency (null on the pages after it).
   */
  @Get('companies/me/statement')
  @Roles('company_admin')
  @ApiOperation({
    operationId: 'getCompanyStatement',
    summary: "Get the company's statement for a period",
  })
  statement(
    @CurrentActor() actor: Actor,
    @Query() query: StatementQueryDto,
  ): Promise<StatementDto> {
    return this.statements.companyStatement(actor, query);
  }

  /** Every ledger account's balance; each currency sums to zero. */
  @Get('ledger/trial-balance')
  @Roles('finance')
  @ApiOperation({ operationId: 'getTrialBalance', summary: 'Get the trial balance' })
  trialBalance(@CurrentActor() actor: Actor): Promise<TrialBalanceDto> {
    return this.earnings.trialBalance(actor);
  }

  /**
   * Agents whose available balance is below zero (a clawback after they were paid, a debit
   * adjustment), most owed first, with their pending earnings: the trial balance nets them
   * against the agents who are owed.
   */
  @Get('ledger/agents-owing')
  @Roles('finance')
  @ApiOperation({ operationId: 'listAgentsOwing', summary: 'List the agents who owe' })
  agentsOwing(@CurrentActor() actor: Actor): Promise<AgentsOwingDto> {
    return this.earnings.agentsOwing(actor);
  }

  /** Invariants of the books (reopened claims keep no earning; currencies sum to zero). */
  @Get('ledger/integrity')
  @Roles('finance')
  @ApiOperation({ operationId: 'getLedgerIntegrity', summary: "Check the ledger's invariants" })
  integrityReport(@CurrentActor() actor: Actor): Promise<LedgerIntegrityDto> {
    return this.integrity.report(actor);
  }

  /**
   * Books the resolutions the check lists as not booked (their job failed for good and left
   * the queue), each once; answers the check as it then stands.
   */
  @Post('ledger/integrity/book-missing')
  @HttpCode(200)
  @Roles('finance')
  @ApiOperation({
    operationId: 'bookMissingEarnings',
    summary: 'Book the resolutions the ledger check found unbooked',
  })
  bookMissing(@CurrentActor() actor: Actor): Promise<LedgerIntegrityDto> {
    return this.integrity.bookMissing(actor);
  }
}
