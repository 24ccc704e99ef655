import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, IsTimeZone, Matches } from 'class-validator';
import { MaxLength } from '../../common/validation/text-and-numbers';
import { NoInvisibleCharacters } from '../../common/validation/credentials';
import { IsOmittable } from '../../common/validation/omittable';
import { BILLING_PERIODS, type BillingPeriod } from './billing-period';

/** Changes only the fields sent (an empty body changes nothing). */
export class UpdateCompanyDto {
  /** @example "Acme Support" */
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;

  /**
   * IANA time zone: each billing period closes at midnight here.
   * @example Europe/Berlin
   */
  @IsOmittable()
  @IsTimeZone({ message: 'timeZone must be an IANA time zone such as Europe/Berlin' })
  timeZone?: string;

  /**
   * How often the company is invoiced: a week (from Monday) or a calendar month.
   * @example monthly
   */
  @IsOmittable()
  @IsIn(BILLING_PERIODS)
  @ApiProperty({ enum: BILLING_PERIODS, required: false })
  billingPeriod?: BillingPeriod;

  /**
   * Where invoices go; null sends them to the admin who signed the company up.
   * @example billing@acme.test
   */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsEmail({}, { message: 'billingEmail must be a valid email address' })
  @NoInvisibleCharacters('billingEmail')
  @MaxLength(254)
  @ApiProperty({ type: 'string', nullable: true, required: false })
  billingEmail?: string | null;
}

export class CompanyDto {
  /** @example 7c9e6679-7425-40de-944b-e07fc1f90ae7 */
  id: string;
  /** @example "Acme Support" */
  name: string;
  /** @example Europe/Berlin */
  timeZone: string;
  /** @example weekly */
  @ApiProperty({ enum: BILLING_PERIODS })
  billingPeriod: string;
  /** @example billing@acme.test */
  billingEmail: string | null;
  /** @example 2030-04-28T13:55:02.000Z */
  createdAt: Date;
  /** @example 2030-04-28T13:55:02.000Z */
  updatedAt: Date;
}
