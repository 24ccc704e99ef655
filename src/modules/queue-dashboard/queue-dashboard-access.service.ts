import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import passport from 'passport';
import type { Actor, UserActor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { ApiKeysService, isApiKey } from '../companies/api-keys.service';
import { EventHub } from '../events/event-hub.service';
import { UsersService } from '../users/users.service';
import { DashboardSession, QueueDashboardSessions } from './queue-dashboard-sessions.service';

/** Where the dashboard is served, and the only path its cookie is sent to. */
export const QUEUE_DASHBOARD_PATH = '/admin/queues';
export const QUEUE_DASHBOARD_COOKIE = 'handoff_queue_dashboard';

const SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS'];
const unauthenticated = () =>
  new DomainError('UNAUTHENTICATED', 'An admin access token or dashboard session is required');
const forbidden = () =>
  new DomainError('FORBIDDEN', 'Your role may not call this route', { allowedRoles: ['admin'] });

/**
 * Who may use the queue dashboard, checked on every request to it (page, assets and its API):
 * admins only, by the API's own bearer token (scripts) or by the session cookie that
 * POST /v1/admin/queue-dashboard/session sets (browsers). The routes are bull-board's Fastify
 * plugin, mounted by @bull-board/nestjs, so the global guards never see them; this does
 * what they do for a staff route: the JwtStrategy (through passport, as AuthGuard('jwt')),
 * then the user loaded so a deleted or demoted admin loses access at once (ADR 0003).
 */
@Injectable()
export class QueueDashboardAccess {
  constructor(
    private readonly users: UsersService,
    private readonly apiKeys: ApiKeysService,
    private readonly sessions: QueueDashboardSessions,
    private readonly hub: EventHub,
  ) {}

  /**
   * A dashboard session for an admin's access token. A token issued before its admin signed out
   * is still accepted by the API until it expires, but opens no session: the cookie would
   * outlive it. The cookie is stamped with the token's issue time, not now, so a sign-out after
   * the token was issued ends the cookie too, whenever the cookie was made.
   */
  async openSession(actor: UserActor): Promise<DashboardSession> {
    const issuedAt = actor.token?.issuedAt ?? Math.floor(Date.now() / 1000);
    if (await this.hub.endedSince(actor.userId, issuedAt)) throw unauthenticated();
    return this.sessions.issue(actor.userId, Date.now(), issuedAt);
  }

  /** Throws unless the request may reach the dashboard (an onRequest hook calls it). */
  async authorize(req: FastifyRequest, res: FastifyReply): Promise<void> {
    const header = req.headers.authorization;
    if (header !== undefined) {
      await this.requireAdmin(await this.bearerActor(req, res, header));
      return;
    }
    const cookie: unknown = req.cookies[QUEUE_DASHBOARD_COOKIE];
    const session = typeof cookie === 'string' ? this.sessions.sessionOf(cookie) : null;
    if (!session) throw unauthenticated();
    const { userId } = session;
    // Signing out (or a suspension) ends the admin's sessions: a dashboard cookie from before
    // it stops too, not at its own expiry (a shared machine's next user kept the dashboard).
    if (await this.hub.endedSince(userId, session.issuedAt)) throw unauthenticated();
    // The cookie rides along on any request the browser makes to this path; an unsafe one
    // must come from the dashboard's own pages (SameSite=Strict already keeps other sites'
    // requests from carrying it; this also refuses same-site neighbours).
    if (!SAFE_METHODS.includes(req.method) && !sameOrigin(req)) {
      throw new DomainError('FORBIDDEN', 'Cross-origin requests to the dashboard are refused');
    }
    await this.requireAdmin({ kind: 'user', userId, role: 'admin', companyId: null });
  }

  /** The caller of a bearer token, as the global AuthenticationGuard would find it. */
  private async bearerActor(
    req: FastifyRequest,
    res: FastifyReply,
    header: string,
  ): Promise<Actor> {
    const bearer = /^Bearer (\S+)$/i.exec(header)?.[1];
    if (!bearer) throw unauthenticated();
    if (isApiKey(bearer)) return this.apiKeys.authenticate(bearer);
    const actor = await new Promise<UserActor | false>((resolve, reject) =>
      passport.authenticate('jwt', { session: false }, (err: unknown, user: UserActor | false) =>
        err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(user),
      )(req.raw, res.raw, reject),
    );
    if (!actor) throw unauthenticated();
    return actor;
  }

  private async requireAdmin(actor: Actor): Promise<void> {
    if (actor.kind !== 'user') throw forbidden();
    // Existence first: a gone account is 401 whatever its token says (as RolesGuard).
    const user = await this.users.findById(actor.userId);
    if (!user) throw new DomainError('UNAUTHENTICATED', 'This account no longer exists');
    if (user.role !== 'admin' || actor.role !== 'admin') throw forbidden();
  }
}

/**
 * Whether the browser says the request comes from our own origin: Sec-Fetch-Site when it
 * sends one (every current browser), else Origin against this request's own scheme and host
 * (behind a proxy, as TRUST_PROXY lets Fastify read them). Neither header: refused.
 */
export function sameOrigin(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin';
  const origin = req.headers.origin;
  return typeof origin === 'string' && origin === `${req.protocol}://${req.host}`;
}
