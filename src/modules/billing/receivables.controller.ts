import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { ApiErrors } from '../../common/http/api-errors';
import { IdParam } from '../../common/http/id-param';
import { IdempotencyKey, Idempotent } from '../idempotency/idempotent.decorator';
import {
  CreateCreditNoteDto,
  FinanceInvoiceDto,
  FinanceInvoicePageDto,
  ListAllInvoicesQueryDto,
  ReceivablesAgeingDto,
  WaiveInvoiceHoldDto,
  WriteOffInvoiceDto,
} from './receivables.dto';
import { LostDisputesService } from './lost-disputes.service';
import { ReceivablesService } from './receivables.service';

/**
 * Finance: every company's invoices, receivables by age, write-offs, and lost disputes credited
 * or billed again.
 */
@ApiTags('billing')
@Controller('v1')
@Roles('finance')
export class ReceivablesController {
  constructor(
    private readonly receivables: ReceivablesService,
    private readonly lostDisputes: LostDisputesService,
  ) {}

  /** Every company's invoices, the newest period first, by status or company when asked. */
  @Get('invoices')
  @ApiOperation({ operationId: 'listAllInvoices', summary: "List every company's invoices" })
  list(
    @CurrentActor() actor: Actor,
    @Query() query: ListAllInvoicesQueryDto,
  ): Promise<FinanceInvoicePageDto> {
    return this.receivables.list(actor, query);
  }

  /** What each company owes by age (current, 1–30, 31–60, over 60 days), and in total. */
  @Get('receivables/ageing')
  @ApiOperation({ operationId: 'getReceivablesAgeing', summary: 'Receivables by age' })
  ageing(@CurrentActor() actor: Actor): Promise<ReceivablesAgeingDto> {
    return this.receivables.ageing(actor);
  }

  /** Credits what a lost dispute made owed again, not to be collected: through the ledger. */
  @Post('invoices/:id/credit-notes')
  @Idempotent({ required: true })
  @ApiOperation({ operationId: 'createCreditNote', summary: 'Credit part of an invoice' })
  @ApiErrors('NOT_FOUND', 'CREDIT_EXCEEDS_OWED')
  creditNote(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: CreateCreditNoteDto,
    // Present: the idempotency guard refuses the request without it.
    @IdempotencyKey() idempotencyKey: string,
  ): Promise<FinanceInvoiceDto> {
    return this.lostDisputes.creditNote(actor, id, body, idempotencyKey);
  }

  /** Puts what a lost dispute took back (less credit notes) on the company's next invoice. */
  @Post('invoices/:id/bill-dispute-again')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({
    operationId: 'billDisputeAgain',
    summary: "Bill a lost dispute again on the company's next invoice",
  })
  @ApiErrors('NOT_FOUND', 'INVOICE_STATE')
  billDisputeAgain(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
  ): Promise<FinanceInvoiceDto> {
    return this.lostDisputes.billAgain(actor, id);
  }

  /** Writes an unpaid invoice off: Stripe stops collecting; the receivable goes to bad debt. */
  @Post('invoices/:id/write-off')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ operationId: 'writeOffInvoice', summary: 'Write an invoice off' })
  @ApiErrors('NOT_FOUND', 'INVOICE_STATE', 'CONFLICT')
  writeOff(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: WriteOffInvoiceDto,
  ): Promise<FinanceInvoiceDto> {
    return this.receivables.writeOff(actor, id, body);
  }

  /** Lets the company of an invoice written off unpaid post shifts again, for good. */
  @Post('invoices/:id/waive-hold')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({
    operationId: 'waiveInvoiceHold',
    summary: 'Waive the hold of a written-off invoice',
  })
  @ApiErrors('NOT_FOUND', 'INVOICE_STATE')
  waiveHold(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: WaiveInvoiceHoldDto,
  ): Promise<FinanceInvoiceDto> {
    return this.receivables.waiveHold(actor, id, body);
  }
}
