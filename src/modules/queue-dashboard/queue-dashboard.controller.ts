import { Controller, Delete, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { DomainError } from '../../common/errors/domain-error';
import { Env } from '../../config/env.validation';
import {
  QUEUE_DASHBOARD_COOKIE,
  QUEUE_DASHBOARD_PATH,
  QueueDashboardAccess,
} from './queue-dashboard-access.service';
import { QueueDashboardSessions } from './queue-dashboard-sessions.service';
import { QueueDashboardSessionDto } from './queue-dashboard.dto';

/** HttpOnly (no script reads it), only sent to the dashboard, never on another site's request. */
const cookieOptions = (req: FastifyRequest, publicUrl: string): CookieSerializeOptions => ({
  httpOnly: true,
  sameSite: 'strict',
  path: QUEUE_DASHBOARD_PATH,
  // Secure when the console is served over https (PUBLIC_URL, as the session cookie), or when
  // this request came so (req.protocol reads X-Forwarded-Proto from a trusted proxy): behind a
  // TLS-terminating balancer with TRUST_PROXY unset, the admin's cookie still goes out Secure.
  secure: publicUrl.startsWith('https:') || req.protocol === 'https',
});

@ApiTags('admin')
@ApiBearerAuth('user')
@Controller('v1/admin/queue-dashboard')
@Roles('admin')
export class QueueDashboardController {
  private readonly publicUrl: string;

  constructor(
    private readonly sessions: QueueDashboardSessions,
    private readonly access: QueueDashboardAccess,
    config: ConfigService<Env, true>,
  ) {
    this.publicUrl = config.get('PUBLIC_URL', { infer: true });
  }

  /**
   * Sets the short-lived cookie the queue dashboard (/admin/queues) accepts, so a browser can
   * open it: the console calls this with the admin's token, then links to `url`. Scripts can
   * call the dashboard's API with the bearer token instead.
   */
  @Post('session')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'createQueueDashboardSession',
    summary: 'Open a queue dashboard session',
  })
  async create(
    @CurrentActor() actor: Actor,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<QueueDashboardSessionDto> {
    // @Roles('admin') let only a (freshly loaded) admin user through; never a bot.
    if (actor.kind !== 'user') throw new DomainError('FORBIDDEN', 'Only an admin user may');
    const session = await this.access.openSession(actor);
    res.setCookie(QUEUE_DASHBOARD_COOKIE, session.token, {
      ...cookieOptions(req, this.publicUrl),
      maxAge: this.sessions.ttlSeconds, // seconds (Max-Age)
    });
    return { expiresAt: session.expiresAt, url: QUEUE_DASHBOARD_PATH };
  }

  /** Clears the dashboard cookie in this browser (it also lapses by itself). */
  @Delete('session')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteQueueDashboardSession',
    summary: 'End the queue dashboard session',
  })
  remove(@Req() req: FastifyRequest, @Res({ passthrough: true }) res: FastifyReply): void {
    res.clearCookie(QUEUE_DASHBOARD_COOKIE, cookieOptions(req, this.publicUrl));
  }
}
