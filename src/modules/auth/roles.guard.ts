import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Actor, Role } from '../../common/auth/actor';
import { IS_PUBLIC_KEY, ROLES_KEY } from '../../common/auth/decorators';
import { DomainError } from '../../common/errors/domain-error';

/** Function-level access: @Roles(...) lists who may call; bots only where 'bot' is listed. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(ctx: ExecutionContext): boolean {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    const actor = ctx.switchToHttp().getRequest<{ user: Actor }>().user;
    const allowed = roles ? roles.includes(actor.role) : actor.kind === 'user';
    if (!allowed) {
      throw new DomainError('FORBIDDEN', 'Your role may not call this route', {
        allowedRoles: roles ?? ['agent', 'company_admin', 'finance', 'admin'],
      });
    }
    return true;
  }
}
