import { USER_ROLES, UserRole } from '../../common/auth/actor';
import { ApiProperty } from '@nestjs/swagger';

export class CompanySummaryDto {
  id: string;
  name: string;
}

export class UserDto {
  id: string;
  email: string;
  @ApiProperty({ enum: USER_ROLES })
  role: UserRole;
  /** Set for company admins: the company they act for. */
  companyId: string | null;
  createdAt: Date;
}

export class MeDto extends UserDto {
  company: CompanySummaryDto | null;
}
