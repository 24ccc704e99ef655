import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC_KEY } from '../../common/auth/decorators';
import { DomainError } from '../../common/errors/domain-error';
import { ApiKeysService, isApiKey } from '../companies/api-keys.service';

/**
 * Global and deny-by-default: every route needs a caller unless marked @Public(). A bearer
 * token starting with the API-key prefix is a company bot's key; anything else must be a JWT.
 */
@Injectable()
export class AuthenticationGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeysService,
  ) {
    super();
  }

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [
      ctx.getHandler(),
      ctx.getClass(),
    ]);
    if (isPublic) return true;
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { user?: unknown }>();
    const header = req.headers.authorization ?? '';
    const bearer = /^Bearer (\S+)$/i.exec(header)?.[1];
    if (bearer && isApiKey(bearer)) {
      req.user = await this.apiKeys.authenticate(bearer);
    } else if (!((await super.canActivate(ctx)) as boolean)) {
      return false;
    }
    // The request's log line is written from the raw request (pino-http): it names the caller.
    (req.raw as { user?: unknown }).user = req.user;
    return true;
  }

  override handleRequest<T>(err: unknown, user: T | false): T {
    if (err || !user) {
      throw new DomainError('UNAUTHENTICATED', 'A valid access token or API key is required');
    }
    return user;
  }
}
