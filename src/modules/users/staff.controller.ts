import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { StaffQueryDto, UserDto } from './user.dto';
import { UsersService } from './users.service';

@ApiTags('admin')
@Controller('v1/staff')
@Roles('admin')
export class StaffController {
  constructor(private readonly users: UsersService) {}

  /**
   * Finance and admin users, by role then email (a handful: they are created with
   * `npm run cli -- users:create`, never through the API).
   */
  @Get()
  @ApiOperation({ operationId: 'listStaff', summary: 'List the staff users' })
  list(@CurrentActor() actor: Actor, @Query() query: StaffQueryDto): Promise<UserDto[]> {
    return this.users.listStaff(actor, query.role);
  }
}
