import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Actor, Role } from '../../common/auth/actor';
import { IS_PUBLIC_KEY, ROLES_KEY } from '../../common/auth/decorators';
import { DomainError } from '../../common/errors/domain-error';
import { UsersService } from '../users/users.service';

const STAFF_ROLES: Role[] = ['finance', 'admin'];

const forbidden = (roles: Role[] | undefined) =>
  new DomainError('FORBIDDEN', 'Your role may not call this route', {
    allowedRoles: roles ?? ['agent', 'company_admin', 'finance', 'admin'],
  });

/**
 * Function-level access: @Roles(...) lists who may call; bots only where 'bot' is listed.
 * Routes only staff may call (money, the skill taxonomy, suspensions) also load the user, one
 * query on low-volume routes, so a deleted or demoted account loses them at once rather than
 * when its access token expires (ADR 0003); every other route stays stateless.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    const actor = ctx.switchToHttp().getRequest<{ user: Actor }>().user;
    const staffOnly = !!roles?.length && roles.every((r) => STAFF_ROLES.includes(r));
    if (staffOnly && actor.kind === 'user') {
      // Existence first: a gone account is 401 whatever role its token claims.
      const user = await this.users.findById(actor.userId);
      if (!user) throw new DomainError('UNAUTHENTICATED', 'This account no longer exists');
      if (!roles.includes(user.role) || !roles.includes(actor.role)) throw forbidden(roles);
      return true;
    }
    const allowed = roles ? roles.includes(actor.role) : actor.kind === 'user';
    if (!allowed) throw forbidden(roles);
    return true;
  }
}
