import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
} from 'class-validator';
import { IsUUID, MaxLength } from '../../common/validation/text-and-numbers';
import { COMMA_SEPARATED, commaList } from '../../common/validation/comma-list';
import { ApiInteger } from '../../common/http/openapi-property';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { InvoiceDto } from './invoice.dto';
import { INVOICE_STATUSES } from './invoice.rows';

export class ListAllInvoicesQueryDto extends PageQueryDto {
  /** Only invoices in these states, comma-separated: `past_due`, `open,past_due`. */
  @ApiPropertyOptional({ enum: INVOICE_STATUSES, isArray: true, ...COMMA_SEPARATED })
  @IsOptional()
  @Transform(commaList)
  @ArrayMaxSize(INVOICE_STATUSES.length * 2)
  @IsIn(INVOICE_STATUSES, {
    each: true,
    message: `status must be one or more of ${INVOICE_STATUSES.join(', ')}, comma-separated`,
  })
  status?: string[];

  /** Only this company's invoices. */
  @IsOptional()
  @IsUUID()
  companyId?: string;
}

/** An invoice as finance sees it: with the company's name, the dispute's id and any waiver. */
export class FinanceInvoiceDto extends InvoiceDto {
  /** @example 5b0e6c1f-8a2d-4c3b-9e7f-1a2b3c4d5e6f */
  companyId: string;
  /** @example "Acme Support" */
  companyName: string | null;
  /** @example dp_1Q2w3E4r5T6y */
  disputeId: string | null;
  /**
   * Written off unpaid, yet not holding the company: when finance waived the hold (or null).
   * @example 2030-06-10T09:00:00.000Z
   */
  holdWaivedAt: Date | null;
  /**
   * Finance's reason for the waiver (null when none, or for an invoice written off before
   * written-off invoices held companies).
   * @example "Settled for less by bank transfer; the rest forgiven"
   */
  holdWaivedReason: string | null;
}

export class FinanceInvoicePageDto {
  items: FinanceInvoiceDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIyMDI2LTExLTI5VDIzOjAwOjAwLjAwMFoiLCIwYjhjOGE5ZS0zZjUxLTRmNWUtOWEzOS0zZDRmMGY4ZjJhMTAiXQ
   */
  nextCursor: string | null;
}

/** What is owed in one currency, by age. */
export class AgeingTotalDto {
  /** @example EUR */
  currency: string;
  /**
   * Not yet overdue: booked and not invoiced yet (less credit carried), and unpaid invoices
   * issued less than a day ago. An amount too small to charge, which invoices carry to the next
   * one, is aged like an unpaid invoice from the end of the last period that carried it.
   * @example 12000
   */
  @ApiInteger()
  currentMinor: number;
  /**
   * Unpaid invoices 1 to 30 days after their period ended, and an amount too small to charge
   * carried that long (as for each bucket). @example 28800
   */
  @ApiInteger()
  days1To30Minor: number;
  /** @example 0 */
  @ApiInteger()
  days31To60Minor: number;
  /** @example 0 */
  @ApiInteger()
  over60DaysMinor: number;
  /** Everything owed in the currency (the sum of the four). @example 40800 */
  @ApiInteger()
  totalMinor: number;
}

/** What one company owes in one currency, by age. */
export class AgeingRowDto extends AgeingTotalDto {
  /** @example 5b0e6c1f-8a2d-4c3b-9e7f-1a2b3c4d5e6f */
  companyId: string;
  /** @example "Acme Support" */
  companyName: string | null;
}

export class ReceivablesAgeingDto {
  /** @example 2026-12-07T09:00:00.000Z */
  generatedAt: Date;
  companies: AgeingRowDto[];
  /** Per currency, over every company. */
  totals: AgeingTotalDto[];
}

export class CreateCreditNoteDto {
  /**
   * Minor units credited (it leaves the company's receivable, as bad debt).
   * @example 2880
   */
  @ApiInteger()
  @IsInt()
  @Min(1)
  @Max(10_000_000_000)
  amountMinor: number;
  /** @example "Dispute lost: charge refunded to the cardholder; not re-billed" */
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;
}

export class WaiveInvoiceHoldDto {
  /** @example "Settled for less by bank transfer; the rest forgiven" */
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;
}

export class WriteOffInvoiceDto {
  /** @example "Company insolvent; collection abandoned" */
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;
}
