import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { InvoicePageDto, ListInvoicesQueryDto } from './invoice.dto';
import { InvoicesService } from './invoices.service';

@ApiTags('billing')
@Controller('v1/companies/me/invoices')
@Roles('company_admin')
export class InvoicesController {
  constructor(private readonly invoices: InvoicesService) {}

  /**
   * The company's invoices, the newest period first: one per billing period and currency, with
   * its lines (per shift, reversals, carried credit), its state at Stripe and the hosted page.
   */
  @Get()
  @ApiOperation({ operationId: 'listInvoices', summary: "List the company's invoices" })
  list(
    @CurrentActor() actor: Actor,
    @Query() query: ListInvoicesQueryDto,
  ): Promise<InvoicePageDto> {
    return this.invoices.list(actor, query);
  }
}
