import { Body, Controller, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { ApiErrors } from '../../common/http/api-errors';
import { IdParam } from '../../common/http/id-param';
import { CreditControlService } from './credit-control.service';
import { CreditStandingDto, LiftHoldDto, SetCreditLimitDto } from './credit.dto';
import { Idempotent } from '../idempotency/idempotent.decorator';

/** Finance's credit control of a company: its standing, its limit, lifting its hold. */
@ApiTags('billing')
@Controller('v1/companies/:companyId/credit')
@Roles('finance')
export class CreditController {
  constructor(private readonly credit: CreditControlService) {}

  /** What the company owes, its limit, and why (if so) it is held. */
  @Get()
  @ApiOperation({ operationId: 'getCompanyCredit', summary: "Get a company's credit standing" })
  @ApiErrors('NOT_FOUND')
  get(
    @CurrentActor() actor: Actor,
    @IdParam('companyId') companyId: string,
  ): Promise<CreditStandingDto> {
    return this.credit.of(actor, companyId);
  }

  /** Sets the company's own credit limit (null: the configured default). */
  @Put('limit')
  @ApiOperation({ operationId: 'setCompanyCreditLimit', summary: "Set a company's credit limit" })
  @ApiErrors('NOT_FOUND')
  setLimit(
    @CurrentActor() actor: Actor,
    @IdParam('companyId') companyId: string,
    @Body() body: SetCreditLimitDto,
  ): Promise<CreditStandingDto> {
    return this.credit.setLimit(actor, companyId, body);
  }

  /**
   * Lifts the hold as it is now for a number of hours (a payment on its way, an agreed plan):
   * the company may post shifts again meanwhile; the reason is kept. It answers holds of its
   * kind during the lift: a credit-limit lift any credit-limit hold, an invoice lift a hold on
   * the same invoices (past due, then written off). Another kind (an invoice going past due
   * under a lifted credit limit) or another invoice is not lifted by it. 409 NOT_HELD when the
   * company is not held.
   */
  @Post('lift')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ operationId: 'liftCompanyCreditHold', summary: "Lift a company's credit hold" })
  @ApiErrors('NOT_FOUND', 'NOT_HELD')
  lift(
    @CurrentActor() actor: Actor,
    @IdParam('companyId') companyId: string,
    @Body() body: LiftHoldDto,
  ): Promise<CreditStandingDto> {
    return this.credit.lift(actor, companyId, body);
  }
}
