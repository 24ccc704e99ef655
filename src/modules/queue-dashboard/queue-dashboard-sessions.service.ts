import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { createHmac } from 'node:crypto';
import { Env } from '../../config/env.validation';

const AUDIENCE = 'handoff:queue-dashboard';

export interface DashboardSession {
  token: string;
  expiresAt: Date;
}

/**
 * The dashboard cookie's value: a JWT naming the admin, signed with a key derived from
 * JWT_SECRET for this purpose alone and addressed to the dashboard. The API's JwtStrategy
 * checks signatures with JWT_SECRET itself, so a leaked cookie is refused as a bearer token;
 * and an API access token is refused here (wrong key, no audience). It carries no role: the
 * user is loaded on every dashboard request (QueueDashboardAccess).
 */
@Injectable()
export class QueueDashboardSessions {
  private readonly jwt: JwtService;
  private readonly minutes: number;

  constructor(config: ConfigService<Env, true>) {
    const key = createHmac('sha256', config.get('JWT_SECRET', { infer: true }))
      .update('handoff queue-dashboard session v1')
      .digest();
    this.jwt = new JwtService({
      secret: key,
      signOptions: { algorithm: 'HS256', audience: AUDIENCE },
      verifyOptions: { algorithms: ['HS256'], audience: AUDIENCE },
    });
    this.minutes = config.get('QUEUE_DASHBOARD_SESSION_MINUTES', { infer: true });
  }

  get ttlSeconds(): number {
    return this.minutes * 60;
  }

  /**
   * A session for this user until `now` plus its lifetime (a test may pass an instant in the
   * past), stamped `authIssuedAt` (epoch seconds): when the access token that opened it was
   * issued, which a sign-out since ends (QueueDashboardAccess).
   */
  issue(userId: string, now = Date.now(), authIssuedAt = Math.floor(now / 1000)): DashboardSession {
    const iat = authIssuedAt;
    const exp = Math.floor(now / 1000) + this.ttlSeconds;
    const token = this.jwt.sign({ sub: userId, iat, exp });
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** The user and issue time (epoch seconds) of a valid, unexpired session; null otherwise. */
  sessionOf(token: string): { userId: string; issuedAt: number } | null {
    try {
      const { sub, iat } = this.jwt.verify<{ sub?: unknown; iat?: unknown }>(token);
      return typeof sub === 'string' && typeof iat === 'number'
        ? { userId: sub, issuedAt: iat }
        : null;
    } catch {
      return null;
    }
  }
}
