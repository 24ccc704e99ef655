import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { USER_ROLES, UserActor, UserRole } from '../../common/auth/actor';
import { Env } from '../../config/env.validation';
import { AccessTokenClaims } from './access-token.service';
import { isUuid } from '../../common/validation/uuid';

/** Clock skew allowed between the process that signed a token and the one reading it. */
const SKEW_SECONDS = 60;

/**
 * Stateless on purpose: an access token is trusted for its 15 minutes without a database read;
 * sign-out and reuse detection act on the refresh token, which is checked every time. (Routes
 * only finance or admin may call load the user too: see RolesGuard and ADR 0003.)
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly maxRemainingSeconds: number;

  constructor(config: ConfigService<Env, true>) {
    // A KeyObject made once: given a string, jsonwebtoken first tries (and fails) to parse it
    // as a PEM public key on every request, which cost ~0.8 ms of CPU per call (profiled).
    const key = createSecretKey(Buffer.from(config.get('JWT_SECRET', { infer: true })));
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // The typings only name string | Buffer; jsonwebtoken takes a KeyObject as is.
      secretOrKeyProvider: (_req: unknown, _token: unknown, done: (e: null, k: string) => void) =>
        done(null, key as unknown as string),
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
    this.maxRemainingSeconds = config.get('JWT_ACCESS_TTL_SECONDS', { infer: true }) + SKEW_SECONDS;
  }

  /**
   * jsonwebtoken checks exp only when present, and the claims only as JSON. Every token
   * AccessTokenService signs has an exp within the TTL, a UUID sub and a UUID or null cid; a
   * token without them was not made here (a leaked secret, a tool), and an odd sub or cid would
   * reach SQL as a 500. Refused: 401.
   */
  validate(
    claims: Partial<Record<keyof AccessTokenClaims | 'exp' | 'iat', unknown>>,
  ): UserActor | false {
    const { sub, role, cid, exp, iat, sid, auth_time: authTime } = claims;
    if (typeof exp !== 'number' || exp - Date.now() / 1000 > this.maxRemainingSeconds) return false;
    if (!isUuid(sub) || !USER_ROLES.includes(role as UserRole)) return false;
    if (cid !== null && cid !== undefined && !isUuid(cid)) return false;
    // Tokens signed before logins were named have neither: they pass, but as a login that
    // proved nothing lately (RecentSignIn refuses them, a reauthentication gets them renewed).
    if (sid !== undefined && !isUuid(sid)) return false;
    if (authTime !== undefined && typeof authTime !== 'number') return false;
    return {
      kind: 'user',
      userId: sub,
      role: role as UserRole,
      companyId: cid ?? null,
      token: {
        expiresAt: exp * 1000,
        issuedAt: typeof iat === 'number' ? iat : null,
        loginId: sid ?? null,
        authenticatedAt: typeof authTime === 'number' ? authTime * 1000 : null,
      },
    };
  }
}
