import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { Actor, Role, UserActor } from '../../common/auth/actor';
import { IS_PUBLIC_KEY, RECENT_SIGN_IN_KEY, ROLES_KEY } from '../../common/auth/decorators';
import { DomainError } from '../../common/errors/domain-error';
import { Env } from '../../config/env.validation';
import { UsersService } from '../users/users.service';
import { RefreshTokensService } from './refresh-tokens.service';

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
  private readonly recentMs: number;

  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
    private readonly refreshTokens: RefreshTokensService,
    config: ConfigService<Env, true>,
  ) {
    this.recentMs = config.get('RECENT_SIGN_IN_MINUTES', { infer: true }) * 60_000;
  }

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
    } else {
      const allowed = roles ? roles.includes(actor.role) : actor.kind === 'user';
      if (!allowed) throw forbidden(roles);
    }
    if (
      actor.kind === 'user' &&
      this.reflector.getAllAndOverride<boolean>(RECENT_SIGN_IN_KEY, targets)
    ) {
      await this.requireRecentSignIn(actor);
    }
    return true;
  }

  /**
   * After the role (a wrong role learns nothing about its sign-in). A token signed before logins
   * carried the time counts as not recent: a reauthentication gets one that does. The login must
   * still live (one read, on these low-volume routes): an access token stolen just after a sign-in
   * outlives its sign-out or a password change by up to JWT_ACCESS_TTL_SECONDS, and here it
   * would mint what outlives both.
   */
  private async requireRecentSignIn(actor: UserActor): Promise<void> {
    const at = actor.token?.authenticatedAt ?? null;
    const loginId = actor.token?.loginId ?? null;
    if (at !== null && at > Date.now() - this.recentMs && loginId !== null) {
      if (await this.refreshTokens.loginAlive(loginId)) return;
      throw new DomainError('UNAUTHENTICATED', 'This login has ended: sign in again');
    }
    throw new DomainError(
      'RECENT_SIGN_IN_REQUIRED',
      `Give your password again first (POST /v1/auth/reauthenticate): this needs a sign-in in the last ${this.recentMs / 60_000} minutes`,
      {
        // The epoch: a login from before the time was kept, never proved lately.
        signedInAt: at === null || at === 0 ? null : new Date(at).toISOString(),
        withinMinutes: this.recentMs / 60_000,
      },
    );
  }
}
