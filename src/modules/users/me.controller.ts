import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { MeDto } from './user.dto';
import { UsersService } from './users.service';

@ApiTags('auth')
@Controller('v1/me')
export class MeController {
  constructor(private readonly users: UsersService) {}

  /** The signed-in user, with their company for company admins. */
  @Get()
  @Roles('agent', 'company_admin', 'finance', 'admin')
  @ApiOperation({ operationId: 'getMe', summary: 'Get the signed-in user' })
  me(@CurrentActor() actor: Actor): Promise<MeDto> {
    return this.users.getMe(actor);
  }
}
