import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { MeDto } from './user.dto';
import { UsersService } from './users.service';

@ApiTags('auth')
@ApiBearerAuth('user')
@Controller('v1/me')
export class MeController {
  constructor(private readonly users: UsersService) {}

  /** The signed-in user, with their company for company admins. */
  @Get()
  @Roles('agent', 'company_admin', 'finance', 'admin')
  me(@CurrentActor() actor: Actor): Promise<MeDto> {
    return this.users.getMe(actor);
  }
}
