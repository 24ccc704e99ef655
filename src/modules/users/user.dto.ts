import { USER_ROLES, UserRole } from '../../common/auth/actor';
import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export class CompanySummaryDto {
  /** @example 7c9e6679-7425-40de-944b-e07fc1f90ae7 */
  id: string;
  /** @example "Acme Support" */
  name: string;
}

export class UserDto {
  /** @example 0f8fad5b-d9cb-469f-a165-70867728950e */
  id: string;
  /** @example ana@acme.test */
  email: string;
  /** @example company_admin */
  @ApiProperty({ enum: USER_ROLES })
  role: UserRole;
  /**
   * Set for company admins: the company they act for.
   * @example 7c9e6679-7425-40de-944b-e07fc1f90ae7
   */
  companyId: string | null;
  /** @example 2030-04-28T13:55:02.000Z */
  createdAt: Date;
}

export class MeDto extends UserDto {
  company: CompanySummaryDto | null;
}

export class StaffQueryDto {
  /** Only this role (default both). */
  @IsOptional()
  @IsIn(['finance', 'admin'])
  @ApiProperty({ enum: ['finance', 'admin'], required: false })
  role?: 'finance' | 'admin';
}
