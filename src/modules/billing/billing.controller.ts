import { Controller, Get, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { ApiErrors } from '../../common/http/api-errors';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { BillingDto, BillingSetupDto } from './billing.dto';
import { BillingService } from './billing.service';

@ApiTags('billing')
@Controller('v1/companies/me/billing')
@Roles('company_admin')
export class BillingController {
  constructor(private readonly billing: BillingService) {}

  /** The Stripe customer, the saved card, the billing settings and what is owed. */
  @Get()
  @ApiOperation({ operationId: 'getBilling', summary: "Get the company's billing" })
  @ApiErrors('NOT_FOUND')
  get(@CurrentActor() actor: Actor): Promise<BillingDto> {
    return this.billing.get(actor);
  }

  /**
   * A Stripe Checkout session (setup mode) to save the card invoices are charged to; the
   * Stripe customer is made on the first call.
   */
  @Post('setup')
  @Idempotent()
  @ApiOperation({ operationId: 'setUpBilling', summary: 'Start saving a card with Stripe' })
  @ApiErrors('CONFLICT')
  setup(@CurrentActor() actor: Actor): Promise<BillingSetupDto> {
    return this.billing.setup(actor);
  }
}
